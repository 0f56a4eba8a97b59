/** Edges of the b2b service: every failure in the product's bodies (envelope, bare event, framework body), never a leak. */
import { as, adminWorld, b2bHarness, createDomain, createUser, expectFailure, expectSecurityEvent, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

describe('b2b edges', () => {
  it('malformed JSON answers the vendor framework\'s 400 body', async () => {
    const { admin } = await adminWorld(h);
    for (const path of ['/b2b/api/v1/domain/users', '/b2b/api/v1/domain/groups']) {
      const res = await h.call('post', path, { ...as(admin.header), raw: '{"data": [' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        timestamp: expect.stringMatching(/Z$/), status: 400, error: 'Bad Request',
        exception: 'org.springframework.http.converter.HttpMessageNotReadableException', message: 'Bad Request', path,
      });
    }
  });

  it('a missing body is a validation failure in the envelope', async () => {
    const { admin } = await adminWorld(h);
    expectFailure(await h.call('post', '/b2b/api/v1/domain/users', as(admin.header)), 400, 'Data', 'DataValidationError');
  });

  it('authentication runs before validation: a bad body without a token answers 401', async () => {
    expectSecurityEvent(await h.call('post', '/b2b/api/v1/domain/users', { raw: 'nonsense' }), 401, 'SecurityAuthMissingToken');
  });

  it('an unknown path, a wrong method, a wrong content type, an unacceptable Accept: the envelope', async () => {
    const { admin } = await adminWorld(h);
    const unknown = await h.call('get', '/b2b/api/v1/user/reports', as(admin.header));
    expectFailure(unknown, 404, 'Global', 'HttpRouteNotFound');
    expect(unknown.body.event.uid).toBe(unknown.headers['x-request-id']);
    const wrongMethod = await h.call('delete', '/b2b/api/v1/user', as(admin.header));
    expectFailure(wrongMethod, 405, 'Global', 'HttpMethodNotAllowed');
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
    const wrongType = await h.call('post', '/b2b/api/v1/domain/groups', { ...as(admin.header), raw: 'uid=G', contentType: 'application/x-www-form-urlencoded' });
    expectFailure(wrongType, 415, 'Global', 'HttpMediaTypeNotSupported');
    const wrongAccept = await h.call('get', '/b2b/api/v1/user', { headers: { ...as(admin.header).headers, Accept: 'text/html' } });
    expectFailure(wrongAccept, 406, 'Global', 'HttpMediaTypeNotAcceptable');
  });

  it('a fault answers 500 GenericSystemError without detail', async () => {
    const domain = await createDomain(h, { roles: 'USER' });
    const u = await createUser(h, domain);
    await h.sequelize.query("UPDATE b2b.users SET pass_hash_enc = 'v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE uid = :u", { replacements: { u: u.uid } });
    const res = await h.call('get', '/b2b/api/v1/user', as(u.header));
    expectFailure(res, 500, 'Global', 'GenericSystemError');
    expect(res.body.event).toEqual(expect.objectContaining({ name: 'Общая ошибка системы', message: 'В системе произошла непредвиденная ошибка', data: {} }));
    expect(res.raw.toString()).not.toMatch(/at .*\.ts|SELECT|decipher|auth/i);
  });

  it('stamps are ISO with milliseconds in UTC, and the event uid is the request id', async () => {
    const res = await h.call('get', '/b2b/api/v1/user', { headers: { 'X-Request-Id': 'req-b2b-1' } });
    expectSecurityEvent(res, 401, 'SecurityAuthMissingToken');
    expect(res.body.uid).toBe('req-b2b-1');
    expect(res.body.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
