/** GET /b2b/api/v1/user */
import { unique } from '../support/harness';
import { as, b2bHarness, createDomain, createGroup, createUser, expectFailure, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

const USER_KEYS = ['active_from', 'active_to', 'comment', 'contacts', 'created_at', 'created_by', 'data', 'domain_uid', 'email', 'login', 'name',
  'roles', 'state', 'tags', 'uid', 'updated_at', 'updated_by'];

describe('read_user', () => {
  it('answers the account alone by default and with _detailed=false, without any secret', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const u = await createUser(h, domain, { roles: 'ADMIN,ALL_REPORTS_READ' });
    for (const query of [undefined, { _detailed: false }]) {
      const res = await h.call('get', '/b2b/api/v1/user', { ...as(u.header), query });
      expect(res.status).toBe(200);
      expect(res.body.size).toBe(1);
      const user = res.body.data[0];
      expect(Object.keys(user).sort()).toEqual(USER_KEYS);
      expect(user).toEqual(expect.objectContaining({ uid: u.uid, login: u.uid, domain_uid: domain, roles: 'ADMIN,ALL_REPORTS_READ', state: 'ACTIVE', created_by: 'system' }));
      expect(res.raw.toString()).not.toContain(u.passHash);
      expect(res.raw.toString()).not.toContain(u.password);
    }
  });

  it('with _detailed=true adds the domain and the groups, sorted by uid', async () => {
    const domain = await createDomain(h, { roles: 'CLIENT' });
    const b = await createGroup(h, domain, { name: 'B_TEAM', roles: 'USER' });
    const a = await createGroup(h, domain, { name: 'A_TEAM', roles: 'OPERATOR' });
    await createGroup(h, domain, { name: 'OTHERS' });
    const u = await createUser(h, domain, { groups: `${b.split('@')[0]},${a.split('@')[0]}` });
    const res = await h.call('get', '/b2b/api/v1/user', { ...as(u.header), query: { _detailed: true } });
    expect(res.status).toBe(200);
    const user = res.body.data[0];
    expect(Object.keys(user).sort()).toEqual([...USER_KEYS, 'domain', 'groups'].sort());
    expect(user.domain).toEqual(expect.objectContaining({ uid: domain, roles: 'CLIENT', state: 'ACTIVE' }));
    expect(user.groups.map((g: { uid: string; roles: string }) => [g.uid, g.roles])).toEqual([[a, 'OPERATOR'], [b, 'USER']]);
  });

  it('accepts USER from the user itself, from a group, or from the domain', async () => {
    const plain = await createDomain(h, { roles: 'CLIENT' });
    const own = await createUser(h, plain, { roles: 'USER' });
    expect((await h.call('get', '/b2b/api/v1/user', as(own.header))).status).toBe(200);
    const grp = await createGroup(h, plain, { roles: 'USER' });
    const member = await createUser(h, plain, { groups: grp });
    expect((await h.call('get', '/b2b/api/v1/user', as(member.header))).status).toBe(200);
    const userDomain = await createDomain(h, { roles: 'USER' });
    const viaDomain = await createUser(h, userDomain);
    expect((await h.call('get', '/b2b/api/v1/user', as(viaDomain.header))).status).toBe(200);
  });

  it('refuses a caller without USER with 403 SecurityAccessDenied in the failure envelope', async () => {
    const domain = await createDomain(h, { roles: 'CLIENT' });
    const u = await createUser(h, domain, { roles: 'ADMIN' });
    const res = await h.call('get', '/b2b/api/v1/user', as(u.header));
    expectFailure(res, 403, 'Security', 'SecurityAccessDenied');
    expect(res.body.event.data).toEqual({ required_role: 'USER' });
  });

  it('ignores the roles of a group outside its active period', async () => {
    const domain = await createDomain(h, { roles: 'CLIENT' });
    const grp = await createGroup(h, domain, { roles: 'USER' });
    const u = await createUser(h, domain, { groups: grp });
    await h.sequelize.query("UPDATE b2b.groups SET active_to = now() - interval '1 second', active_from = now() - interval '1 day' WHERE uid = :g", { replacements: { g: grp } });
    expectFailure(await h.call('get', '/b2b/api/v1/user', as(u.header)), 403, 'Security', 'SecurityAccessDenied');
  });

  it('answers 400 DataValidationError for a _detailed that is not a boolean', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const u = await createUser(h, domain);
    const res = await h.call('get', '/b2b/api/v1/user', { ...as(u.header), query: { _detailed: 'maybe' } });
    expectFailure(res, 400, 'Data', 'DataValidationError');
    expect(res.body.event.data.fields).toEqual([expect.objectContaining({ location: 'query', field: '_detailed' })]);
  });

  it('reports roles, tags and dates in the seed\'s formats', async () => {
    const domain = await createDomain(h, { roles: 'USER,CLIENT' });
    const name = unique('tagged');
    const u = await createUser(h, domain, { name });
    await h.sequelize.query("UPDATE b2b.users SET tags = '{a,b}', data = '{\"k\": 1}' WHERE uid = :u", { replacements: { u: u.uid } });
    const res = await h.call('get', '/b2b/api/v1/user', { ...as(u.header), query: { _detailed: true } });
    expect(res.body.data[0]).toEqual(expect.objectContaining({ tags: 'a,b', data: { k: 1 }, roles: '' }));
    expect(res.body.data[0].domain.roles).toBe('USER,CLIENT');
    for (const k of ['created_at', 'updated_at', 'active_from', 'active_to']) expect(res.body.data[0][k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
