/** Operator commands of the b2b service (handlers/b2b/_admin.ts), run as scripts/admin.ts runs them, and once through the CLI. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { commands } from '../../handlers/b2b/_admin';
import { passHashOf } from '../../handlers/b2b/_token';
import { AdminError } from '../../lib/admin';
import { specValidator } from '../../lib/spec-schemas';
import { unique } from '../support/harness';
import { adminWorld, as, b2bHarness, createDomain, expectSecurityEvent, header, membershipsOf, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

const run = (name: string, flags: Record<string, string | undefined>) => commands[name].run(flags, h.sequelize) as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const valid = (schema: string, value: unknown) => {
  const validate = specValidator('b2b').schema(schema);
  return validate(structuredClone(value)) ? null : validate.errors;
};

describe('b2b admin commands', () => {
  it('create-domain answers the domain in its wire shape; roles are upper-cased', async () => {
    const uid = unique('adm');
    const out = await run('create-domain', { uid, name: 'Acme', roles: 'client, user', tags: 'a,b' });
    expect(valid('domain', out)).toBeNull();
    expect(out).toEqual(expect.objectContaining({ uid, name: 'Acme', roles: 'CLIENT,USER', tags: 'a,b', state: 'ACTIVE', created_by: 'system' }));
  });

  it('create-domain refuses a duplicate, a bad uid, bad roles or state', async () => {
    const uid = await createDomain(h);
    for (const flags of [{ uid }, { uid: 'bad uid' }, { uid: unique('d'), roles: 'a b' }, { uid: unique('d'), state: 'GONE' }, {}]) {
      await expect(run('create-domain', flags)).rejects.toBeInstanceOf(AdminError);
    }
  });

  it('create-group qualifies the uid with --domain and refuses unknown domains and duplicates', async () => {
    const domain = await createDomain(h);
    const out = await run('create-group', { uid: 'STAFF', domain, roles: 'USER' });
    expect(valid('group', out)).toBeNull();
    expect(out).toEqual(expect.objectContaining({ uid: `STAFF@${domain}`, name: 'STAFF', roles: 'USER' }));
    for (const flags of [{ uid: 'STAFF', domain }, { uid: 'LOOSE' }, { uid: 'X@nowhere_domain' }, { uid: `X@${domain}`, domain: 'other' }]) {
      await expect(run('create-group', flags)).rejects.toBeInstanceOf(AdminError);
    }
  });

  it('create-user answers the detailed user without pass_hash; the user can authenticate', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    await run('create-group', { uid: 'OPS', domain, roles: 'OPERATOR' });
    const uid = `${unique('op')}@${domain}`;
    const out = await run('create-user', { uid, password: 'pa55', roles: 'admin', groups: 'OPS', email: 'op@example.com', name: 'Op' });
    expect(valid('user', out)).toBeNull();
    expect(out).toEqual(expect.objectContaining({ uid, login: uid, roles: 'ADMIN', email: 'op@example.com', name: 'Op', state: 'ACTIVE' }));
    expect(out.groups.map((g: { uid: string }) => g.uid)).toEqual([`OPS@${domain}`]);
    expect(JSON.stringify(out)).not.toContain(passHashOf('pa55'));
    expect(await membershipsOf(h, uid)).toEqual([`OPS@${domain}`]);
    expect((await h.call('get', '/b2b/api/v1/user', as(header(uid, passHashOf('pa55'))))).status).toBe(200);
    const byHash = await run('create-user', { uid: `${unique('h')}@${domain}`, 'pass-hash': 'ICy5YqxZB1uWSwcVLSNLcA==' });
    expect((await h.call('get', '/b2b/api/v1/user', as(header(byHash.uid, passHashOf('123'))))).status).toBe(200);
  });

  it('create-user refuses bad input', async () => {
    const domain = await createDomain(h);
    const other = await createDomain(h);
    await run('create-group', { uid: 'THEIRS', domain: other });
    const taken = `${unique('t')}@${domain}`;
    await run('create-user', { uid: taken, password: 'x' });
    for (const flags of [
      { uid: taken, password: 'x' },
      { uid: 'nodomain', password: 'x' },
      { uid: `${unique('u')}@no_such_domain`, password: 'x' },
      { uid: `${unique('u')}@${domain}` },
      { uid: `${unique('u')}@${domain}`, password: 'x', 'pass-hash': passHashOf('x') },
      { uid: `${unique('u')}@${domain}`, 'pass-hash': 'not base64!' },
      { uid: `${unique('u')}@${domain}`, password: 'x', groups: 'MISSING' },
      { uid: `${unique('u')}@${domain}`, password: 'x', groups: `THEIRS@${other}` },
      { uid: `${unique('u')}@${domain}`, password: 'x', state: 'SLEEPING' },
      { uid: `${unique('u')}@${domain}`, password: 'x', email: 'no-at-sign' },
    ]) {
      await expect(run('create-user', flags)).rejects.toBeInstanceOf(AdminError);
    }
    const [rows] = await h.sequelize.query('SELECT uid FROM b2b.users WHERE domain_uid = :d', { replacements: { d: domain } });
    expect(rows).toEqual([{ uid: taken }]);
  });

  it('set-state bans a user and set-password replaces the pass_hash', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const uid = `${unique('s')}@${domain}`;
    await run('create-user', { uid, password: 'one' });
    expect((await run('set-state', { uid, state: 'BANNED' })).state).toBe('BANNED');
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(header(uid, passHashOf('one')))), 403, 'SecurityAuthUserBanned');
    await run('set-state', { uid, state: 'ACTIVE' });
    await run('set-password', { uid, password: 'two' });
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(header(uid, passHashOf('one')))), 401, 'SecurityAuthWrongHash');
    expect((await h.call('get', '/b2b/api/v1/user', as(header(uid, passHashOf('two'))))).status).toBe(200);
    await expect(run('set-state', { uid: `nobody@${domain}`, state: 'ACTIVE' })).rejects.toBeInstanceOf(AdminError);
    await expect(run('set-state', { uid, state: 'ASLEEP' })).rejects.toBeInstanceOf(AdminError);
  });

  it('set-password activates a user created without a pass_hash', async () => {
    const { domain, admin } = await adminWorld(h);
    const uid = `${unique('p')}@${domain}`;
    const res = await h.call('post', '/b2b/api/v1/domain/users', { ...as(admin.header), body: { data: [{ uid, roles: 'USER' }] } });
    expect(res.status).toBe(200);
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(header(uid, passHashOf('pw')))), 403, 'SecurityAuthUserActivationRequired');
    expect((await run('set-password', { uid, password: 'pw' })).state).toBe('ACTIVE');
    expect((await h.call('get', '/b2b/api/v1/user', as(header(uid, passHashOf('pw'))))).status).toBe(200);
  });

  it('token prints an Authorization header that authenticates', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const uid = `${unique('k')}@${domain}`;
    await run('create-user', { uid, password: 'tok' });
    const out = await run('token', { uid, password: 'tok', age: '600' });
    expect(out).toEqual({ user: uid, stamp: expect.any(Number), age: 600, token: expect.any(String), header: `AR-REST ${out.token}` });
    expect((await h.call('get', '/b2b/api/v1/user', as(out.header))).status).toBe(200);
    await expect(run('token', { uid, password: 'tok', age: '0' })).rejects.toBeInstanceOf(AdminError);
  });

  it('runs through npm run admin: JSON on stdout, exit 1 and a message for bad input', async () => {
    const root = path.resolve(__dirname, '../..');
    const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(path.join(root, 'node_modules/.bin/tsx'), ['scripts/admin.ts', 'b2b', ...args], { cwd: root, env: process.env }, (err, stdout, stderr) =>
        resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
    });
    const uid = unique('cli');
    const ok = await cli(['create-domain', '--uid', uid, '--roles', 'CLIENT,USER']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(expect.objectContaining({ uid, roles: 'CLIENT,USER' }));
    const bad = await cli(['create-user', '--uid', `x@${uid}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error: give exactly one of --password, --pass-hash/);
  }, 60_000);
});
