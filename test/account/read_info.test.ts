/** GET /account/info */
import { eventually } from '../support/harness';
import { accountHarness, createUser, expectTracedError, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

describe('read_info', () => {
  it('answers the caller\'s own account, without secrets', async () => {
    const u = await createUser(h, { timezone: 3, name: 'Ann Smith', email: 'ann@example.com', phone: '+71112223333' });
    const res = await h.call('get', '/account/info', { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      username: u.username, name: 'Ann Smith', email: 'ann@example.com', phone: '+71112223333', company_key: u.companyKey, timezone: 3,
    });
    expect(JSON.stringify(res.body)).not.toContain(u.password);
  });

  it('refuses a missing, malformed or forged token with 401 and tracedata', async () => {
    for (const headers of <Record<string, string>[]>[{}, { Authorization: 'Bearer' }, { Authorization: 'Bearer not.a.jwt' }, { Authorization: 'Basic YTpi' },
      { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }]) {
      const res = await h.call('get', '/account/info', { headers });
      expect(res.status).toBe(401);
      expectTracedError(res, 'read_info');
      expect(res.body.tracedata.client).toBe('anonymous');
    }
  });

  it('is audited as an action of the caller', async () => {
    const u = await createUser(h);
    const res = await h.call('get', '/account/info', { token: u.token });
    expect(res.status).toBe(200);
    await eventually(async () => {
      const [rows] = await h.sequelize.query(
        "SELECT service, method_group, client FROM account.audit_actions WHERE username = :u AND operation = 'read_info'",
        { replacements: { u: u.username } },
      );
      expect(rows).toEqual([{ service: 'ACCOUNT', method_group: 'NOTRACE', client: `${u.companyKey}_|_${u.username}` }]);
    });
  });
});
