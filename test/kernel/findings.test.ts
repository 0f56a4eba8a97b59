/**
 * What outside testing found (issue 9), through the real services: U+0000 in text that was a 500 or was stored
 * altered, a boolean spelled as Python's requests sends it, and `Accept: application/json` (what generated clients
 * send on every call) on operations whose success body is not JSON. Each case failed before the request pipeline
 * rewrite (f30416e).
 */
import * as account from '../account/_fixtures';
import * as b2b from '../b2b/_fixtures';
import { harness } from '../support/harness';

type Harness = Awaited<ReturnType<typeof harness>>;
let h: Harness;
beforeAll(async () => { h = await harness(['account', 'b2b']); });
afterAll(async () => { await h.close(); });

const accountRow = async (username: string) => {
  const [rows] = await h.sequelize.query('SELECT username, name, email, phone, company_key, timezone FROM account.users WHERE username = :u', { replacements: { u: username } });
  return (rows as Record<string, unknown>[])[0];
};

describe('U+0000 in text is the service\'s 400 and nothing is written', () => {
  it('b2b POST domain/groups with U+0000 in tags (was a 500)', async () => {
    const { domain, admin } = await b2b.adminWorld(h);
    const before = await b2b.snapshot(h, domain);
    const res = await h.call('post', '/b2b/api/v1/domain/groups', { ...b2b.as(admin.header), body: { data: [{ uid: 'NULTAGS', tags: 'a\u0000b' }] } });
    b2b.expectFailure(res, 400, 'Data', 'DataValidationError');
    expect(JSON.stringify(res.body)).toContain('data.0.tags');
    expect(await b2b.snapshot(h, domain)).toEqual(before);
    expect(await b2b.count(h, 'groups', 'uid = :u', { u: `NULTAGS@${domain}` })).toBe(0);
  });

  it('account PUT info with U+0000 in name (was stored altered)', async () => {
    const u = await account.createUser(h, { name: 'Before Name' });
    const before = await accountRow(u.username);
    const res = await h.call('put', '/account/info', {
      token: u.token, body: { username: u.username, company_key: u.companyKey, name: 'Eve\u0000il', email: 'eve@example.com', phone: '+10000000' },
    });
    expect(res.status).toBe(400);
    account.expectTracedError(res, 'update_info');
    expect(res.body.message).toMatch(/name/);
    expect(await accountRow(u.username)).toEqual(before);
  });
});

describe('booleans as Python\'s requests spells them', () => {
  it('b2b GET user?_detailed=True (was a 400) answers 200 with the domain and groups', async () => {
    const domain = await b2b.createDomain(h, { roles: 'CLIENT,USER' });
    const user = await b2b.createUser(h, domain);
    const res = await h.call('get', '/b2b/api/v1/user?_detailed=True', b2b.as(user.header));
    expect(res.status).toBe(200);
    expect(res.body.data[0].uid).toBe(user.uid);
    expect(res.body.data[0].domain).toEqual(expect.objectContaining({ uid: domain }));
    const plain = await h.call('get', '/b2b/api/v1/user?_detailed=FALSE', b2b.as(user.header));
    expect(plain.status).toBe(200);
    expect(plain.body.data[0].domain).toBeUndefined();
  });
});

describe('Accept on operations whose success body is not JSON', () => {
  it('account read_report with Accept: application/json (was a 406) answers 200 with the workbook', async () => {
    const u = await account.createUser(h);
    const res = await h.call('get', '/account/report', { token: u.token, query: { from: '2019-09-09', to: '2019-09-09' }, headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
    expect(res.raw.subarray(0, 2).toString('latin1')).toBe('PK'); // an XLSX is a zip
  });

  it('account file with Accept: application/json (was a 406) answers 200 with the HTML', async () => {
    const res = await h.call('get', '/account/file/account_en.html', { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.raw.toString('utf8')).toMatch(/<html/i);
  });

  it('Accept: text/csv, produced at no status, is still a 406', async () => {
    const u = await account.createUser(h);
    const report = await h.call('get', '/account/report', { token: u.token, headers: { Accept: 'text/csv' } });
    expect(report.status).toBe(406);
    account.expectTracedError(report, 'read_report');
    const file = await h.call('get', '/account/file/account_en.html', { headers: { Accept: 'text/csv' } });
    expect(file.status).toBe(406);
  });
});
