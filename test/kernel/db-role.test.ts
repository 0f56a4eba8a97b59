/**
 * Least privilege (issue 11, item 5): with `migrate`, openDatabase migrates as the connecting role and pools as
 * conformant_app, which is no superuser, owns nothing, creates nothing, cannot read pg_authid, and still does every
 * request's work: unscoped (all tenants) as itself, tenant-scoped as conformant_tenant under row-level security.
 * The embedded default is checked on a cluster of its own, where the role's password is really asked for (SCRAM).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { QueryTypes, type Sequelize } from 'sequelize';
import { APP_ROLE, openDatabase, type Database } from '../../lib/db';
import { pgCtl } from '../../lib/embedded-pg';
import { readKeyFile } from '../../lib/keys';
import { eventually, harness } from '../support/harness';
import { createUser as createAccountUser } from '../account/_fixtures';
import { adminWorld, as, header } from '../b2b/_fixtures';
import { passHashOf } from '../../handlers/b2b/_token';

const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-keys-'));
const saved = { KEYS_DIR: process.env.KEYS_DIR, APP_DATABASE_URL: process.env.APP_DATABASE_URL };
const ownerUrl = process.env.DATABASE_URL!;

beforeAll(() => {
  process.env.KEYS_DIR = keysDir;
  delete process.env.APP_DATABASE_URL;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(keysDir, { recursive: true, force: true });
});

async function sqlState(db: Sequelize, sql: string): Promise<string | undefined> {
  try {
    await db.query(sql);
    return undefined;
  } catch (e) {
    return (e as { original?: { code?: string } }).original?.code ?? String(e);
  }
}

async function asOwner<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function expectLeastPrivilege(db: Database) {
  const me = await db.sequelize.query<{ user: string; rolsuper: boolean; rolinherit: boolean; owned: number }>(
    `SELECT current_user AS user, r.rolsuper, r.rolinherit,
            (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) + (SELECT count(*)::int FROM pg_namespace WHERE nspowner = r.oid) AS owned
       FROM pg_roles r WHERE r.rolname = current_user`, { type: QueryTypes.SELECT, plain: true });
  expect(me).toEqual({ user: APP_ROLE, rolsuper: false, rolinherit: false, owned: 0 });
  // no DDL anywhere, no catalogue of password hashes, no migration bookkeeping
  expect(await sqlState(db.sequelize, 'CREATE TABLE account.planted (id int)')).toBe('42501');
  expect(await sqlState(db.sequelize, 'CREATE TABLE b2b.planted (id int)')).toBe('42501');
  expect(await sqlState(db.sequelize, 'CREATE TABLE public.planted (id int)')).toBe('42501');
  expect(await sqlState(db.sequelize, 'CREATE SCHEMA planted')).toBe('42501');
  expect(await sqlState(db.sequelize, 'SELECT rolpassword FROM pg_authid')).toBe('42501');
  expect(await sqlState(db.sequelize, 'SELECT * FROM public.schema_migrations')).toBe('42501');
  expect(await sqlState(db.sequelize, 'DROP TABLE account.users')).toBe('42501');
  expect(await sqlState(db.sequelize, 'TRUNCATE account.users')).toBe('42501');
  // the keys are no longer in the database at all
  const settings = await db.sequelize.query<{ account: string | null; b2b: string | null }>(
    "SELECT to_regclass('account.settings')::text AS account, to_regclass('b2b.settings')::text AS b2b", { type: QueryTypes.SELECT, plain: true });
  expect(settings).toEqual({ account: null, b2b: null });
}

describe('the pool of openDatabase({ migrate: true })', () => {
  it('connects as conformant_app, which owns nothing and cannot create tables or read pg_authid', async () => {
    const db = await openDatabase({ url: ownerUrl, migrate: true });
    try {
      await expectLeastPrivilege(db);
    } finally {
      await db.close();
    }
  });

  it('still does the requests\' work: unscoped across tenants as itself, one tenant under RLS as conformant_tenant', async () => {
    const [a, b] = [`rolea_${Date.now()}`, `roleb_${Date.now()}`];
    await asOwner((c) => c.query(`INSERT INTO b2b.domains (uid, name, roles, state) VALUES ($1, $1, '{USER}', 'ACTIVE'), ($2, $2, '{USER}', 'ACTIVE')`, [a, b]));
    const db = await openDatabase({ url: ownerUrl, migrate: true });
    try {
      const all = await db.sequelize.query<{ uid: string }>('SELECT uid FROM b2b.domains WHERE uid IN (:a, :b) ORDER BY uid',
        { replacements: { a, b }, type: QueryTypes.SELECT });
      expect(all.map((r) => r.uid)).toEqual([a, b]);
      await db.sequelize.query("UPDATE b2b.domains SET name = 'renamed' WHERE uid = :a", { replacements: { a } });

      const scoped = await db.sequelize.transaction(async (transaction) => {
        await db.sequelize.query("SELECT set_config('role', 'conformant_tenant', true), set_config('app.tenant', :a, true)",
          { replacements: { a }, transaction });
        return db.sequelize.query<{ uid: string; name: string; user: string }>(
          'SELECT uid, name, current_user AS user FROM b2b.domains WHERE uid IN (:a, :b)', { replacements: { a, b }, type: QueryTypes.SELECT, transaction });
      });
      expect(scoped).toEqual([{ uid: a, name: 'renamed', user: 'conformant_tenant' }]);
    } finally {
      await db.close();
      await asOwner((c) => c.query('DELETE FROM b2b.domains WHERE uid IN ($1, $2)', [a, b]));
    }
  });

  it('serves the services\' requests, admin commands and background jobs through conformant_app alone', async () => {
    const db = await openDatabase({ url: ownerUrl, migrate: true });
    const app = new URL(ownerUrl);
    app.username = APP_ROLE;
    app.password = readKeyFile('database.app_password')!;
    process.env.DATABASE_URL = app.toString(); // the harness's pool: the application role's
    const h = await harness(['account', 'b2b']);
    try {
      expect((await h.sequelize.query('SELECT current_user AS u', { plain: true }))?.u).toBe(APP_ROLE);
      // account: an admin command, a login (throttle, token key), a tenant read, the audit outbox moved by its job
      const user = await createAccountUser(h);
      expect((await h.call('get', '/account/info', { token: user.token })).status).toBe(200);
      await eventually(async () => {
        const res = await h.call('get', '/account/audit', { token: user.token });
        expect(res.status).toBe(200);
        expect(res.body.statistics.overall.total).toBeGreaterThanOrEqual(1); // the login, moved from the outbox by the job
      });
      // b2b: admin commands, an AR-REST login, a batch upsert (advisory lock, sealed pass_hash), the new user's login
      const { domain, admin } = await adminWorld(h);
      const ph = passHashOf('secret-1');
      const up = await h.call('post', '/b2b/api/v1/domain/users', { ...as(admin.header), body: { data: [{ uid: `ann@${domain}`, roles: 'USER', pass_hash: ph }] } });
      expect([up.status, up.body.data]).toEqual([200, [true]]);
      expect((await h.call('get', '/b2b/api/v1/user', as(header(`ann@${domain}`, ph)))).status).toBe(200);
    } finally {
      await h.close();
      process.env.DATABASE_URL = ownerUrl;
      await db.close();
    }
  });

  it('keeps its password in a 0600 key file, reused by the next start', async () => {
    const file = path.join(keysDir, 'database.app_password.key');
    const first = await openDatabase({ url: ownerUrl, migrate: true });
    await first.close();
    const password = fs.readFileSync(file, 'utf8');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(keysDir).mode & 0o777).toBe(0o700);
    const second = await openDatabase({ url: ownerUrl, migrate: true });
    try {
      expect(fs.readFileSync(file, 'utf8')).toBe(password);
      expect((await second.sequelize.query('SELECT current_user AS u', { plain: true }))?.u).toBe(APP_ROLE);
    } finally {
      await second.close();
    }
  });

  it('with APP_DATABASE_URL naming the owner, refuses to start rather than pool as the owner', async () => {
    process.env.APP_DATABASE_URL = ownerUrl;
    try {
      await expect(openDatabase({ url: ownerUrl, migrate: true })).rejects.toThrow(/must not be the migrating role/);
    } finally {
      delete process.env.APP_DATABASE_URL;
    }
  });

  it('with APP_DATABASE_URL, pools as that role after granting it', async () => {
    // a role the operators made (here: by hand, with a password of their own)
    const role = 'conformant_app_ops';
    await asOwner(async (c) => {
      await c.query(`DO $$ BEGIN CREATE ROLE ${role} LOGIN PASSWORD 'ops-secret-1'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    });
    const url = new URL(ownerUrl);
    url.username = role;
    url.password = 'ops-secret-1';
    process.env.APP_DATABASE_URL = url.toString();
    try {
      const db = await openDatabase({ url: ownerUrl, migrate: true });
      try {
        expect((await db.sequelize.query('SELECT current_user AS u', { plain: true }))?.u).toBe(role);
        expect(await sqlState(db.sequelize, 'SELECT count(*) FROM account.users')).toBeUndefined();
        expect(await sqlState(db.sequelize, 'CREATE TABLE account.planted (id int)')).toBe('42501');
      } finally {
        await db.close();
      }
    } finally {
      delete process.env.APP_DATABASE_URL;
    }
  });
});

describe('the embedded default', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-role-'));
  const savedUrl = process.env.DATABASE_URL;
  beforeAll(() => { delete process.env.DATABASE_URL; });
  afterAll(async () => {
    process.env.DATABASE_URL = savedUrl;
    await pgCtl(dir, ['stop', '-m', 'immediate', '-w']).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pools as conformant_app with its password asked for, across restarts and after the password was changed', async () => {
    const onLost = () => undefined;
    const first = await openDatabase({ dataDir: dir, migrate: true, onLost });
    const ownerOfCluster = first.url;
    try {
      await expectLeastPrivilege(first);
      // SCRAM is really asked for: a wrong password is refused
      const wrong = new URL(ownerOfCluster);
      wrong.username = APP_ROLE;
      wrong.password = 'not-the-key';
      const c = new Client({ connectionString: wrong.toString() });
      await expect(c.connect()).rejects.toMatchObject({ code: '28P01' });
      await c.end().catch(() => undefined);
    } finally {
      await first.close();
    }

    const second = await openDatabase({ dataDir: dir, migrate: true, onLost });
    try {
      expect((await second.sequelize.query('SELECT current_user AS u', { plain: true }))?.u).toBe(APP_ROLE);
      // someone changes the role's password: the next start sets this key store's again
      const owner = new Client({ connectionString: ownerOfCluster });
      await owner.connect();
      await owner.query(`ALTER ROLE ${APP_ROLE} PASSWORD 'changed-elsewhere'`);
      await owner.end();
    } finally {
      await second.close();
    }
    const third = await openDatabase({ dataDir: dir, migrate: true, onLost });
    try {
      expect((await third.sequelize.query('SELECT current_user AS u', { plain: true }))?.u).toBe(APP_ROLE);
    } finally {
      await third.close();
    }
  });
});
