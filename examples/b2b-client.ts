/**
 * A typed client of the b2b service (B2B API users), as an integrator writes one: openapi-fetch over
 * generated/b2b.ts, authenticating every call with an AR-REST token computed here from the user's password, as the
 * spec's security scheme describes it:
 *   pass_hash = base64(md5(password)); salted = base64(md5("<stamp>:<age>:<pass_hash>"));
 *   Authorization: AR-REST base64("<user@domain>:<stamp>:<age>:<salted>")
 * It reads the current user with its domain and groups.
 *
 *   BASE_URL=http://127.0.0.1:8080 B2B_USER=test_user@test_domain B2B_PASSWORD=123 npx tsx examples/b2b-client.ts
 *
 * The test suite runs this file against a started server (test/examples/examples.test.ts).
 */
import crypto from 'node:crypto';
import createClient from 'openapi-fetch';
import type { paths } from '../generated/b2b';

function env(name: string, fallback?: string): string {
  const v = process.env[name] || fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}

const md5base64 = (s: string) => crypto.createHash('md5').update(s, 'utf8').digest('base64');

/** An AR-REST header value for `user` (name@domain), valid from now for `ageSeconds`. */
export function arRest(user: string, password: string, ageSeconds = 3600, stamp = Math.floor(Date.now() / 1000)): string {
  const salted = md5base64(`${stamp}:${ageSeconds}:${md5base64(password)}`);
  return `AR-REST ${Buffer.from(`${user}:${stamp}:${ageSeconds}:${salted}`, 'utf8').toString('base64')}`;
}

async function main() {
  const user = env('B2B_USER');
  const password = env('B2B_PASSWORD');
  const client = createClient<paths>({ baseUrl: env('BASE_URL', 'http://127.0.0.1:8080') });
  // a fresh token per request: the stamp is part of it
  client.use({ onRequest: ({ request }) => { request.headers.set('Authorization', arRest(user, password)); } });

  const me = await client.GET('/b2b/api/v1/user', { params: { query: { _detailed: true } } });
  if (me.error) throw new Error(`reading the user failed (${me.response.status}): ${JSON.stringify(me.error)}`);
  const [account] = me.data.data;
  console.log(`user: ${account.uid} (${account.state}) roles ${account.roles || '-'}`);
  console.log(`domain: ${account.domain?.uid ?? account.domain_uid} roles ${account.domain?.roles ?? '-'}`);
  console.log(`groups: ${(account.groups ?? []).map((g) => g.uid).join(', ') || '-'}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`b2b-client: ${(e as Error).message}`);
    process.exit(1);
  });
}
