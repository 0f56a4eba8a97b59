/** The account service's operator commands: the real CLI (scripts/admin.ts) for its contract, the rest in-process. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commands } from '../../handlers/account/_admin';
import { unique } from '../support/harness';
import { accountHarness, count, createUser, usageEvent, type Harness, type TestUser } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

/** a password the password rule accepts */
const PW = 'a fine passphrase';
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface CliResult { code: number; stdout: string; stderr: string }
/** npm run admin -- <args>, as a child process against the test database */
function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(TSX, ['scripts/admin.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

const files: string[] = [];
afterAll(() => { for (const f of files) fs.rmSync(f, { force: true }); });
/** an NDJSON file of events in the temporary directory */
function ndjson(lines: (object | string)[]): string {
  const file = path.join(os.tmpdir(), `${unique('usage')}.ndjson`);
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  files.push(file);
  return file;
}

const run = (command: string, flags: Record<string, string | undefined>) => commands[command].run(flags, h.sequelize);
const users = (username: string) => count(h, 'users', 'username = :username', { username });
const actions = (u: TestUser) => count(h, 'audit_actions', "username = :u AND service <> 'ACCOUNT'", { u: u.username });

describe('admin CLI: account create-user', () => {
  it('creates a user, prints it as JSON without secrets, and stores a scrypt hash', async () => {
    const username = unique('cli');
    const company = unique('co');
    const password = `pw ${unique()} with spaces`;
    const res = await cli('account', 'create-user', '--username', username, '--password', password, '--company-key', company,
      '--roles', 'USER,ADMIN', '--name', 'Ann Smith', '--email', 'ann@example.com', '--phone', '+71112223333', '--timezone=-4'); // (a bare -4 is refused as ambiguous by parseArgs)
    expect(res).toEqual({ code: 0, stdout: expect.any(String), stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual({
      username, company_key: company, name: 'Ann Smith', email: 'ann@example.com', phone: '+71112223333', timezone: -4, roles: ['USER', 'ADMIN'],
    });
    expect(res.stdout).not.toContain(password);
    const [rows] = await h.sequelize.query('SELECT password_hash, roles, timezone FROM account.users WHERE username = :username', { replacements: { username } });
    const row = (rows as { password_hash: string; roles: string[]; timezone: number }[])[0];
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain(password);
    expect(row).toEqual(expect.objectContaining({ roles: ['USER', 'ADMIN'], timezone: -4 }));
    // the account works: its password logs in
    const login = await h.call('post', '/account/token/generation', { body: { username, password } });
    expect(login.status).toBe(200);
  });

  it('refuses bad input with a non-zero exit and a message, writing nothing', async () => {
    const existing = await createUser(h);
    const name = unique('cli');
    const base = ['account', 'create-user', '--company-key', unique('co')];
    const cases: [string, string[], RegExp, string][] = [
      ['missing --password', [...base, '--username', name], /--password/, name],
      ['a username with a space', [...base, '--username', 'bad name', '--password', PW], /username/, 'bad name'],
      ['an unknown role', [...base, '--username', name, '--password', PW, '--roles', 'USER,KING'], /roles/, name],
      ['timezone 13', [...base, '--username', name, '--password', PW, '--timezone', '13'], /timezone/, name],
      ['a duplicate user', [...base, '--username', existing.username, '--password', PW], /already exists/, existing.username],
    ];
    const results = await Promise.all(cases.map(([, args]) => cli(...args)));
    for (const [i, [what, , message, username]] of cases.entries()) {
      const res = results[i];
      expect({ what, code: res.code === 0 ? 0 : 'non-zero', stdout: res.stdout }).toEqual({ what, code: 'non-zero', stdout: '' });
      expect(res.stderr).toMatch(/^error: /);
      expect(res.stderr).toMatch(message);
      expect(await users(username)).toBe(username === existing.username ? 1 : 0);
    }
    // the duplicate did not change the existing account: its password still logs in
    const login = await h.call('post', '/account/token/generation', { body: { username: existing.username, password: existing.password } });
    expect(login.status).toBe(200);
  });

  it('refuses an unknown service, command or flag with exit code 2 before touching the database', async () => {
    const name = unique('cli');
    const [svc, cmd, flag, none] = await Promise.all([
      cli('nosuch', 'create-user', '--username', name),
      cli('account', 'delete-user', '--username', name),
      cli('account', 'create-user', '--username', name, '--password', PW, '--company-key', 'abc', '--colour', 'red'),
      cli(),
    ]);
    expect(svc).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/unknown service "nosuch"/) });
    expect(cmd).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/unknown command "delete-user".*create-user, set-quota, record-usage/) });
    expect(flag).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/--colour/) });
    expect(none).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/usage/) });
    expect(await users(name)).toBe(0);
  });
});

describe('admin: account create-user (in-process)', () => {
  it('defaults to the USER role and timezone 0, upper-cases roles, and refuses more than two roles', async () => {
    const username = unique('u');
    const out = await run('create-user', { username, password: PW, 'company-key': unique('co') });
    expect(out).toEqual(expect.objectContaining({ username, roles: ['USER'], timezone: 0, name: null, email: null, phone: null }));
    const lower = unique('u');
    expect(await run('create-user', { username: lower, password: PW, 'company-key': unique('co'), roles: 'admin, bot' })).toEqual(expect.objectContaining({ roles: ['ADMIN', 'BOT'] }));
    const three = unique('u');
    await expect(run('create-user', { username: three, password: PW, 'company-key': unique('co'), roles: 'USER,ADMIN,BOT' })).rejects.toThrow(/roles/);
    await expect(run('create-user', { username: three, password: PW, 'company-key': unique('co'), roles: 'USER,USER' })).rejects.toThrow(/roles/);
    expect(await users(three)).toBe(0);
  });

  it('refuses other invalid fields', async () => {
    const username = unique('u');
    const co = unique('co');
    for (const flags of <Record<string, string>[]>[
      { username, password: PW, 'company-key': 'a b' }, { username, password: PW, 'company-key': 'ab' },
      { username, password: PW, 'company-key': co, timezone: 'three' }, { username, password: PW, 'company-key': co, timezone: '-13' },
      { username, password: PW, 'company-key': co, email: 'not-an-email' }, { username, password: '', 'company-key': co },
      { username: 'x', password: PW, 'company-key': co }, { username, password: PW, 'company-key': co, phone: '123' },
    ]) {
      await expect(run('create-user', flags)).rejects.toThrow();
    }
    expect(await users(username)).toBe(0);
    expect(await count(h, 'users', 'company_key = :co', { co })).toBe(0);
  });
});

describe('admin: account create-user applies the password rule of the API', () => {
  it.each([
    ['too short', () => 'short', /at least 8 characters/],
    ['the username', (u: string) => u, /username/],
    ['a common password', () => 'Password1', /common/],
    ['a run of digits', () => '12345678', /consecutive/],
  ])('refuses a password that is %s, naming the rule, and creates nobody', async (_what, make, message) => {
    const username = unique('u');
    await expect(run('create-user', { username, password: make(username), 'company-key': unique('co') })).rejects.toThrow(message);
    expect(await users(username)).toBe(0);
  });

  it('refuses it through the CLI too, with a non-zero exit', async () => {
    const username = unique('u');
    const res = await cli('account', 'create-user', '--username', username, '--password', 'a', '--company-key', unique('co'));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/password/);
    expect(await users(username)).toBe(0);
  });
});

describe('admin: account set-quota', () => {
  it('sets a quota through the CLI and refuses bad values', async () => {
    const u = await createUser(h);
    const ok = await cli('account', 'set-quota', '--username', u.username, '--service', 'UNIVERSAL', '--method-group', 'PLAN',
      '--points-per-request', '15', '--points-per-day', '1500', '--max-concurrent-execution', '5');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      username: u.username, service: 'UNIVERSAL', method_group: 'PLAN', points_per_request: 15, points_per_day: 1500, points_per_date_window: null, max_concurrent_execution: 5,
    });
    const negative = await cli('account', 'set-quota', '--username', u.username, '--service', 'UNIVERSAL', '--method-group', 'ACTUALIZE',
      '--points-per-request', '1', '--points-per-day=-5');
    expect(negative.code).not.toBe(0);
    expect(negative.stdout).toBe('');
    expect(negative.stderr).toMatch(/points_per_day/);
    const [rows] = await h.sequelize.query('SELECT service, method_group, points_per_request, points_per_day FROM account.quotas WHERE username = :u', { replacements: { u: u.username } });
    expect(rows).toEqual([{ service: 'UNIVERSAL', method_group: 'PLAN', points_per_request: 15, points_per_day: 1500 }]);
  });

  it('refuses an unknown service, method group, user, or values out of range (in-process)', async () => {
    const u = await createUser(h);
    const good = { username: u.username, service: 'ROUTING', 'method-group': 'ROUTE', 'points-per-request': '1', 'points-per-day': '2' };
    const bad: [Record<string, string>, RegExp][] = [
      [{ ...good, service: 'NOSUCH' }, /service/],
      [{ ...good, 'method-group': 'DRIVE' }, /method_group/],
      [{ ...good, username: unique('nobody') }, /no user/],
      [{ ...good, 'points-per-request': '-1' }, /points_per_request/],
      [{ ...good, 'points-per-request': '1000001' }, /points_per_request/],
      [{ ...good, 'points-per-day': '100000001' }, /points_per_day/],
      [{ ...good, 'points-per-day': '1.5' }, /integer/],
      [{ ...good, 'max-concurrent-execution': '1001' }, /max_concurrent_execution/],
      [{ ...good, 'points-per-date-window': '-1' }, /points_per_date_window/],
      [{ username: u.username, service: 'ROUTING', 'method-group': 'ROUTE', 'points-per-request': '1' }, /--points-per-day/],
    ];
    for (const [flags, message] of bad) await expect(run('set-quota', flags)).rejects.toThrow(message);
    expect(await count(h, 'quotas', 'username = :u', { u: u.username })).toBe(0);
    await run('set-quota', good);
    expect(await count(h, 'quotas', 'username = :u', { u: u.username })).toBe(1);
  });
});

describe('admin: account record-usage', () => {
  it('records a file of events with their payloads through the CLI', async () => {
    const u = await createUser(h, { timezone: 3 });
    const [c1, c2] = [crypto.randomUUID(), crypto.randomUUID()];
    const file = ndjson([
      usageEvent(u, { code: c1, time: '2024-02-04T22:30:00Z', points_count: 12, payloads: [{ flow_type: 'INPUT', json: { orders: [1, 2] } }, { flow_type: 'OUTPUT', stage: 2, content_type: 'text/csv', base64: Buffer.from('a,b').toString('base64') }] }),
      '',
      usageEvent(u, { code: c2, time: '2024-02-05T10:00:00Z', points_count: 3, service: 'ROUTING', method_group: 'MATRIX', duration: 'PT2M' }),
    ]);
    const res = await cli('account', 'record-usage', '--file', file);
    expect(res).toEqual({ code: 0, stdout: expect.any(String), stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual({ recorded: 2, payloads: 2 });
    const [rows] = await h.sequelize.query(
      `SELECT trace_code, service, method_group, points_count, duration, duration_ms, company_key FROM account.audit_actions
        WHERE username = :u AND service <> 'ACCOUNT' ORDER BY time`, { replacements: { u: u.username } });
    expect(rows).toEqual([
      { trace_code: c1, service: 'UNIVERSAL', method_group: 'PLAN', points_count: 12, duration: 'PT1.5S', duration_ms: 1500, company_key: u.companyKey },
      { trace_code: c2, service: 'ROUTING', method_group: 'MATRIX', points_count: 3, duration: 'PT2M', duration_ms: 120000, company_key: u.companyKey },
    ]);
    const [data] = await h.sequelize.query('SELECT flow_type, stage, content_type, payload FROM account.trace_data WHERE trace_code = :c ORDER BY flow_type', { replacements: { c: c1 } });
    expect(data).toEqual([
      { flow_type: 'INPUT', stage: 0, content_type: 'application/json', payload: Buffer.from('{"orders":[1,2]}') },
      { flow_type: 'OUTPUT', stage: 2, content_type: 'text/csv', payload: Buffer.from('a,b') },
    ]);
    // what was recorded is what the statistics answer, in the account's timezone
    const stats = await h.call('get', '/account/statistics', { token: u.token, query: { from: '2024-02-05', to: '2024-02-05' } });
    expect(stats.body.dates).toEqual([{ date: '2024-02-05', services: [
      { service: 'ROUTING', methods: [{ method_group: 'MATRIX', unique_points_per_day: 3, points_per_day: 3 }] },
      { service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 12, points_per_day: 12 }] },
    ] }]);
  });

  it('refuses a file with one bad line through the CLI, naming the line and recording nothing', async () => {
    const u = await createUser(h);
    const file = ndjson([usageEvent(u), usageEvent(u, { method_group: 'DANCE' }), usageEvent(u)]);
    const res = await cli('account', 'record-usage', '--file', file);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/line 2/);
    expect(res.stderr).not.toMatch(/line [13]\b/);
    expect(await actions(u)).toBe(0);
  });

  it('is all-or-nothing for every kind of bad line (in-process), and names its line', async () => {
    const u = await createUser(h);
    const stranger = await createUser(h);
    const good = usageEvent(u, { payloads: [{ flow_type: 'INPUT', json: [1] }] });
    const bad: [string, object | string, RegExp][] = [
      ['not JSON', '{"tracedata": ', /not JSON/],
      ['unknown method_group', usageEvent(u, { method_group: 'DANCE' }), /method_group/],
      ['unknown service', usageEvent(u, { service: 'KITCHEN' }), /service/],
      ['an unknown user', usageEvent({ username: unique('nobody'), companyKey: u.companyKey }), /no user/],
      ['a user of another company', usageEvent({ username: stranger.username, companyKey: u.companyKey }), /no user/],
      ['a client without _|_', { ...usageEvent(u), tracedata: { ...usageEvent(u).tracedata, client: `${u.companyKey}${u.username}` } }, /company_key_\|_username/],
      ['a code that is no uuid', usageEvent(u, { code: 'abc' }), /code/],
      ['a time without offset', usageEvent(u, { time: '2024-02-05T10:00:00' }), /time/],
      ['a time JavaScript cannot read', usageEvent(u, { time: '2016-12-31T23:59:60Z' }), /time/],
      ['a bad duration', usageEvent(u, { duration: 'two hours' }), /duration/],
      ['negative points', usageEvent(u, { points_count: -1 }), /points_count/],
      ['an unknown field', { ...usageEvent(u), extra: 1 }, /extra|additional/],
      ['a stage out of range', usageEvent(u, { payloads: [{ flow_type: 'INPUT', stage: 4, json: 1 }] }), /stage/],
      ['a payload with json and base64', usageEvent(u, { payloads: [{ flow_type: 'INPUT', json: 1, base64: 'AA==' }] }), /exactly one/],
      ['base64 without content_type', usageEvent(u, { payloads: [{ flow_type: 'INPUT', base64: 'AA==' }] }), /content_type/],
      ['a JSON payload that is no JSON', usageEvent(u, { payloads: [{ flow_type: 'INPUT', content_type: 'application/json', base64: Buffer.from('{oops').toString('base64') }] }), /must be JSON/],
    ];
    for (const [what, line, message] of bad) {
      const file = ndjson([good, '', line, good]);
      const err = await run('record-usage', { file }).then(() => undefined, (e: Error) => e);
      expect({ what, failed: err instanceof Error }).toEqual({ what, failed: true });
      expect({ what, message: err!.message }).toEqual({ what, message: expect.stringMatching(message) });
      expect({ what, message: err!.message }).toEqual({ what, message: expect.stringMatching(/line 3\b/) });
    }
    expect(await actions(u)).toBe(0);
    expect(await count(h, 'trace_data', 'username = :u', { u: u.username })).toBe(0);
    await expect(run('record-usage', {})).rejects.toThrow(/--file/);
    await expect(run('record-usage', { file: path.join(os.tmpdir(), `${unique('absent')}.ndjson`) })).rejects.toThrow(/cannot read/);
  });

  it('never lets another account overwrite the data stored under a trace code', async () => {
    const owner = await createUser(h);
    const other = await createUser(h);
    const code = crypto.randomUUID();
    await run('record-usage', { file: ndjson([usageEvent(owner, { code, payloads: [{ flow_type: 'INPUT', json: { mine: true } }] })]) });
    const err = await run('record-usage', { file: ndjson([usageEvent(other, { code, payloads: [{ flow_type: 'INPUT', json: { theirs: true } }] })]) })
      .then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/another account's data/);
    const [rows] = await h.sequelize.query('SELECT username, convert_from(payload, \'UTF8\') AS p FROM account.trace_data WHERE trace_code = :c', { replacements: { c: code } });
    expect(rows).toEqual([{ username: owner.username, p: '{"mine":true}' }]);
    expect(await actions(other)).toBe(0);
  });
});

describe('admin: quota enforcement at ingestion', () => {
  const quota = (u: TestUser, perDay = '40', perRequest = '20') => run('set-quota', {
    username: u.username, service: 'UNIVERSAL', 'method-group': 'PLAN', 'points-per-request': perRequest, 'points-per-day': perDay,
  });
  const plan = (u: TestUser, time: string, points: number) => usageEvent(u, { time, points_count: points });

  it('accepts usage up to points_per_day and refuses the file that would exceed it (CLI), recording nothing of it', async () => {
    const u = await createUser(h);
    await quota(u);
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-01T08:00:00Z', 15)]) })).toEqual({ recorded: 1, payloads: 0 });
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-01T09:00:00Z', 15)]) })).toEqual({ recorded: 1, payloads: 0 });
    const other = usageEvent(u, { time: '2024-03-01T10:00:00Z', points_count: 5, method_group: 'ACTUALIZE' }); // no quota for it
    const res = await cli('account', 'record-usage', '--file', ndjson([other, plan(u, '2024-03-01T10:00:00Z', 15)]));
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/line 2: quota exceeded: 45 points on 2024-03-01 .*points_per_day is 40/);
    expect(await actions(u)).toBe(2);
    // exactly up to the limit is fine
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-01T11:00:00Z', 10)]) })).toEqual({ recorded: 1, payloads: 0 });
    await expect(run('record-usage', { file: ndjson([plan(u, '2024-03-01T12:00:00Z', 1)]) })).rejects.toThrow(/quota exceeded/);
    // other method groups and services are not limited by it
    expect(await run('record-usage', { file: ndjson([other, usageEvent(u, { time: '2024-03-01T10:00:00Z', points_count: 500, service: 'ROUTING', method_group: 'PLAN' })]) }))
      .toEqual({ recorded: 2, payloads: 0 });
    expect(await actions(u)).toBe(5);
  });

  it('refuses an event over points_per_request', async () => {
    const u = await createUser(h);
    await quota(u);
    await expect(run('record-usage', { file: ndjson([plan(u, '2024-03-02T08:00:00Z', 5), plan(u, '2024-03-02T08:00:00Z', 21)]) }))
      .rejects.toThrow(/line 2: 21 points exceed points_per_request 20/);
    expect(await actions(u)).toBe(0);
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-02T08:00:00Z', 20)]) })).toEqual({ recorded: 1, payloads: 0 });
  });

  it('counts each day separately, within one file too, and refuses a file whose own events exceed the day', async () => {
    const u = await createUser(h);
    await quota(u);
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-03T08:00:00Z', 15), plan(u, '2024-03-03T09:00:00Z', 15)]) })).toEqual({ recorded: 2, payloads: 0 });
    // another day: its own 40
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-04T08:00:00Z', 20), plan(u, '2024-03-04T09:00:00Z', 20)]) })).toEqual({ recorded: 2, payloads: 0 });
    // three events of one new day in one file: the third exceeds, so none is recorded
    await expect(run('record-usage', { file: ndjson([plan(u, '2024-03-05T08:00:00Z', 15), plan(u, '2024-03-05T09:00:00Z', 15), plan(u, '2024-03-05T10:00:00Z', 15)]) }))
      .rejects.toThrow(/line 3: quota exceeded: 45 points on 2024-03-05/);
    expect(await actions(u)).toBe(4);
  });

  it('enforces the default plan on an account with no quota of its own, and only the own quotas once one is set', async () => {
    const u = await createUser(h);
    await expect(run('record-usage', { file: ndjson([plan(u, '2024-03-08T08:00:00Z', 16)]) })).rejects.toThrow(/line 1: 16 points exceed points_per_request 15 of UNIVERSAL\/PLAN/);
    const fifteen = Array.from({ length: 100 }, (_, i) => plan(u, `2024-03-08T08:${String(i % 60).padStart(2, '0')}:00Z`, 15)); // 1500, the day's limit
    expect(await run('record-usage', { file: ndjson(fifteen) })).toEqual({ recorded: 100, payloads: 0 });
    await expect(run('record-usage', { file: ndjson([plan(u, '2024-03-08T23:00:00Z', 1)]) })).rejects.toThrow(/quota exceeded: 1501 points on 2024-03-08 .*points_per_day is 1500/);
    await quota(u, '100000', '100'); // its own plan replaces the default
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-08T23:00:00Z', 100)]) })).toEqual({ recorded: 1, payloads: 0 });
    expect(await actions(u)).toBe(101);
  });

  it('counts far days exactly: the first and the last day there is, in the account\'s timezone', async () => {
    const u = await createUser(h, { timezone: -12 });
    await quota(u, '30', '20');
    const first = [plan(u, '0001-01-01T00:00:00-12:00', 20), plan(u, '0001-01-01T23:59:59.999-12:00', 10)];
    const last = [plan(u, '9999-12-31T00:00:00-12:00', 20), plan(u, '9999-12-31T23:59:59.999-12:00', 10)];
    expect(await run('record-usage', { file: ndjson([...first, ...last]) })).toEqual({ recorded: 4, payloads: 0 });
    await expect(run('record-usage', { file: ndjson([plan(u, '9999-12-31T12:00:00-12:00', 1)]) })).rejects.toThrow(/quota exceeded: 31 points on 9999-12-31/);
    await expect(run('record-usage', { file: ndjson([plan(u, '0001-01-01T12:00:00-12:00', 1)]) })).rejects.toThrow(/quota exceeded: 31 points on 0001-01-01/);
  });

  it('counts the day in the account\'s timezone', async () => {
    const u = await createUser(h, { timezone: 3 });
    await quota(u);
    await run('record-usage', { file: ndjson([plan(u, '2024-03-06T08:00:00Z', 20), plan(u, '2024-03-06T09:00:00Z', 15)]) }); // 35 on 03-06
    // 20:59 UTC is still 2024-03-06 at +3: refused; 21:00 UTC is 2024-03-07 at +3: accepted
    await expect(run('record-usage', { file: ndjson([plan(u, '2024-03-06T20:59:00Z', 10)]) })).rejects.toThrow(/quota exceeded: 45 points on 2024-03-06/);
    expect(await run('record-usage', { file: ndjson([plan(u, '2024-03-06T21:00:00Z', 10)]) })).toEqual({ recorded: 1, payloads: 0 });
    expect(await actions(u)).toBe(3);
  });
});

describe('admin: instants of ingested usage', () => {
  it('refuses, with the line named, a time that cannot be kept exactly: year 0000, a leap second, finer than milliseconds', async () => {
    const u = await createUser(h);
    const bad = ['0000-06-01T00:00:00Z', '2016-12-31T23:59:60Z', '2024-01-01T00:00:00.0001Z', '2024-01-01T00:00:00+24:00'];
    for (const time of bad) {
      await expect(run('record-usage', { file: ndjson([usageEvent(u, { time: '2024-01-01T00:00:00Z' }), usageEvent(u, { time })]) }))
        .rejects.toThrow(/line 2: .*tracedata\.time/);
    }
    expect(await actions(u)).toBe(0);
  });

  it('keeps every time RFC 3339 allows exactly, with its own offset', async () => {
    const u = await createUser(h, { timezone: 3 });
    const given = ['0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59.999-14:00', '2024-02-05t10:00:00.5-05:38', '2024-02-05 10:00:00+0538', '2024-02-05T10:00:00+05', '0099-03-01T00:00:00Z'];
    const answered = ['0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59.999-14:00', '2024-02-05T10:00:00.500-05:38', '2024-02-05T10:00:00+05:38', '2024-02-05T10:00:00+05:00', '0099-03-01T00:00:00Z'];
    const ids = given.map(() => crypto.randomUUID());
    await run('record-usage', { file: ndjson(given.map((time, i) => usageEvent(u, { code: ids[i], time }))) });
    const res = await h.call('get', '/account/audit', { token: u.token, query: { from: '0001-01-01T00:00:00+14:00', to: '9999-12-31T23:59:59.999-14:00', limit: 100 } });
    expect(res.status).toBe(200);
    const byCode = new Map(res.body.actions.map((a: { tracedata: { code: string; time: string } }) => [a.tracedata.code, a.tracedata.time]));
    expect(ids.map((c) => byCode.get(c))).toEqual(answered);
  });
});
