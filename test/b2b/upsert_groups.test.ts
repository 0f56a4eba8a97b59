/** POST /b2b/api/v1/domain/groups */
import { as, adminWorld, b2bHarness, count, createDomain, createGroup, createUser, expectFailure, snapshot, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

const upsert = (authorization: string, data: unknown[]) => h.call('post', '/b2b/api/v1/domain/groups', { ...as(authorization), body: { data } });
const groupRow = async (uid: string) => {
  const [rows] = await h.sequelize.query('SELECT uid, domain_uid, name, comment, roles, tags, created_by, updated_by, active_from, active_to FROM b2b.groups WHERE uid = :u', { replacements: { u: uid } });
  return (rows as Record<string, unknown>[])[0];
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const row = async (uid: string) => (await groupRow(uid)) as Record<string, any>;

describe('upsert_groups', () => {
  it('creates groups qualified with the caller\'s domain, one true per item', async () => {
    const { domain, admin } = await adminWorld(h);
    const res = await upsert(admin.header, [
      { uid: 'USERS', name: 'Пользователи', roles: 'USER' },
      { uid: `OPERATORS@${domain}`, roles: 'OPERATOR,USER', tags: 'ops', comment: 'night shift', active_from: '2000-01-01T00:00:00Z' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ state: 'ok', size: 2, stamp: expect.any(String), data: [true, true] });
    expect(await groupRow(`USERS@${domain}`)).toEqual(expect.objectContaining({
      domain_uid: domain, name: 'Пользователи', comment: '', roles: ['USER'], tags: [], created_by: admin.uid, updated_by: admin.uid,
    }));
    expect(await groupRow(`OPERATORS@${domain}`)).toEqual(expect.objectContaining({
      name: 'OPERATORS', comment: 'night shift', roles: ['OPERATOR', 'USER'], tags: ['ops'], active_from: new Date('2000-01-01T00:00:00Z'),
    }));
  });

  it('updates only the fields an item carries', async () => {
    const { domain, admin } = await adminWorld(h);
    await upsert(admin.header, [{ uid: 'TEAM', name: 'Team', comment: 'keep me', roles: 'USER' }]);
    expect((await upsert(admin.header, [{ uid: 'TEAM', roles: 'USER,OPERATOR' }])).status).toBe(200);
    expect(await groupRow(`TEAM@${domain}`)).toEqual(expect.objectContaining({ name: 'Team', comment: 'keep me', roles: ['USER', 'OPERATOR'], updated_by: admin.uid }));
  });

  it('a group\'s new roles reach its members at their next request', async () => {
    const domain = await createDomain(h, { roles: 'CLIENT' });
    const admin = await createUser(h, domain, { roles: 'ADMIN' });
    const team = await createGroup(h, domain, { name: 'READERS' });
    const member = await createUser(h, domain, { groups: team });
    expectFailure(await h.call('get', '/b2b/api/v1/user', as(member.header)), 403, 'Security', 'SecurityAccessDenied');
    expect((await upsert(admin.header, [{ uid: 'READERS', roles: 'USER' }])).status).toBe(200);
    expect((await h.call('get', '/b2b/api/v1/user', as(member.header))).status).toBe(200);
  });

  it('refuses a group of another domain with 403 SecurityForeignDomain and writes nothing', async () => {
    const { domain, admin } = await adminWorld(h);
    const other = await createDomain(h);
    const theirs = await createGroup(h, other, { roles: 'USER' });
    const before = [await snapshot(h, domain), await snapshot(h, other)];
    for (const uid of [theirs, `NEW@${other}`]) {
      const res = await upsert(admin.header, [{ uid: 'MINE' }, { uid, roles: 'ADMIN' }]);
      expectFailure(res, 403, 'Security', 'SecurityForeignDomain');
    }
    expect([await snapshot(h, domain), await snapshot(h, other)]).toEqual(before);
  });

  it('accepts active_from not before active_to: an empty period, the group lends no roles', async () => {
    const { domain, admin } = await adminWorld(h, { domainRoles: 'CLIENT' });
    const g = await createGroup(h, domain, { name: 'EMPTY', roles: 'USER' });
    const member = await createUser(h, domain, { groups: g });
    const res = await upsert(admin.header, [
      { uid: 'EMPTY', active_from: '2030-01-01T00:00:00Z', active_to: '2020-01-01T00:00:00Z' },
      { uid: 'INSTANT', active_from: '2030-01-01T00:00:00Z', active_to: '2030-01-01T00:00:00Z' },
    ]);
    expect(res.status).toBe(200);
    expect((await row(g)).active_from).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect((await row(g)).active_to).toEqual(new Date('2020-01-01T00:00:00Z'));
    expect((await row(`INSTANT@${domain}`)).active_to).toEqual(new Date('2030-01-01T00:00:00Z'));
    expectFailure(await h.call('get', '/b2b/api/v1/user', as(member.header)), 403, 'Security', 'SecurityAccessDenied');
  });

  it('keeps far and odd instants exactly, answered in UTC, and refuses one no stamp can show', async () => {
    const { domain, admin } = await adminWorld(h);
    const given: [string, string, string][] = [
      ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', ''],
      ['0001-01-01T05:38:00-05:38', '9999-12-31T23:59:59.999+00:01', ''],
      ['2024-02-05t10:00:00.5-05:38', '2024-02-05 10:00:00.25+0538', ''],
    ];
    const expected = [
      ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
      ['0001-01-01T11:16:00.000Z', '9999-12-31T23:58:59.999Z'],
      ['2024-02-05T15:38:00.500Z', '2024-02-05T04:22:00.250Z'],
    ];
    for (const [i, [from, to]] of given.entries()) {
      const uid = `FAR${i}`;
      expect((await upsert(admin.header, [{ uid, active_from: from, active_to: to }])).status).toBe(200);
      const r = await row(`${uid}@${domain}`);
      expect([r.active_from.toISOString(), r.active_to.toISOString()]).toEqual(expected[i]);
    }
    for (const [field, value] of [['active_from', '0001-01-01T00:00:00+00:01'], ['active_to', '9999-12-31T23:59:59-00:01'], ['active_from', '0000-06-01T00:00:00Z'],
      ['active_to', '2016-12-31T23:59:60Z'], ['active_from', '2024-01-01T00:00:00.0001Z']] as const) {
      const res = await upsert(admin.header, [{ uid: 'FARX', [field]: value }]);
      expectFailure(res, 400, 'Data', 'DataValidationError');
      expect(res.body.event.data.fields[0].field).toMatch(new RegExp(`^data\\.0\\.${field}$|^data\\.0\\.${field}\\b|/data/0/${field}`));
    }
    expect(await count(h, 'groups', 'uid = :u', { u: `FARX@${domain}` })).toBe(0);
  });

  it('an invalid item rolls the whole batch back', async () => {
    const { domain, admin } = await adminWorld(h);
    await createGroup(h, domain, { name: 'EXISTING', roles: 'USER' });
    const before = await snapshot(h, domain);
    const res = await upsert(admin.header, [
      { uid: 'CREATED' }, { uid: 'EXISTING', roles: 'ADMIN' },
      { uid: 'BROKEN', active_to: '9999-12-31T23:00:00-05:00' }, // 10000-01-01 in UTC: no stamp can show it
    ]);
    expectFailure(res, 400, 'Data', 'DataValidationError');
    expect(res.body.event.data.fields[0].field).toBe('data.2.active_to');
    expect(await snapshot(h, domain)).toEqual(before);
    for (const bad of [{ uid: '-DASH' }, { uid: 'X', roles: 'a b' }, { uid: 'X', pass_hash: 'AAAA' }, {}]) {
      expectFailure(await upsert(admin.header, [{ uid: 'OK' }, bad]), 400, 'Data', 'DataValidationError');
    }
    expect(await snapshot(h, domain)).toEqual(before);
  });

  it('needs ADMIN', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const u = await createUser(h, domain, { roles: 'OPERATOR' });
    const before = await snapshot(h, domain);
    expectFailure(await upsert(u.header, [{ uid: 'G' }]), 403, 'Security', 'SecurityAccessDenied');
    expect(await snapshot(h, domain)).toEqual(before);
  });
});
