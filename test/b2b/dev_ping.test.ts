/** GET /b2b/api/v1/dev/ping */
import { b2bHarness, expectFailure, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

describe('dev_ping', () => {
  it('echoes the value with the server\'s arrival and answer times in Unix milliseconds', async () => {
    const t0 = Date.now();
    const res = await h.call('get', '/b2b/api/v1/dev/ping', { query: { value: 'feature test 42' } });
    const t1 = Date.now();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: 'feature test 42', in: expect.any(Number), out: expect.any(Number), delay: expect.any(Number) });
    expect(res.body.in).toBeGreaterThanOrEqual(t0);
    expect(res.body.out).toBeLessThanOrEqual(t1);
    expect(res.body.delay).toBe(res.body.out - res.body.in);
    expect(res.body.delay).toBeGreaterThanOrEqual(0);
  });

  it('echoes "" without a value, and needs no authentication', async () => {
    const res = await h.call('get', '/b2b/api/v1/dev/ping', { headers: { Authorization: 'Bearer nope' } });
    expect(res.status).toBe(200);
    expect(res.body.value).toBe('');
  });

  it('refuses a value over 1024 characters', async () => {
    expectFailure(await h.call('get', '/b2b/api/v1/dev/ping', { query: { value: 'x'.repeat(1025) } }), 400, 'Data', 'DataValidationError');
  });

  it('is a 404 like an unknown path when B2B_DEV_ENDPOINTS=false (also "0" and "off")', async () => {
    for (const off of ['false', '0', 'off']) {
      process.env.B2B_DEV_ENDPOINTS = off;
      try {
        expectFailure(await h.call('get', '/b2b/api/v1/dev/ping', { query: { value: 'x' } }), 404, 'Global', 'HttpRouteNotFound');
      } finally {
        delete process.env.B2B_DEV_ENDPOINTS;
      }
    }
    process.env.B2B_DEV_ENDPOINTS = 'true';
    try {
      expect((await h.call('get', '/b2b/api/v1/dev/ping')).status).toBe(200);
    } finally {
      delete process.env.B2B_DEV_ENDPOINTS;
    }
  });
});
