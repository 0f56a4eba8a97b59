/**
 * The account principal cache (issue 13): a warm GET /account/info costs one statement (its audit write), and the
 * cache never serves a revoked token: not on the process that changed the password, not on another process, and not
 * even when the change's notification never arrives (the guard in the request's first statement refuses it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import { freePort } from '../../lib/ports';
import { accountHarness, createUser, type Harness } from '../account/_fixtures';
import { runScript, type Script } from '../mock/_process';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

/** Statements sent by the pg driver while fn runs, minus the harness's audit outbox job. */
async function statements(fn: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    sent.push(typeof q === 'string' ? q : (q?.text ?? '?'));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    Client.prototype.query = original;
  }
  return sent.filter((s) => !/audit_outbox (WHERE id > \d+ )?ORDER BY id LIMIT/.test(s));
}

const actions = async (username: string, operation: string) => Number((await h.sequelize.query<{ n: number }>(
  `SELECT (SELECT count(*) FROM account.audit_outbox WHERE username = :u AND operation = :o)
        + (SELECT count(*) FROM account.audit_actions WHERE username = :u AND operation = :o) AS n`,
  { replacements: { u: username, o: operation }, type: QueryTypes.SELECT }))[0].n);

/** A change of the user's row that fires no trigger, hence no notification: only the guard can catch it. */
async function silently(sql: string, username: string): Promise<void> {
  await h.sequelize.transaction(async (transaction) => {
    await h.sequelize.query('SET LOCAL session_replication_role = replica', { transaction });
    await h.sequelize.query(sql, { replacements: { u: username }, transaction });
  });
}

describe('one process', () => {
  it('a warm GET /account/info sends one statement: the audit write', async () => {
    const u = await createUser(h);
    // the first calls read the user (the listener starts with the first one; nothing is cached until it listens)
    let sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      sent = await statements(async () => expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200));
      if (sent.length === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/INSERT INTO account\.audit_outbox/);
    // and it stays warm
    expect(await statements(async () => expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200))).toHaveLength(1);
  });

  it('refuses a cached token whose epoch changed without any notification, databaseFree or in a unit of work', async () => {
    const u = await createUser(h);
    for (const path of ['/account/info', '/account/quota']) expect((await h.call('get', path, { token: u.token })).status).toBe(200);
    const before = { info: await actions(u.username, 'read_info'), quota: await actions(u.username, 'read_quota') };
    await silently('UPDATE account.users SET token_epoch = token_epoch + 1 WHERE username = :u', u.username);
    for (const path of ['/account/info', '/account/quota']) {
      const res = await h.call('get', path, { token: u.token });
      expect(res.status).toBe(401);
      expect(res.body.tracedata.client).toBe('anonymous'); // answered as for any token that does not stand
    }
    // neither call is recorded as the user's action
    expect(await actions(u.username, 'read_info')).toBe(before.info);
    expect(await actions(u.username, 'read_quota')).toBe(before.quota);
  });

  it('refuses a cached principal whose roles or company changed silently', async () => {
    const u = await createUser(h, { roles: 'USER,ADMIN' });
    expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
    await silently("UPDATE account.users SET roles = ARRAY['USER'] WHERE username = :u", u.username);
    expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(401);
  });

  it('a changed name is answered at once by the process that changed it', async () => {
    const u = await createUser(h);
    expect((await h.call('get', '/account/info', { token: u.token })).body.name).toBeNull();
    expect((await h.call('put', '/account/info', { token: u.token, body: { username: u.username, company_key: u.companyKey, name: 'Renamed' } })).status).toBe(200);
    expect((await h.call('get', '/account/info', { token: u.token })).body.name).toBe('Renamed');
  });

  it('a token issued after a password change works at once although the cache holds the older epoch', async () => {
    const u = await createUser(h);
    expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
    const changed = await h.call('post', '/account/password', { token: u.token, body: { current_password: u.password, new_password: 'Fresh-pass-42!x' } });
    expect(changed.status).toBe(200);
    expect((await h.call('get', '/account/info', { token: changed.body as string })).status).toBe(200);
    expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(401);
  });
});

describe('two server processes on one database', () => {
  const servers: Script[] = [];
  let keysDir: string;
  afterAll(async () => {
    for (const s of servers) s.kill();
    if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    const port = await freePort();
    const s = runScript('scripts/server.ts', [], {
      DATABASE_URL: process.env.DATABASE_URL, PORT: String(port), HOST: '127.0.0.1', SERVICES: 'account', KEYS_DIR: process.env.KEYS_DIR ?? keysDir, LOG_LEVEL: 'info',
    });
    servers.push(s);
    await s.line(/"msg":"listening"/, 90_000);
    return `http://127.0.0.1:${port}`;
  }

  const info = (base: string, token: string) => fetch(`${base}/account/info`, { headers: { Authorization: `Bearer ${token}` } })
    .then(async (r) => ({ status: r.status, body: await r.json() as { name?: string } }));

  it('a password change on one process refuses the older token on both at once; the new token works on both', async () => {
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-cache-keys-'));
    const a = await start();
    const b = await start();
    const u = await createUser(h); // made through the admin code; its token comes from the harness, whose key differs
    const login = await fetch(`${a}/account/token/generation`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: u.username, password: u.password }) });
    expect(login.status).toBe(200);
    const old = (await login.json()) as string;
    for (const base of [a, b, a, b]) expect((await info(base, old)).status).toBe(200); // both caches warm

    const changed = await fetch(`${a}/account/password`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${old}` },
      body: JSON.stringify({ current_password: u.password, new_password: 'Another-pass-77!' }) });
    expect(changed.status).toBe(200);
    const fresh = (await changed.json()) as string;
    // at once, on both: no waiting for the notification
    const [onB, onA] = await Promise.all([info(b, old), info(a, old)]);
    expect([onB.status, onA.status]).toEqual([401, 401]);
    expect((await info(b, fresh)).status).toBe(200);
    expect((await info(a, fresh)).status).toBe(200);

    // a revocation that fires no notification at all (no trigger) is refused on both as well
    for (const base of [a, b]) expect((await info(base, fresh)).status).toBe(200);
    await silently('UPDATE account.users SET token_epoch = token_epoch + 1 WHERE username = :u', u.username);
    const [silentB, silentA] = await Promise.all([info(b, fresh), info(a, fresh)]);
    expect([silentB.status, silentA.status]).toEqual([401, 401]);
  }, 180_000);
});
