/** POST /account/password */
import { accountHarness, count, createUser, expectTracedError, type Harness, type TestUser } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const URL = '/account/password';
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

async function stored(username: string) {
  const [rows] = await h.sequelize.query('SELECT password_hash, token_epoch FROM account.users WHERE username = :u', { replacements: { u: username } });
  return (rows as { password_hash: string; token_epoch: number }[])[0];
}
const login = (u: TestUser, password: string) => h.call('post', '/account/token/generation', { body: { username: u.username, password } });

describe('change_password', () => {
  it('stores the new password hashed and answers a new token that works', async () => {
    const u = await createUser(h, { roles: 'USER,ADMIN' });
    const before = await stored(u.username);
    const newPassword = `new-${u.password}`;
    const res = await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: newPassword } });
    expect(res.status).toBe(200);
    expect(typeof res.body).toBe('string');
    expect(res.body).not.toBe(u.token);
    const c = claims(res.body);
    expect(c.exp - c.iat).toBe(86400);

    const info = await h.call('get', '/account/info', { token: res.body });
    expect(info.status).toBe(200);
    expect(info.body.username).toBe(u.username);
    const v = await h.call('post', '/account/token/validation', { raw: JSON.stringify(res.body) });
    expect(v.body.valid).toBe(true);
    expect([...v.body.roles].sort()).toEqual(['ADMIN', 'USER']);

    const after = await stored(u.username);
    expect(after.password_hash).not.toBe(before.password_hash);
    expect(after.password_hash).not.toContain(newPassword);
    expect(after.password_hash).not.toContain(u.password);
    expect(after.token_epoch).toBe(before.token_epoch + 1);
    expect(JSON.stringify(res.body)).not.toContain(newPassword);
  });

  it('invalidates every older token, including the one used for the request', async () => {
    const u = await createUser(h);
    const other = await login(u, u.password);
    expect(other.status).toBe(200);
    const res = await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: `${u.password}2` } });
    expect(res.status).toBe(200);
    for (const old of [u.token, other.body as string]) {
      const info = await h.call('get', '/account/info', { token: old });
      expect(info.status).toBe(401);
      expectTracedError(info, 'read_info');
      const v = await h.call('post', '/account/token/validation', { raw: JSON.stringify(old) });
      expect(v.status).toBe(200);
      expect(v.body).toEqual({ valid: false, roles: [] });
    }
    // the old token cannot change the password again either
    const again = await h.call('post', URL, { token: u.token, body: { current_password: `${u.password}2`, new_password: 'x' } });
    expect(again.status).toBe(401);
  });

  it('makes the new password the login password and the old one wrong', async () => {
    const u = await createUser(h);
    const newPassword = `${u.password}-changed`;
    expect((await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: newPassword } })).status).toBe(200);
    expect((await login(u, u.password)).status).toBe(401);
    const ok = await login(u, newPassword);
    expect(ok.status).toBe(200);
    expect((await h.call('get', '/account/info', { token: ok.body })).status).toBe(200);
  });

  it('accepts the same password as new password (a fresh epoch all the same)', async () => {
    const u = await createUser(h);
    const before = await stored(u.username);
    const res = await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: u.password } });
    expect(res.status).toBe(200);
    expect((await stored(u.username)).token_epoch).toBe(before.token_epoch + 1);
    expect((await login(u, u.password)).status).toBe(200);
  });

  it('answers 401 for a wrong current_password and changes nothing', async () => {
    const u = await createUser(h);
    const before = await stored(u.username);
    const res = await h.call('post', URL, { token: u.token, body: { current_password: `${u.password}x`, new_password: 'hijacked' } });
    expect(res.status).toBe(401);
    expectTracedError(res, 'change_password');
    expect(res.body.tracedata.client).toBe(`${u.companyKey}_|_${u.username}`);
    expect(await stored(u.username)).toEqual(before);
    // counted against password changes of the account, never against its login
    expect(await count(h, 'auth_throttle', "kind = 'password-user' AND subject = :u AND failures = 1", { u: u.username })).toBe(1);
    expect(await count(h, 'auth_throttle', "kind LIKE 'login-%' AND (subject = :u OR subject LIKE '%/' || :u)", { u: u.username })).toBe(0);
    expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
    expect((await login(u, 'hijacked')).status).toBe(401);
  });

  it('locks after 5 wrong current passwords: then even the right one answers 429 with Retry-After', async () => {
    const u = await createUser(h);
    const before = await stored(u.username);
    for (let i = 0; i < 5; i++) {
      const r = await h.call('post', URL, { token: u.token, body: { current_password: `wrong${i}`, new_password: 'hijacked' } });
      expect(r.status).toBe(401);
    }
    const res = await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: 'hijacked' } });
    expect(res.status).toBe(429);
    expectTracedError(res, 'change_password');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stored(u.username)).toEqual(before);
    // the lock is the password change's own: logging in still works
    expect((await login(u, u.password)).status).toBe(200);
    expect((await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: 'hijacked' } })).status).toBe(429);
  });

  describe('the password rule', () => {
    const refused: [string, (u: TestUser) => string, RegExp][] = [
      ['the username', (u) => u.username, /username/],
      ['the username in other letter case', (u) => u.username.toUpperCase(), /username/],
      ['a common password', () => 'password123', /common/],
      ['a common password in other letter case', () => 'Password123', /common/],
      ['another common one', () => 'iloveyou', /common/],
      ['one character repeated', () => 'zzzzzzzzzz', /repeated/],
      ['a run of digits', () => '23456789', /consecutive/],
      ['a run of letters backwards', () => 'hgfedcba', /consecutive/],
    ];
    it.each(refused)('refuses %s with 400 naming new_password, and changes nothing', async (_what, make, message) => {
      const u = await createUser(h);
      const before = await stored(u.username);
      const res = await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: make(u) } });
      expect(res.status).toBe(400);
      expectTracedError(res, 'change_password');
      expect(res.body.message).toMatch(/new_password/);
      expect(res.body.message).toMatch(message);
      expect(await stored(u.username)).toEqual(before);
      expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
    });

    it.each([
      ['eight characters', 'k3#Lm9!q'],
      ['a passphrase with spaces', 'correct horse battery staple'],
      ['any Unicode', 'пароль — 密码 — 🐎🔋📎'],
      ['1000 characters', 'x'.repeat(500) + 'y'.repeat(500)],
    ])('accepts %s, and the new password logs in', async (_what, newPassword) => {
      const u = await createUser(h);
      const res = await h.call('post', URL, { token: u.token, body: { current_password: u.password, new_password: newPassword } });
      expect(res.status).toBe(200);
      expect((await login(u, newPassword)).status).toBe(200);
    });
  });

  describe('refuses a body off the schema with 400 and changes nothing', () => {
    const bad: [string, (u: TestUser) => unknown][] = [
      ['new_password empty', (u) => ({ current_password: u.password, new_password: '' })],
      ['new_password of 7 characters', (u) => ({ current_password: u.password, new_password: 'abcdef7' })],
      ['new_password too long', (u) => ({ current_password: u.password, new_password: 'p'.repeat(1001) })],
      ['new_password not a string', (u) => ({ current_password: u.password, new_password: 123456 })],
      ['new_password null', (u) => ({ current_password: u.password, new_password: null })],
      ['current_password empty', () => ({ current_password: '', new_password: 'fresh' })],
      ['current_password too long', () => ({ current_password: 'p'.repeat(1001), new_password: 'fresh' })],
      ['new_password missing', (u) => ({ current_password: u.password })],
      ['current_password missing', () => ({ new_password: 'fresh' })],
      ['unknown extra field', (u) => ({ current_password: u.password, new_password: 'fresh', confirm_password: 'fresh' })],
      ['body an array', (u) => [u.password, 'fresh']],
      ['body a string', () => 'fresh'],
    ];
    it.each(bad)('%s', async (_what, make) => {
      const u = await createUser(h);
      const before = await stored(u.username);
      const res = await h.call('post', URL, { token: u.token, body: make(u) });
      expect(res.status).toBe(400);
      expectTracedError(res, 'change_password');
      expect(await stored(u.username)).toEqual(before);
      expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
      expect(await count(h, 'auth_throttle', 'subject = :u', { u: u.username })).toBe(0);
    });

    it.each([['malformed JSON', '{"current_password": "a", '], ['empty body', '']])('%s', async (_what, raw) => {
      const u = await createUser(h);
      const before = await stored(u.username);
      const res = await h.call('post', URL, { token: u.token, raw });
      expect(res.status).toBe(400);
      expectTracedError(res, 'change_password');
      expect(await stored(u.username)).toEqual(before);
    });
  });

  it('answers 401 without a valid token and changes nothing', async () => {
    const u = await createUser(h);
    const before = await stored(u.username);
    for (const token of [undefined, 'not.a.jwt']) {
      const res = await h.call('post', URL, { token, body: { current_password: u.password, new_password: 'fresh' } });
      expect(res.status).toBe(401);
      expectTracedError(res, 'change_password');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(await stored(u.username)).toEqual(before);
  });

  it('answers 415 for a body that is not JSON and changes nothing', async () => {
    const u = await createUser(h);
    const before = await stored(u.username);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const raw = contentType === 'text/plain'
        ? JSON.stringify({ current_password: u.password, new_password: 'fresh' })
        : `current_password=${u.password}&new_password=fresh`;
      const res = await h.call('post', URL, { token: u.token, raw, contentType });
      expect(res.status).toBe(415);
      expectTracedError(res, 'change_password');
    }
    expect(await stored(u.username)).toEqual(before);
  });
});
