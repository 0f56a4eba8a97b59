/** POST /account/token/validation */
import { accountHarness, createUser, expectTracedError, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const URL = '/account/token/validation';
/** the body as the vendor's client sends it: the token as a JSON string literal */
const validate = (token: string) => h.call('post', URL, { raw: JSON.stringify(token) });

describe('run_token_validation', () => {
  it('answers valid with the roles of the account', async () => {
    const u = await createUser(h, { roles: 'USER,ADMIN' });
    const res = await validate(u.token);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(true);
    expect([...res.body.roles].sort()).toEqual(['ADMIN', 'USER']);
  });

  it('answers the default role USER for an account created without roles', async () => {
    const u = await createUser(h);
    const res = await validate(u.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ valid: true, roles: ['USER'] });
  });

  it('needs no credentials: an Authorization header of another account changes nothing', async () => {
    const a = await createUser(h, { roles: 'BOT' });
    const b = await createUser(h, { roles: 'ADMIN' });
    const res = await h.call('post', URL, { raw: JSON.stringify(a.token), token: b.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ valid: true, roles: ['BOT'] });
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['three parts that are no JWT', 'a.b.c'],
    ['a JWT signed with another key', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiY2siOiJ5Iiwicm9sZXMiOlsiQURNSU4iXSwiZXAiOjB9.c2lnbmF0dXJl'],
    ['an unsigned JWT (alg none)', `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x","roles":["ADMIN"]}').toString('base64url')}.`],
  ])('answers valid false and no roles for %s, never 401', async (_what, token) => {
    const res = await validate(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ valid: false, roles: [] });
  });

  it('answers valid false for a token whose signature was tampered with', async () => {
    const u = await createUser(h, { roles: 'USER' });
    const [head, payload, sig] = u.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, roles: ['ADMIN'] })).toString('base64url')}.${sig}`;
    expect((await validate(forged)).body).toEqual({ valid: false, roles: [] });
    const flipped = `${head}.${payload}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    expect((await validate(flipped)).body).toEqual({ valid: false, roles: [] });
  });

  it('answers valid false for a token issued before the latest password change', async () => {
    const u = await createUser(h, { roles: 'ADMIN' });
    const short = await h.call('post', '/account/token/generation', { body: { username: u.username, password: u.password, ttl_seconds: 60 } });
    expect(short.status).toBe(200);
    expect((await validate(short.body)).body).toEqual({ valid: true, roles: ['ADMIN'] });
    const change = await h.call('post', '/account/password', { token: u.token, body: { current_password: u.password, new_password: `${u.password}2` } });
    expect(change.status).toBe(200);
    for (const stale of [short.body, u.token]) {
      const res = await validate(stale);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: false, roles: [] });
    }
    expect((await validate(change.body)).body).toEqual({ valid: true, roles: ['ADMIN'] });
  });

  it('answers valid false for the token of an account that no longer exists', async () => {
    const u = await createUser(h);
    await h.sequelize.query('DELETE FROM account.users WHERE username = :u', { replacements: { u: u.username } });
    expect((await validate(u.token)).body).toEqual({ valid: false, roles: [] });
  });

  it.each([
    ['a bare unquoted token (malformed JSON)', (t: string) => t],
    ['an object', (t: string) => JSON.stringify({ token: t })],
    ['an array', (t: string) => JSON.stringify([t])],
    ['a number', () => '12345'],
    ['true', () => 'true'],
    ['null', () => 'null'],
    ['an empty string', () => '""'],
    ['a 1001-character string', () => JSON.stringify('a'.repeat(1001))],
    ['an empty body', () => ''],
    ['an unterminated string', (t: string) => `"${t}`],
  ])('answers 400 for %s', async (_what, make) => {
    const u = await createUser(h);
    const res = await h.call('post', URL, { raw: make(u.token) });
    expect(res.status).toBe(400);
    expectTracedError(res, 'run_token_validation');
  });

  it('accepts a 1000-character string (answering it not valid)', async () => {
    const res = await validate('a'.repeat(1000));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ valid: false, roles: [] });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jwt'])('answers 415 for Content-Type %s', async (contentType) => {
    const u = await createUser(h);
    const res = await h.call('post', URL, { raw: u.token, contentType });
    expect(res.status).toBe(415);
    expectTracedError(res, 'run_token_validation');
  });
});
