/** POST /b2b/api/v1/domain/users */
import { openPassHash } from '../../handlers/b2b/_crypto';
import { lockDomain } from '../../handlers/b2b/_upsert';
import { passHashOf } from '../../handlers/b2b/_token';
import { unique } from '../support/harness';
import {
  adminWorld, as, b2bHarness, count, createDomain, createGroup, createUser, expectFailure, expectSecurityEvent, header, membershipsOf, snapshot,
  type Harness,
} from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

const upsert = (authorization: string, data: unknown[]) => h.call('post', '/b2b/api/v1/domain/users', { ...as(authorization), body: { data } });
const row = async (uid: string) => {
  const [rows] = await h.sequelize.query('SELECT * FROM b2b.users WHERE uid = :u', { replacements: { u: uid } });
  return (rows as Record<string, any>[])[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe('upsert_users', () => {
  it('creates users, one true per item, recording the caller; a created user can authenticate with its pass_hash', async () => {
    const { domain, admin } = await adminWorld(h);
    const ph = passHashOf('secret-1');
    const res = await upsert(admin.header, [
      { uid: `ann@${domain}`, name: 'Ann', comment: 'c', email: 'ann@example.com', contacts: '+7 1', roles: 'USER,ALL_REPORTS_READ', tags: 't1, t2,t1',
        data: { dept: 7 }, pass_hash: ph, active_to: '2999-01-01T00:00:00+03:00' },
      { uid: 'bob', pass_hash: passHashOf('secret-2') },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ state: 'ok', size: 2, stamp: expect.any(String), data: [true, true] });
    const ann = await row(`ann@${domain}`);
    expect(ann).toEqual(expect.objectContaining({
      login: `ann@${domain}`, domain_uid: domain, name: 'Ann', comment: 'c', email: 'ann@example.com', contacts: '+7 1', state: 'ACTIVE',
      roles: ['USER', 'ALL_REPORTS_READ'], tags: ['t1', 't2'], data: { dept: 7 }, created_by: admin.uid, updated_by: admin.uid,
    }));
    expect(ann.active_to.toISOString()).toBe('2998-12-31T21:00:00.000Z');
    const bob = await row(`bob@${domain}`);
    expect(bob).toEqual(expect.objectContaining({ name: `bob@${domain}`, email: '', roles: [], data: {} }));
    const me = await h.call('get', '/b2b/api/v1/user', as(header(`ann@${domain}`, ph)));
    expect(me.status).toBe(200);
    expect(me.body.data[0]).toEqual(expect.objectContaining({ uid: `ann@${domain}`, name: 'Ann', tags: 't1,t2', created_by: admin.uid }));
  });

  it('updates only the fields an item carries, and keeps the pass_hash unless given', async () => {
    const { domain, admin } = await adminWorld(h);
    const u = await createUser(h, domain, { roles: 'USER' });
    await upsert(admin.header, [{ uid: u.uid, email: 'first@example.com', contacts: 'phone', data: { a: 1 } }]);
    const before = await row(u.uid);
    const res = await upsert(admin.header, [{ uid: u.uid, name: 'Renamed', data: { b: 2 } }]);
    expect(res.status).toBe(200);
    const after = await row(u.uid);
    expect(after).toEqual(expect.objectContaining({ name: 'Renamed', email: 'first@example.com', contacts: 'phone', roles: ['USER'], data: { b: 2 }, updated_by: admin.uid, created_by: 'system' }));
    expect(after.pass_hash_enc).toBe(before.pass_hash_enc);
    expect(after.updated_at.getTime()).toBeGreaterThanOrEqual(before.updated_at.getTime());
    expect((await h.call('get', '/b2b/api/v1/user', as(u.header))).status).toBe(200);
  });

  it('a new pass_hash replaces the old: old tokens fail with WrongHash, new ones work', async () => {
    const { domain, admin } = await adminWorld(h);
    const u = await createUser(h, domain, { roles: 'USER' });
    const ph = passHashOf('new password');
    expect((await upsert(admin.header, [{ uid: u.uid, pass_hash: ph }])).status).toBe(200);
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(u.header)), 401, 'SecurityAuthWrongHash');
    expect((await h.call('get', '/b2b/api/v1/user', as(header(u.uid, ph)))).status).toBe(200);
  });

  it('stores pass_hash encrypted (AES-GCM, bound to the uid) and never answers it', async () => {
    const { domain, admin } = await adminWorld(h);
    const ph = passHashOf(unique('pw'));
    await upsert(admin.header, [{ uid: `enc@${domain}`, pass_hash: ph, roles: 'USER' }]);
    const stored = (await row(`enc@${domain}`)).pass_hash_enc as string;
    expect(stored).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(stored).not.toContain(ph);
    expect(Buffer.from(stored.slice(3), 'base64').toString('latin1')).not.toContain(ph);
    const [[whole]] = await h.sequelize.query('SELECT row_to_json(u)::text AS j FROM b2b.users u WHERE uid = :u', { replacements: { u: `enc@${domain}` } }) as [Array<{ j: string }>, unknown];
    expect(whole.j).not.toContain(ph);
    expect(await openPassHash(`enc@${domain}`, stored)).toBe(ph);
    const res = await h.call('get', '/b2b/api/v1/user', { ...as(header(`enc@${domain}`, ph)), query: { _detailed: true } });
    expect(res.status).toBe(200);
    expect(res.raw.toString()).not.toContain(ph);
    expect(res.raw.toString()).not.toContain('pass_hash');
  });

  it('groups_refs adds to groups, removes with "!" and "-", ignores unknown groups', async () => {
    const { domain, admin } = await adminWorld(h);
    const [g1, g2, g3] = [await createGroup(h, domain, { name: 'G1' }), await createGroup(h, domain, { name: 'G2' }), await createGroup(h, domain, { name: 'G3' })];
    const uid = `carl@${domain}`;
    let res = await upsert(admin.header, [{ uid, pass_hash: passHashOf('x'), groups_refs: ['G1', `G2@${domain}`, 'G3', 'NO_SUCH_GROUP', '!ALSO_MISSING'] }]);
    expect(res.status).toBe(200);
    expect(await membershipsOf(h, uid)).toEqual([g1, g2, g3]);
    res = await upsert(admin.header, [{ uid, groups_refs: ['!G1', '-G2', 'G3'] }]);
    expect(res.status).toBe(200);
    expect(await membershipsOf(h, uid)).toEqual([g3]);
    res = await upsert(admin.header, [{ uid, name: 'no refs' }]);
    expect(await membershipsOf(h, uid)).toEqual([g3]);
    res = await upsert(admin.header, [{ uid, groups_refs: [`-G3@${domain}`, '!G1'] }]);
    expect(await membershipsOf(h, uid)).toEqual([]);
  });

  it('creates a user without pass_hash in ACTIVATION_REQUIRED; it cannot authenticate until a pass_hash activates it', async () => {
    const { domain, admin } = await adminWorld(h);
    const uid = `pending@${domain}`;
    const res = await upsert(admin.header, [{ uid, roles: 'USER' }, { uid: `held@${domain}`, roles: 'USER', state: 'BANNED' }]);
    expect(res.status).toBe(200);
    expect(await row(uid)).toEqual(expect.objectContaining({ state: 'ACTIVATION_REQUIRED', pass_hash_enc: null, roles: ['USER'] }));
    expect((await row(`held@${domain}`)).state).toBe('BANNED'); // a state given with the item is kept
    const ph = passHashOf('later');
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(header(uid, ph))), 403, 'SecurityAuthUserActivationRequired');
    // an update without pass_hash keeps it pending
    expect((await upsert(admin.header, [{ uid, name: 'Pending' }])).status).toBe(200);
    expect((await row(uid)).state).toBe('ACTIVATION_REQUIRED');
    // its first pass_hash activates it
    expect((await upsert(admin.header, [{ uid, pass_hash: ph }])).status).toBe(200);
    expect((await row(uid)).state).toBe('ACTIVE');
    expect(await openPassHash(uid, (await row(uid)).pass_hash_enc)).toBe(ph);
    expect((await h.call('get', '/b2b/api/v1/user', as(header(uid, ph)))).status).toBe(200);
    // a pass_hash given with an explicit state keeps that state; a later pass_hash change never touches the state
    const other = `explicit@${domain}`;
    await upsert(admin.header, [{ uid: other, roles: 'USER' }]);
    await upsert(admin.header, [{ uid: other, pass_hash: ph, state: 'ACTIVATION_REQUIRED' }]);
    expect((await row(other)).state).toBe('ACTIVATION_REQUIRED');
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(header(other, ph))), 403, 'SecurityAuthUserActivationRequired');
    await upsert(admin.header, [{ uid: other, pass_hash: passHashOf('newer') }]);
    expect((await row(other)).state).toBe('ACTIVATION_REQUIRED');
  });

  it('accepts active_from not before active_to: the user is simply never active', async () => {
    const { domain, admin } = await adminWorld(h);
    const uid = `never@${domain}`;
    const ph = passHashOf('x');
    const res = await upsert(admin.header, [{ uid, pass_hash: ph, roles: 'USER', active_from: '2030-01-01T00:00:00Z', active_to: '2020-01-01T00:00:00Z' }]);
    expect(res.status).toBe(200);
    expect((await row(uid)).active_to).toEqual(new Date('2020-01-01T00:00:00Z'));
    expectSecurityEvent(await h.call('get', '/b2b/api/v1/user', as(header(uid, ph))), 403, 'SecurityAuthUserInactive');
    expect((await upsert(admin.header, [{ uid, active_from: '2020-01-01T00:00:00Z', active_to: '2020-01-01T00:00:00Z' }])).status).toBe(200);
  });

  it('keeps far and odd active periods exactly, answered in UTC', async () => {
    const { domain, admin } = await adminWorld(h);
    const uid = `far@${domain}`;
    const ph = passHashOf('x');
    expect((await upsert(admin.header, [{ uid, pass_hash: ph, roles: 'USER', active_from: '0001-01-01T05:38:00.001-05:38', active_to: '9999-12-31T23:59:59.999Z' }])).status).toBe(200);
    const me = await h.call('get', '/b2b/api/v1/user', as(header(uid, ph)));
    expect(me.status).toBe(200);
    expect([me.body.data[0].active_from, me.body.data[0].active_to]).toEqual(['0001-01-01T11:16:00.001Z', '9999-12-31T23:59:59.999Z']);
  });

  it('an invalid item rolls the whole batch back: nothing is written', async () => {
    const { domain, admin } = await adminWorld(h);
    const g = await createGroup(h, domain, { name: 'TEAM' });
    const existing = await createUser(h, domain);
    const before = await snapshot(h, domain);
    const res = await upsert(admin.header, [
      { uid: `fresh@${domain}`, pass_hash: passHashOf('x'), groups_refs: ['TEAM'] },
      { uid: existing.uid, name: 'changed', groups_refs: ['TEAM'] },
      { uid: `far@${domain}`, pass_hash: passHashOf('x'), active_to: '9999-12-31T23:00:00-05:00' }, // 10000-01-01 in UTC
    ]);
    expectFailure(res, 400, 'Data', 'DataValidationError');
    expect(res.body.event.data.fields).toEqual([{ location: 'body', field: 'data.2.active_to', message: expect.stringContaining('9999') }]);
    expect(await snapshot(h, domain)).toEqual(before);
    expect(await count(h, 'users', 'uid = :u', { u: `fresh@${domain}` })).toBe(0);
    expect(await membershipsOf(h, existing.uid)).toEqual([]);
    expect(g).toBe(`TEAM@${domain}`);
  });

  it('an item breaking the spec or an unknown field: 400 and nothing written', async () => {
    const { domain, admin } = await adminWorld(h);
    const before = await snapshot(h, domain);
    const ok = { uid: `fine@${domain}`, pass_hash: passHashOf('x') };
    for (const bad of [
      { uid: 'bad uid', pass_hash: passHashOf('x') },
      { uid: `x@${domain}`, pass_hash: 'not base64!' },
      { uid: `x@${domain}`, pass_hash: passHashOf('x'), roles: 'admin' },
      { uid: `x@${domain}`, pass_hash: passHashOf('x'), state: 'DELETED' },
      { uid: `x@${domain}`, pass_hash: passHashOf('x'), password: 'plain' },
      { uid: `x@${domain}`, pass_hash: passHashOf('x'), active_from: '0000-01-01T00:00:00Z' },
    ]) {
      const res = await upsert(admin.header, [ok, bad]);
      expectFailure(res, 400, 'Data', 'DataValidationError');
    }
    expectFailure(await h.call('post', '/b2b/api/v1/domain/users', { ...as(admin.header), body: { data: [] } }), 400, 'Data', 'DataValidationError');
    expect(await snapshot(h, domain)).toEqual(before);
  });

  it('refuses a user of another domain with 403 SecurityForeignDomain, writing nothing, even when that user exists', async () => {
    const { domain, admin } = await adminWorld(h);
    const other = await createDomain(h);
    const victim = await createUser(h, other, { roles: 'USER' });
    const beforeOther = await snapshot(h, other);
    const beforeMine = await snapshot(h, domain);
    for (const item of [{ uid: victim.uid, name: 'hijacked', pass_hash: passHashOf('mine') }, { uid: `new@${other}`, pass_hash: passHashOf('x') }]) {
      const res = await upsert(admin.header, [{ uid: `mine@${domain}`, pass_hash: passHashOf('x') }, item]);
      expectFailure(res, 403, 'Security', 'SecurityForeignDomain');
      expect(res.body.event.data).toEqual({ field: 'data.1.uid', uid: item.uid, domain_uid: domain });
    }
    expect(await snapshot(h, other)).toEqual(beforeOther);
    expect(await snapshot(h, domain)).toEqual(beforeMine);
  });

  it('refuses a groups_refs entry of another domain, even as a removal', async () => {
    const { domain, admin } = await adminWorld(h);
    const other = await createDomain(h);
    const foreign = await createGroup(h, other);
    const before = await snapshot(h, domain);
    for (const ref of [foreign, `!${foreign}`]) {
      const res = await upsert(admin.header, [{ uid: `u@${domain}`, pass_hash: passHashOf('x'), groups_refs: [ref] }]);
      expectFailure(res, 403, 'Security', 'SecurityForeignDomain');
    }
    expect(await snapshot(h, domain)).toEqual(before);
  });

  it('needs ADMIN: refused without it (nothing written), accepted through a group or the domain', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const plain = await createUser(h, domain, { roles: 'DOMAIN_ADMIN' });
    const res = await upsert(plain.header, [{ uid: `x@${domain}`, pass_hash: passHashOf('x') }]);
    expectFailure(res, 403, 'Security', 'SecurityAccessDenied');
    expect(res.body.event.data).toEqual({ required_role: 'ADMIN' });
    expect(await count(h, 'users', 'uid = :u', { u: `x@${domain}` })).toBe(0);

    const admins = await createGroup(h, domain, { roles: 'ADMIN' });
    const viaGroup = await createUser(h, domain, { groups: admins });
    expect((await upsert(viaGroup.header, [{ uid: `y@${domain}`, pass_hash: passHashOf('y') }])).status).toBe(200);

    const adminDomain = await createDomain(h, { roles: 'ADMIN' });
    const viaDomain = await createUser(h, adminDomain);
    expect((await upsert(viaDomain.header, [{ uid: `z@${adminDomain}`, pass_hash: passHashOf('z') }])).status).toBe(200);
  });

  it('applies repeated uids of one batch in order', async () => {
    const { domain, admin } = await adminWorld(h);
    const res = await upsert(admin.header, [{ uid: `twice@${domain}`, pass_hash: passHashOf('x'), name: 'first' }, { uid: 'twice', name: 'second' }]);
    expect(res.body.data).toEqual([true, true]);
    expect((await row(`twice@${domain}`)).name).toBe('second');
  });
});

describe('upsert_users: bounded work per request', () => {
  const groupsUpsert = (authorization: string, data: unknown[]) => h.call('post', '/b2b/api/v1/domain/groups', { ...as(authorization), body: { data } });
  const env = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
  afterEach(() => {
    env('B2B_MAX_MEMBERSHIPS_PER_REQUEST', undefined);
    env('B2B_UPSERT_TIMEOUT_MS', undefined);
  });

  it('refuses more groups_refs in one request than B2B_MAX_MEMBERSHIPS_PER_REQUEST (10000) with 400 naming data; nothing written', async () => {
    const { domain, admin } = await adminWorld(h);
    await createGroup(h, domain, { name: 'G0' });
    const before = await snapshot(h, domain);
    const refs = Array.from({ length: 1000 }, (_, j) => `G${j}`);
    const big = Array.from({ length: 11 }, (_, i) => ({ uid: `many${i}@${domain}`, pass_hash: passHashOf('x'), groups_refs: refs }));
    const res = await upsert(admin.header, big);
    expectFailure(res, 400, 'Data', 'DataValidationError');
    expect(res.body.event.data.fields).toEqual([{ location: 'body', field: 'data', message: expect.stringContaining('10000') }]);
    expect(await snapshot(h, domain)).toEqual(before);

    env('B2B_MAX_MEMBERSHIPS_PER_REQUEST', '10');
    const item = (i: number, n: number) => ({ uid: `few${i}@${domain}`, pass_hash: passHashOf('x'), groups_refs: refs.slice(0, n) });
    expectFailure(await upsert(admin.header, [item(1, 4), item(2, 4), item(3, 3)]), 400, 'Data', 'DataValidationError');
    expect(await snapshot(h, domain)).toEqual(before);
    expect((await upsert(admin.header, [item(1, 5), item(2, 5)])).status).toBe(200);
    expect(await membershipsOf(h, `few1@${domain}`)).toEqual([`G0@${domain}`]);
  });

  it('writes memberships in bulk: a user joining 300 groups costs a few statements, not one per group', async () => {
    const { domain, admin } = await adminWorld(h);
    const names = Array.from({ length: 300 }, (_, j) => `T${String(j).padStart(3, '0')}`);
    expect((await groupsUpsert(admin.header, names.map((uid) => ({ uid })))).status).toBe(200);
    const statements: string[] = [];
    const options = (h.sequelize as unknown as { options: { logging?: unknown } }).options;
    const previous = options.logging;
    options.logging = (sql: string) => { if (/user_groups/.test(sql)) statements.push(sql); };
    let res;
    try {
      res = await upsert(admin.header, [
        { uid: `bulk@${domain}`, pass_hash: passHashOf('x'), groups_refs: names },
        { uid: `bulk2@${domain}`, pass_hash: passHashOf('x'), groups_refs: names.slice(0, 10) },
      ]);
    } finally {
      options.logging = previous;
    }
    expect(res.status).toBe(200);
    expect(statements.length).toBeLessThanOrEqual(4);
    expect(await membershipsOf(h, `bulk@${domain}`)).toEqual(names.map((n) => `${n}@${domain}`));
    expect(await membershipsOf(h, `bulk2@${domain}`)).toEqual(names.slice(0, 10).map((n) => `${n}@${domain}`));
  });

  it('applies the groups_refs of a batch in order: the last mention of a user and group decides', async () => {
    const { domain, admin } = await adminWorld(h);
    const [a, b, c] = [await createGroup(h, domain, { name: 'A' }), await createGroup(h, domain, { name: 'B' }), await createGroup(h, domain, { name: 'C' })];
    const uid = `order@${domain}`;
    const res = await upsert(admin.header, [
      { uid, pass_hash: passHashOf('x'), groups_refs: ['A', 'B', '!A', 'C'] },
      { uid: 'order', groups_refs: ['A', '-C', 'C', '!B'] },
      { uid: `other@${domain}`, pass_hash: passHashOf('x'), groups_refs: ['B', '!B', 'B'] },
    ]);
    expect(res.status).toBe(200);
    expect(await membershipsOf(h, uid)).toEqual([a, c]);
    expect(await membershipsOf(h, `other@${domain}`)).toEqual([b]);
  });

  it('gives up after B2B_UPSERT_TIMEOUT_MS behind a held domain lock: 503, nothing written', async () => {
    const { domain, admin } = await adminWorld(h);
    const before = await snapshot(h, domain);
    env('B2B_UPSERT_TIMEOUT_MS', '300');
    const t = await h.sequelize.transaction();
    try {
      await lockDomain(domain, t);
      const started = Date.now();
      const res = await upsert(admin.header, [{ uid: `late@${domain}`, pass_hash: passHashOf('x') }]);
      expectFailure(res, 503, 'Global', 'GenericSystemError');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await t.rollback();
    }
    expect(await snapshot(h, domain)).toEqual(before);
    env('B2B_UPSERT_TIMEOUT_MS', undefined);
    expect((await upsert(admin.header, [{ uid: `late@${domain}`, pass_hash: passHashOf('x') }])).status).toBe(200);
  }, 30000);
});
