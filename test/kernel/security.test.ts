/**
 * Kernel security of every answer (issue 11): bearer tokens from the Authorization header only (never
 * `?access_token=` nor a body field), `X-Content-Type-Options: nosniff` and `Cache-Control: no-store` on every answer
 * (success, error, unknown route, credentials), the client address in the request context, and errors logged without
 * SQL or parameters.
 */
import { serializeError } from '../../lib/logger';
import * as account from '../account/_fixtures';
import { harness } from '../support/harness';

type Harness = Awaited<ReturnType<typeof harness>>;
let h: Harness;
beforeAll(async () => { h = await harness(['account', 'b2b']); });
afterAll(async () => { await h.close(); });

describe('bearer tokens are taken from the Authorization header only', () => {
  it('refuses a valid token given as ?access_token= (401), accepts it in the header', async () => {
    const u = await account.createUser(h);
    const viaQuery = await h.call('get', `/account/info?access_token=${encodeURIComponent(u.token)}`);
    expect(viaQuery.status).toBe(401);
    const viaHeader = await h.call('get', '/account/info', { token: u.token });
    expect(viaHeader.status).toBe(200);
  });

  it('refuses a token given in a body field (401)', async () => {
    const u = await account.createUser(h);
    const res = await h.call('put', '/account/info', { body: { access_token: u.token, username: u.username, company_key: u.companyKey } });
    expect(res.status).toBe(401);
  });

  it('refuses a malformed Authorization header (401)', async () => {
    const u = await account.createUser(h);
    expect((await h.call('get', '/account/info', { headers: { Authorization: `Bearer ${u.token} extra` } })).status).toBe(401);
    expect((await h.call('get', '/account/info', { headers: { Authorization: `Basic ${u.token}` } })).status).toBe(401);
  });
});

describe('every answer says nosniff and no-store', () => {
  const expectHeaders = (res: { headers: Record<string, string> }) => {
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
  };
  it('on credentials (token generation), a success, an error, an unknown route, the kernel health route', async () => {
    const u = await account.createUser(h);
    expectHeaders(await h.call('post', '/account/token/generation', { body: { username: u.username, password: u.password } }));
    expectHeaders(await h.call('get', '/account/info', { token: u.token }));
    expectHeaders(await h.call('get', '/account/info'));
    expectHeaders(await h.call('get', '/account/no-such-thing', { token: u.token }));
    expectHeaders(await h.call('get', '/nowhere'));
    const live = await h.call('get', '/livez');
    expect(live.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('errors are logged without SQL or parameters', () => {
  it('keeps kind, message, code and stack only', () => {
    const dbError = Object.assign(new Error('duplicate key value violates unique constraint "users_username_key"'), {
      name: 'SequelizeUniqueConstraintError', sql: 'INSERT INTO account.users VALUES ($1, $2)', parameters: ['alice', 'secret-hash'],
      original: { code: '23505', parameters: ['alice', 'secret-hash'] },
    });
    const logged = serializeError(dbError);
    expect(logged).toMatchObject({ type: 'SequelizeUniqueConstraintError', code: '23505' });
    expect(JSON.stringify(logged)).not.toMatch(/INSERT|secret-hash|alice/);
  });
});
