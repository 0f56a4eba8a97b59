/** GET /account/system/check */
import { accountHarness, createUser, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

describe('check', () => {
  it('answers the health, a number from 0 to 1, without credentials', async () => {
    const res = await h.call('get', '/account/system/check');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['health']);
    expect(typeof res.body.health).toBe('number');
    expect(res.body.health).toBeGreaterThanOrEqual(0);
    expect(res.body.health).toBeLessThanOrEqual(1);
  });

  it('ignores an Authorization header, valid or not', async () => {
    const u = await createUser(h);
    for (const token of [u.token, 'not.a.jwt']) {
      const res = await h.call('get', '/account/system/check', { token });
      expect(res.status).toBe(200);
      expect(res.body.health).toBeGreaterThanOrEqual(0);
      expect(res.body.health).toBeLessThanOrEqual(1);
    }
  });

  it('answers 406 to a client that accepts only text/html', async () => {
    const res = await h.call('get', '/account/system/check', { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(406);
    expect(res.body.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT', operation: 'check' }));
  });
});

describe('check when the database fails', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers 503 with general_error and no detail of the failure', async () => {
    const original = h.sequelize.query.bind(h.sequelize) as (...a: unknown[]) => unknown;
    const spy = jest.spyOn(h.sequelize, 'query').mockImplementation(((sql: unknown, ...rest: unknown[]) => (sql === 'SELECT 1'
      ? Promise.reject(new Error('connect ECONNREFUSED 10.9.8.7:5432'))
      : original(sql, ...rest))) as never);
    const res = await h.call('get', '/account/system/check');
    expect(spy).toHaveBeenCalledWith('SELECT 1');
    expect(res.status).toBe(503);
    expect(res.body.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT', operation: 'check', client: 'anonymous' }));
    expect(typeof res.body.message).toBe('string');
    expect(res.raw.toString()).not.toContain('ECONNREFUSED');
    expect(res.raw.toString()).not.toContain('10.9.8.7');
  });
});
