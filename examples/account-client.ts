/**
 * A typed client of the account service (VRt.Account 6.20), as an integrator writes one: openapi-fetch over the
 * types openapi-typescript generated from spec/account.yaml (generated/account.ts). It logs in, reads the account
 * information, the audit trail of today and the usage report (an XLSX workbook), and saves the workbook.
 *
 *   BASE_URL=http://127.0.0.1:8080 ACCOUNT_USERNAME=alice ACCOUNT_PASSWORD='s3cret!' npx tsx examples/account-client.ts
 *
 * Optional: REPORT_FILE (where the workbook goes; default account-report.xlsx in the current folder),
 * REPORT_FROM / REPORT_TO (YYYY-MM-DD). The test suite runs this file against a started server
 * (test/examples/examples.test.ts), so it cannot drift from the spec unnoticed.
 */
import fs from 'node:fs';
import createClient from 'openapi-fetch';
import type { paths } from '../generated/account';

function env(name: string, fallback?: string): string {
  const v = process.env[name] || fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}

/** The account service's error bodies: `general_error` has a message; `not_found_error` names the resource. */
const explain = (error: object) => ('message' in error && error.message ? String(error.message) : JSON.stringify(error));

async function main() {
  const client = createClient<paths>({ baseUrl: env('BASE_URL', 'http://127.0.0.1:8080') });

  // 1. a token: POST /account/token/generation answers the JWT as a JSON string
  const login = await client.POST('/account/token/generation', {
    body: { username: env('ACCOUNT_USERNAME'), password: env('ACCOUNT_PASSWORD') },
  });
  if (login.error) throw new Error(`login refused (${login.response.status}): ${explain(login.error)}`);
  const token = login.data;
  console.log(`login: token of ${token.length} characters`);

  // 2. every later call carries it; openapi-fetch's middleware adds the header once for all
  client.use({ onRequest: ({ request }) => { request.headers.set('Authorization', `Bearer ${token}`); } });

  const info = await client.GET('/account/info');
  if (info.error) throw new Error(`info failed (${info.response.status}): ${explain(info.error)}`);
  console.log(`info: ${info.data.username} of company ${info.data.company_key}, timezone ${info.data.timezone ?? 0}`);

  // 3. the audit trail of today (the default period), newest first
  const audit = await client.GET('/account/audit', { params: { query: { limit: 10, sort_direction: 'DESC' } } });
  if (audit.error) throw new Error(`audit failed (${audit.response.status}): ${explain(audit.error)}`);
  console.log(`audit: ${audit.data.actions.length} of ${audit.data.statistics.filter.total} actions today`
    + (audit.data.actions[0] ? `, latest ${audit.data.actions[0].tracedata.operation} at ${audit.data.actions[0].tracedata.time}` : ''));

  // 4. the usage report: a binary body, read as bytes
  const from = process.env.REPORT_FROM;
  const to = process.env.REPORT_TO;
  const report = await client.GET('/account/report', {
    params: { query: { ...(from ? { from } : {}), ...(to ? { to } : {}) } },
    parseAs: 'arrayBuffer',
  });
  if (report.error) throw new Error(`report failed (${report.response.status}): ${explain(report.error)}`);
  const file = env('REPORT_FILE', 'account-report.xlsx');
  fs.writeFileSync(file, Buffer.from(report.data));
  console.log(`report: ${report.data.byteLength} bytes (${report.response.headers.get('content-type')}) saved to ${file}; `
    + `${report.response.headers.get('content-disposition')}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`account-client: ${(e as Error).message}`);
    process.exit(1);
  });
}
