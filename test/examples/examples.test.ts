/**
 * The typed client examples (examples/*.ts) run as an integrator runs them (`tsx examples/<file>.ts`, as a separate
 * process) against the server (lib/server.ts) listening on a free port, with users made by the admin commands' own
 * code; and they type-check against generated/. A spec change that breaks them fails here.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { commands as accountAdmin } from '../../handlers/account/_admin';
import { commands as b2bAdmin } from '../../handlers/b2b/_admin';
import { projectRoot } from '../../lib/config';
import { startServer, type RunningServer } from '../../lib/server';

const run = promisify(execFile);
const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
const id = () => crypto.randomBytes(4).toString('hex');

jest.setTimeout(120_000);

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer({ port: 0, host: '127.0.0.1', services: ['account', 'b2b'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'examples-'));
});

afterAll(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Run an example with this environment; its stdout, or the failure with its stderr. */
async function example(file: string, env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run(tsx, [path.join(projectRoot, 'examples', file)], {
      cwd: dir, env: { ...process.env, BASE_URL: server.url, ...env }, timeout: 60_000,
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(`${file} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

test('the examples type-check against generated/ (tsc -p examples)', async () => {
  await run(path.join(projectRoot, 'node_modules', '.bin', 'tsc'), ['-p', path.join(projectRoot, 'examples')], { timeout: 90_000 })
    .catch((e: Error & { stdout?: string }) => { throw new Error(`tsc -p examples: ${e.message}\n${e.stdout ?? ''}`); });
});

test('examples/account-client.ts logs in, reads info, audit and the XLSX report', async () => {
  const username = `ex_${id()}`;
  const password = `pw-${id()}`;
  const company = `co_${id()}`;
  await accountAdmin['create-user'].run({ username, password, 'company-key': company, roles: 'USER', timezone: '3' }, server.db.sequelize);
  // one action of today in the trail, whatever the audit flush has done by then
  const usage = path.join(dir, 'usage.ndjson');
  const code = crypto.randomUUID();
  fs.writeFileSync(usage, `${JSON.stringify({
    tracedata: { code, client: `${company}_|_${username}`, server: 'worker_1', service: 'UNIVERSAL', operation: 'run_plan_calculation', time: new Date().toISOString() },
    method_group: 'PLAN', points_count: 5, duration: 'PT1S',
  })}\n`);
  await accountAdmin['record-usage'].run({ file: usage }, server.db.sequelize);

  const today = new Date().toISOString().slice(0, 10);
  const out = await example('account-client.ts', {
    ACCOUNT_USERNAME: username, ACCOUNT_PASSWORD: password, REPORT_FILE: 'report.xlsx', REPORT_FROM: '2000-01-01', REPORT_TO: today,
  });
  expect(out).toMatch(/^login: token of \d+ characters$/m);
  expect(out).toContain(`info: ${username} of company ${company}, timezone 3`);
  const audit = /^audit: (\d+) of (\d+) actions today/m.exec(out);
  expect(audit).not.toBeNull();
  expect(Number(audit![2])).toBeGreaterThanOrEqual(1);
  expect(out).toMatch(/^report: \d+ bytes \(application\/octet-stream\) saved to report\.xlsx; attachment; filename=/m);
  const workbook = fs.readFileSync(path.join(dir, 'report.xlsx'));
  expect(workbook.subarray(0, 2).toString('latin1')).toBe('PK'); // an XLSX is a zip
  expect(workbook.length).toBeGreaterThan(1000);
});

test('examples/account-client.ts fails loudly on a wrong password', async () => {
  const username = `ex_${id()}`;
  await accountAdmin['create-user'].run({ username, password: 'right-one', 'company-key': `co_${id()}` }, server.db.sequelize);
  await expect(example('account-client.ts', { ACCOUNT_USERNAME: username, ACCOUNT_PASSWORD: 'wrong-one' }))
    .rejects.toThrow(/account-client: login refused \(401\)/);
});

test('examples/b2b-client.ts reads the current user with an AR-REST token it computes', async () => {
  const domain = `dom_${id()}`;
  await b2bAdmin['create-domain'].run({ uid: domain, roles: 'CLIENT,USER' }, server.db.sequelize);
  await b2bAdmin['create-group'].run({ uid: `OPERATORS@${domain}`, roles: 'USER' }, server.db.sequelize);
  const uid = `ex@${domain}`;
  await b2bAdmin['create-user'].run({ uid, password: 'b2b-secret', roles: 'ADMIN', groups: 'OPERATORS' }, server.db.sequelize);

  const out = await example('b2b-client.ts', { B2B_USER: uid, B2B_PASSWORD: 'b2b-secret' });
  expect(out).toContain(`user: ${uid} (ACTIVE) roles ADMIN`);
  expect(out).toContain(`domain: ${domain} roles CLIENT,USER`);
  expect(out).toContain(`groups: OPERATORS@${domain}`);

  await expect(example('b2b-client.ts', { B2B_USER: uid, B2B_PASSWORD: 'not-it' })).rejects.toThrow(/b2b-client: reading the user failed \(401\)/);
});
