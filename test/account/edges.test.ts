/** The account service's edges through the kernel: unknown routes, wrong methods, content negotiation, faults. */
import crypto from 'node:crypto';
import { Quota } from '../../models/account';
import { accountHarness, createUser, expectTracedError, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

describe('account edges', () => {
  describe('unknown paths', () => {
    it.each(['/account/nope', '/account/info/extra', '/account/system', '/account/token', '/account'])('answers 404 with not_found_error under the service: %s', async (url) => {
      const res = await h.call('get', url);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ resource_id: null, detail: { tracedata: expect.objectContaining({ service: 'ACCOUNT', client: 'anonymous' }) } });
      expect(res.body.detail.tracedata.code).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers 404 to an authenticated caller with a body too', async () => {
      const u = await createUser(h);
      const res = await h.call('post', '/account/nope', { token: u.token, body: { a: 1 } });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ resource_id: null, detail: { tracedata: expect.objectContaining({ service: 'ACCOUNT' }) } });
    });

    it.each(['/nope', '/accounts/info', '/orchestrator/x'])('answers 404 problem+json outside every service: %s', async (url) => {
      const res = await h.call('get', url);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(expect.objectContaining({ title: 'Not Found', status: 404 }));
    });
  });

  describe('wrong methods', () => {
    it.each([
      ['delete', '/account/info', ['GET', 'PUT']],
      ['patch', '/account/token/generation', ['POST']],
      ['get', '/account/token/validation', ['POST']],
      ['put', '/account/quota', ['GET']],
      ['post', '/account/system/version', ['GET']],
    ] as const)('answers %s %s with 405, general_error and Allow', async (method, url, allowed) => {
      const res = await h.call(method, url);
      expect(res.status).toBe(405);
      const allow = String(res.headers.allow ?? '').split(',').map((m) => m.trim()).filter(Boolean);
      for (const m of allowed) expect(allow).toContain(m);
      expect(allow).not.toContain(method.toUpperCase());
      const expected: string[] = allowed.includes('GET' as never) ? [...allowed, 'HEAD'] : [...allowed];
      expect([...allow].sort()).toEqual(expected.sort());
      expect(res.body.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT' }));
      expect(res.body.tracedata.code).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof res.body.message).toBe('string');
    });
  });

  describe('content negotiation', () => {
    it('answers 406 to Accept: text/csv on /account/info', async () => {
      const u = await createUser(h);
      const res = await h.call('get', '/account/info', { token: u.token, headers: { Accept: 'text/csv' } });
      expect(res.status).toBe(406);
      expectTracedError(res, 'read_info');
    });

    it('serves the report to the vendor client\'s Accept: application/octet-stream, application/json', async () => {
      const u = await createUser(h);
      const res = await h.call('get', '/account/report', { token: u.token, headers: { Accept: 'application/octet-stream, application/json' } });
      expect(res.status).not.toBe(406);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
      expect(res.raw.subarray(0, 2).toString('latin1')).toBe('PK'); // an XLSX is a zip
    });

    it('accepts Accept with parameters and wildcards', async () => {
      const u = await createUser(h);
      for (const accept of ['application/*', '*/*', 'application/json;q=0.9, text/html;q=0.1', 'text/html, application/json']) {
        const res = await h.call('get', '/account/info', { token: u.token, headers: { Accept: accept } });
        expect(res.status).toBe(200);
        expect(res.body.username).toBe(u.username);
      }
    });

    it('accepts Accept: application/json; charset=utf-8 (the type it answers)', async () => {
      const u = await createUser(h);
      const res = await h.call('get', '/account/info', { token: u.token, headers: { Accept: 'application/json; charset=utf-8' } });
      expect(res.status).toBe(200);
      expect(res.body.username).toBe(u.username);
    });

    it('answers 415 before authentication to a POST with an unsupported Content-Type', async () => {
      const res = await h.call('post', '/account/password', { raw: '<x/>', contentType: 'application/xml' });
      expect(res.status).toBe(415);
      expectTracedError(res, 'change_password');
    });

    it('accepts application/json with a charset parameter', async () => {
      const u = await createUser(h);
      const res = await h.call('post', '/account/token/generation', {
        raw: JSON.stringify({ username: u.username, password: u.password }), contentType: 'application/json; charset=utf-8',
      });
      expect(res.status).toBe(200);
      expect(typeof res.body).toBe('string');
    });
  });

  describe('HEAD and request ids', () => {
    it('answers HEAD /account/system/version with 200 and no body', async () => {
      const res = await h.call('head', '/account/system/version');
      expect(res.status).toBe(200);
      expect(res.raw?.length ?? 0).toBe(0);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['x-request-id']).toBeTruthy();
    });

    it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
      const sane = 'req-123.abc_XYZ';
      const res = await h.call('get', '/account/system/check', { headers: { 'X-Request-Id': sane } });
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe(sane);
      for (const bad of ['a b', 'x'.repeat(129), '<script>']) {
        const r = await h.call('get', '/account/system/check', { headers: { 'X-Request-Id': bad } });
        expect(r.headers['x-request-id']).not.toBe(bad);
        expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
      const none = await h.call('get', '/account/system/check');
      expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('sets X-Request-Id on errors too', async () => {
      const res = await h.call('get', '/account/info', { headers: { 'X-Request-Id': 'err-req-1' } });
      expect(res.status).toBe(401);
      expect(res.headers['x-request-id']).toBe('err-req-1');
    });
  });

  describe('error tracedata', () => {
    it('names an authenticated caller as company_|_user in a 400', async () => {
      const u = await createUser(h, { timezone: 3 });
      const res = await h.call('get', '/account/audit', { token: u.token, query: { limit: 0 } });
      expect(res.status).toBe(400);
      expectTracedError(res, 'read_audit');
      expect(res.body.tracedata.client).toBe(`${u.companyKey}_|_${u.username}`);
      expect(res.body.tracedata.time).toMatch(/\+03:00$/);
    });

    it('names an authenticated caller as company_|_user in an error its operation raises', async () => {
      const u = await createUser(h, { timezone: -5 });
      const code = crypto.randomUUID();
      const res = await h.call('get', `/account/data/${code}`, { token: u.token });
      expect(res.status).toBe(404);
      expect(res.body.detail.tracedata).toEqual(expect.objectContaining({
        client: `${u.companyKey}_|_${u.username}`, service: 'ACCOUNT', operation: 'read_data',
      }));
      expect(res.body.detail.tracedata.time).toMatch(/-05:00$/);
    });

    it('names an unauthenticated caller anonymous', async () => {
      const res = await h.call('get', '/account/audit', { query: { limit: 0 } });
      expect(res.status).toBe(401); // authentication comes before validation
      expect(res.body.tracedata.client).toBe('anonymous');
    });
  });

  describe('unexpected faults', () => {
    afterEach(() => jest.restoreAllMocks());

    it('answers 500 with general_error and leaks no stack trace or SQL', async () => {
      const u = await createUser(h);
      const fault = new Error('relation "account.quotas" does not exist: SELECT "id", "username" FROM "account"."quotas" WHERE password_hash = $1');
      const spy = jest.spyOn(Quota, 'findAll').mockRejectedValue(fault);
      const res = await h.call('get', '/account/quota', { token: u.token });
      expect(spy).toHaveBeenCalled();
      expect(res.status).toBe(500);
      expectTracedError(res, 'read_quota');
      expect(res.body.message).toBe('Internal Server Error');
      const text = res.raw.toString('utf8');
      for (const leak of ['SELECT', 'account.quotas', 'password_hash', 'at ', '.ts:', 'node_modules', 'Error:']) expect(text).not.toContain(leak);
    });
  });
});
