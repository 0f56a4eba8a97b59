/** GET /b2b/api/v1/dev/token */
import { b2bHarness, expectFailure, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => { await h.close(); });

const token = (query: Record<string, string | number | boolean>, headers: Record<string, string> = {}) =>
  h.call('get', '/b2b/api/v1/dev/token', { query, headers });

describe('dev_token', () => {
  it('reproduces the vendor\'s test vector with every intermediate value, without authentication', async () => {
    const res = await token({ user: 'test@test', pass: '123', is_hash: false, date: '2017-01-05T16:45:23Z', age: 5 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: 'test@test', pass: '123', pass_hash: 'ICy5YqxZB1uWSwcVLSNLcA==', date: '2017-01-05T16:45:23.000Z', stamp: 1483634723, age: 5,
      salt: '1483634723:5:ICy5YqxZB1uWSwcVLSNLcA==', salted_pass_hash: 'ZTfAO4+jaCvhV0+6zY5uag==',
      raw_token: 'test@test:1483634723:5:ZTfAO4+jaCvhV0+6zY5uag==',
      token: 'dGVzdEB0ZXN0OjE0ODM2MzQ3MjM6NTpaVGZBTzQramFDdmhWMCs2elk1dWFnPT0=',
      header: 'AR-REST dGVzdEB0ZXN0OjE0ODM2MzQ3MjM6NTpaVGZBTzQramFDdmhWMCs2elk1dWFnPT0=',
    });
  });

  it('with is_hash=true takes pass as the pass_hash: the seed\'s sample header comes out', async () => {
    const res = await token({ user: 'test_user@test_domain', pass: 'ICy5YqxZB1uWSwcVLSNLcA==', is_hash: true, date: '2017-01-05T16:45:23.000Z', age: 999999999 });
    expect(res.status).toBe(200);
    expect(res.body.pass_hash).toBe('ICy5YqxZB1uWSwcVLSNLcA==');
    expect(res.body.header).toBe('AR-REST dGVzdF91c2VyQHRlc3RfZG9tYWluOjE0ODM2MzQ3MjM6OTk5OTk5OTk5OjN3ZzgyRXVUd2VjMjkvT3ZRN215eUE9PQ==');
  });

  it('takes every date-time form the spec admits, far years included, as the exact second', async () => {
    const cases: [string, number][] = [
      ['2017-01-05T21:45:23+05', 1483634723], ['2017-01-05 16:45:23z', 1483634723], ['2017-01-05T11:07:23.999999-0538', 1483634723],
      ['9999-12-31T23:59:59.999Z', 253402300799], ['1970-01-01T00:00:00+00:00', 0],
    ];
    for (const [date, stamp] of cases) {
      const res = await token({ user: 'u@d', pass: 'p', date });
      expect({ date, status: res.status, stamp: res.body.stamp }).toEqual({ date, status: 200, stamp });
      expect(res.body.date).toBe(new Date(stamp * 1000).toISOString());
    }
    for (const date of ['2016-12-31T23:59:60Z', '0000-06-01T00:00:00Z', '0001-01-01T00:00:00+01:00']) {
      const res = await token({ user: 'u@d', pass: 'p', date });
      expect({ date, status: res.status }).toEqual({ date, status: 400 });
      expect(res.body.event.data.fields[0].field).toMatch(/date/);
    }
  });

  it('defaults the date to now and the age to 172800; cuts the date to whole seconds; takes a user without a domain', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await token({ user: 'alone', pass: 'p' });
    const after = Math.floor(Date.now() / 1000);
    expect(res.status).toBe(200);
    expect(res.body.age).toBe(172800);
    expect(res.body.stamp).toBeGreaterThanOrEqual(before);
    expect(res.body.stamp).toBeLessThanOrEqual(after);
    expect(res.body.date).toBe(new Date(res.body.stamp * 1000).toISOString());
    expect(Buffer.from(res.body.token, 'base64').toString()).toBe(res.body.raw_token);
    expect(res.body.raw_token.startsWith('alone:')).toBe(true);
    const cut = await token({ user: 'u@d', pass: 'p', date: '2020-02-02T10:00:00.999+03:00' });
    expect([cut.body.stamp, cut.body.date]).toEqual([1580626800, '2020-02-02T07:00:00.000Z']);
  });

  it('is open even with a garbage Authorization header', async () => {
    expect((await token({ user: 'u@d', pass: 'p' }, { Authorization: 'AR-REST garbage' })).status).toBe(200);
  });

  it('answers 400 DataValidationError for bad input', async () => {
    for (const query of <Record<string, string | number | boolean>[]>[
      { pass: 'p' }, { user: 'u@d' }, { user: 'a:b', pass: 'p' }, { user: 'a b', pass: 'p' }, { user: 'u@d', pass: 'p', age: 0 },
      { user: 'u@d', pass: 'p', age: 'old' }, { user: 'u@d', pass: 'p', date: 'yesterday' }, { user: 'u@d', pass: 'p', is_hash: 'perhaps' },
      { user: 'u@d', pass: 'p', date: '1960-01-01T00:00:00Z' },
    ]) {
      expectFailure(await token(query), 400, 'Data', 'DataValidationError');
    }
  });

  it('is a 404 like an unknown path when B2B_DEV_ENDPOINTS=false', async () => {
    process.env.B2B_DEV_ENDPOINTS = 'false';
    try {
      const res = await token({ user: 'u@d', pass: 'p' });
      expectFailure(res, 404, 'Global', 'HttpRouteNotFound');
      const unknown = await h.call('get', '/b2b/api/v1/dev/nothing');
      expectFailure(unknown, 404, 'Global', 'HttpRouteNotFound');
      expect(res.body.event.message).toBe('No route GET /b2b/api/v1/dev/token');
      expect(unknown.body.event.message).toBe('No route GET /b2b/api/v1/dev/nothing');
    } finally {
      delete process.env.B2B_DEV_ENDPOINTS;
    }
    expect((await token({ user: 'u@d', pass: 'p' })).status).toBe(200);
  });
});
