/** POST /account/token/generation */
import { eventually, unique } from '../support/harness';
import { hashPassword, verifyPassword } from '../../handlers/account/_password';
import { accountHarness, count, createUser, expectTracedError, type Harness } from './_fixtures';

let h: Harness;
const trustProxy = process.env.TRUST_PROXY;
beforeAll(async () => {
  // the client address of each call is then the X-Forwarded-For a test gives (127.0.0.1 without one)
  process.env.TRUST_PROXY = 'true';
  h = await accountHarness();
});
afterAll(async () => {
  await h.close();
  if (trustProxy === undefined) delete process.env.TRUST_PROXY;
  else process.env.TRUST_PROXY = trustProxy;
});

const URL = '/account/token/generation';
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
/** every throttle counter of a username: its own and those of the addresses that tried it */
const throttleRows = (username: string) => count(h, 'auth_throttle', "kind LIKE 'login-%' AND (subject = :u OR subject LIKE '%/' || :u)", { u: username });

async function throttleOf(username: string, address?: string) {
  const [rows] = await h.sequelize.query(
    'SELECT failures, locked_until > now() AS locked FROM account.auth_throttle WHERE kind = :k AND subject = :s',
    { replacements: address ? { k: 'login-source', s: `${address}/${username}` } : { k: 'login-user', s: username } },
  );
  return (rows as { failures: number; locked: boolean | null }[])[0];
}

/** a login from a given client address */
const login = (username: string, password: string, from = '127.0.0.1') =>
  h.call('post', URL, { body: { username, password }, headers: { 'X-Forwarded-For': from } });

describe('run_token_generation', () => {
  it('answers a JWT string for the account whose exp honours ttl_seconds', async () => {
    const u = await createUser(h, { roles: 'USER,ADMIN' });
    const res = await h.call('post', URL, { body: { username: u.username, password: u.password, ttl_seconds: 3600 } });
    expect(res.status).toBe(200);
    expect(typeof res.body).toBe('string');
    expect(res.body).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const c = claims(res.body);
    expect(c.exp - c.iat).toBe(3600);
    expect(c.sub).toBe(u.username);
    expect(JSON.stringify(c)).not.toContain(u.password);
    // the token is usable
    const info = await h.call('get', '/account/info', { token: res.body });
    expect(info.status).toBe(200);
    expect(info.body.username).toBe(u.username);
  });

  it('defaults the lifetime to 86400 seconds, and accepts the bounds 60 and 31556926', async () => {
    const u = await createUser(h);
    const res = await h.call('post', URL, { body: { username: u.username, password: u.password } });
    expect(res.status).toBe(200);
    const c = claims(res.body);
    expect(c.exp - c.iat).toBe(86400);
    for (const ttl of [60, 31556926]) {
      const r = await h.call('post', URL, { body: { username: u.username, password: u.password, ttl_seconds: ttl } });
      expect(r.status).toBe(200);
      const k = claims(r.body);
      expect(k.exp - k.iat).toBe(ttl);
    }
  });

  it('answers 401 with tracedata for a wrong password and for an unknown user, the same way', async () => {
    const u = await createUser(h);
    const wrong = await h.call('post', URL, { body: { username: u.username, password: `${u.password}x` } });
    expect(wrong.status).toBe(401);
    expectTracedError(wrong, 'run_token_generation');
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    const ghost = unique('ghost');
    const unknown = await h.call('post', URL, { body: { username: ghost, password: u.password } });
    expect(unknown.status).toBe(401);
    expectTracedError(unknown, 'run_token_generation');
    // the answer must not tell whether the username exists (spec: "the same whether or not the username exists")
    expect(wrong.body.message).toBe(unknown.body.message);
    expect(wrong.body.tracedata.client).toBe(unknown.body.tracedata.client);
    expect(JSON.stringify(wrong.body)).not.toContain(u.companyKey);
    // both failures were counted
    expect(await throttleOf(u.username)).toEqual({ failures: 1, locked: null });
    expect(await throttleOf(ghost)).toEqual({ failures: 1, locked: null });
    expect(await throttleOf(ghost, '127.0.0.1')).toEqual({ failures: 1, locked: null });
  });

  it('is audited as an action of the account on success', async () => {
    const u = await createUser(h);
    await eventually(async () => {
      const [rows] = await h.sequelize.query(
        "SELECT service, method_group, client FROM account.audit_actions WHERE username = :u AND operation = 'run_token_generation'",
        { replacements: { u: u.username } },
      );
      expect(rows).toEqual([{ service: 'ACCOUNT', method_group: 'NOTRACE', client: `${u.companyKey}_|_${u.username}` }]);
    });
  });

  it('audits a failed login of an existing account, while its error names no one', async () => {
    const u = await createUser(h);
    const res = await h.call('post', URL, { body: { username: u.username, password: `${u.password}x` } });
    expect(res.status).toBe(401);
    expect(res.body.tracedata.client).toBe('anonymous');
    await eventually(async () => {
      const [rows] = await h.sequelize.query(
        "SELECT trace_code FROM account.audit_actions WHERE username = :u AND operation = 'run_token_generation' ORDER BY id",
        { replacements: { u: u.username } },
      );
      // the login of createUser, then the failed attempt under the error's own trace code
      expect((rows as { trace_code: string }[]).map((r) => r.trace_code)).toContain(res.body.tracedata.code);
      expect(rows).toHaveLength(2);
    });
  });

  it('is case-sensitive on the username and the password', async () => {
    const u = await createUser(h);
    const r1 = await h.call('post', URL, { body: { username: u.username.toUpperCase(), password: u.password } });
    expect(r1.status).toBe(401);
    const r2 = await h.call('post', URL, { body: { username: u.username, password: u.password.toUpperCase() } });
    expect(r2.status).toBe(401);
  });

  describe('refuses a body off the schema with 400 and writes nothing', () => {
    const bad: [string, (u: { username: string; password: string }) => unknown][] = [
      ['username too short', (u) => ({ username: 'a', password: u.password })],
      ['username too long', (u) => ({ username: 'a'.repeat(257), password: u.password })],
      ['username off pattern (space)', (u) => ({ username: `${u.username} x`, password: u.password })],
      ['username off pattern (dot)', (u) => ({ username: `${u.username}.x`, password: u.password })],
      ['username off pattern (_|_)', (u) => ({ username: `co_|_${u.username}`, password: u.password })],
      ['username not a string', (u) => ({ username: 12345, password: u.password })],
      ['username null', (u) => ({ username: null, password: u.password })],
      ['password empty', (u) => ({ username: u.username, password: '' })],
      ['password too long', (u) => ({ username: u.username, password: 'p'.repeat(1001) })],
      ['password not a string', (u) => ({ username: u.username, password: 12345 })],
      ['ttl_seconds below 60', (u) => ({ username: u.username, password: u.password, ttl_seconds: 59 })],
      ['ttl_seconds zero', (u) => ({ username: u.username, password: u.password, ttl_seconds: 0 })],
      ['ttl_seconds negative', (u) => ({ username: u.username, password: u.password, ttl_seconds: -60 })],
      ['ttl_seconds above 31556926', (u) => ({ username: u.username, password: u.password, ttl_seconds: 31556927 })],
      ['ttl_seconds not an integer', (u) => ({ username: u.username, password: u.password, ttl_seconds: 3600.5 })],
      ['ttl_seconds a string', (u) => ({ username: u.username, password: u.password, ttl_seconds: '3600' })],
      ['ttl_seconds null', (u) => ({ username: u.username, password: u.password, ttl_seconds: null })],
      ['unknown extra field', (u) => ({ username: u.username, password: u.password, remember_me: true })],
      ['username missing', (u) => ({ password: u.password })],
      ['password missing', (u) => ({ username: u.username })],
      ['empty object', () => ({})],
      ['body an array', (u) => [u.username, u.password]],
      ['body a string', (u) => u.username],
      ['body a number', () => 42],
      ['body null', () => null],
    ];
    it.each(bad)('%s', async (_what, make) => {
      const u = await createUser(h);
      const res = await h.call('post', URL, { body: make(u) });
      expect(res.status).toBe(400);
      expectTracedError(res, 'run_token_generation');
      expect(res.body.tracedata.client).toBe('anonymous');
      expect(await throttleRows(u.username)).toBe(0);
    });

    it.each([
      ['malformed JSON', '{"username": "abc", "password": '],
      ['single quotes', "{'username': 'abc', 'password': 'x'}"],
      ['trailing garbage', '{"username": "abc", "password": "x"} x'],
      ['empty body', ''],
    ])('%s', async (_what, raw) => {
      const res = await h.call('post', URL, { raw });
      expect(res.status).toBe(400);
      expectTracedError(res, 'run_token_generation');
      expect(await throttleRows('abc')).toBe(0);
    });

    it('a missing body (no Content-Type, no bytes)', async () => {
      const res = await h.call('post', URL);
      expect(res.status).toBe(400);
      expectTracedError(res, 'run_token_generation');
    });
  });

  it.each([
    ['text/plain', (u: { username: string; password: string }) => JSON.stringify({ username: u.username, password: u.password })],
    ['application/x-www-form-urlencoded', (u: { username: string; password: string }) => `username=${u.username}&password=${u.password}`],
    ['application/xml', (u: { username: string; password: string }) => `<r><username>${u.username}</username></r>`],
  ])('answers 415 for Content-Type %s, even with the right credentials', async (contentType, make) => {
    const u = await createUser(h);
    const res = await h.call('post', URL, { raw: make(u), contentType });
    expect(res.status).toBe(415);
    expectTracedError(res, 'run_token_generation');
    expect(await throttleRows(u.username)).toBe(0);
  });

  describe('throttling', () => {
    it('lets no burst past the limit: 40 parallel wrong passwords from one address get 3 checks (401) and 37 refusals (429)', async () => {
      const u = await createUser(h);
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(u.username, `burst${i}`, '198.51.100.1')));
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(37);
      expect((await login(u.username, u.password, '198.51.100.1')).status).toBe(429);
      // the address is locked out of the username; the username is not locked
      expect(await throttleOf(u.username, '198.51.100.1')).toEqual({ failures: 3, locked: true });
      expect(await throttleOf(u.username)).toEqual({ failures: 3, locked: null });
      expect((await login(u.username, u.password, '198.51.100.2')).status).toBe(200);
    });

    it('does not let one address lock an account for everyone: its owner still logs in from elsewhere', async () => {
      const victim = await createUser(h);
      const answers = [];
      for (let i = 0; i < 10; i++) answers.push(await login(victim.username, `guess${i}`, '203.0.113.66'));
      expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
      const refused = answers[3];
      expectTracedError(refused, 'run_token_generation');
      expect(refused.body.message).toMatch(/from this address/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
      // refused attempts count nowhere: the username has the three checked failures only
      expect(await throttleOf(victim.username)).toEqual({ failures: 3, locked: null });
      expect((await login(victim.username, victim.password, '192.0.2.10')).status).toBe(200);
      // and the attacker's address stays locked out of it, even with the right password
      expect((await login(victim.username, victim.password, '203.0.113.66')).status).toBe(429);
    });

    it('locks a username after 5 failures from several addresses: then even the right password answers 429 with Retry-After', async () => {
      const u = await createUser(h);
      for (const [i, from] of ['198.51.100.11', '198.51.100.11', '198.51.100.11', '198.51.100.12', '198.51.100.12'].entries()) {
        const r = await login(u.username, `wrong${i}`, from);
        expect(r.status).toBe(401); // the fifth failure is still a plain 401; it causes the lock
      }
      expect(await throttleOf(u.username)).toEqual({ failures: 5, locked: true });
      expect(await throttleOf(u.username, '198.51.100.12')).toEqual({ failures: 2, locked: null });

      const res = await login(u.username, u.password, '198.51.100.13');
      expect(res.status).toBe(429);
      expectTracedError(res, 'run_token_generation');
      expect(res.body.message).not.toMatch(/from this address/);
      const retry = res.headers['retry-after'];
      expect(retry).toMatch(/^\d+$/);
      expect(Number(retry)).toBeGreaterThan(0);
      expect(Number(retry)).toBeLessThanOrEqual(900);
      // a lock is not lifted by the right password and does not count as another failure
      expect(await throttleOf(u.username)).toEqual({ failures: 5, locked: true });
      expect(await throttleOf(u.username, '198.51.100.13')).toEqual({ failures: 0, locked: null });
      // the account's other tokens are unaffected
      expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
    });

    it('takes the per-address limit from LOGIN_MAX_FAILURES_PER_SOURCE', async () => {
      process.env.LOGIN_MAX_FAILURES_PER_SOURCE = '5';
      try {
        const u = await createUser(h);
        const statuses = [];
        for (let i = 0; i < 6; i++) statuses.push((await login(u.username, 'wrong', '198.51.100.21')).status);
        // with the two limits equal, one address locks the username too (so the per-address one should stay lower)
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
        expect(await throttleOf(u.username)).toEqual({ failures: 5, locked: true });
      } finally {
        delete process.env.LOGIN_MAX_FAILURES_PER_SOURCE;
      }
    });

    it('answers 429 while locked until the lock expires', async () => {
      const u = await createUser(h);
      for (let i = 0; i < 5; i++) await login(u.username, 'wrong', `198.51.100.3${i}`);
      expect((await login(u.username, u.password)).status).toBe(429);
      // the lock runs out (moved into the past rather than waited for)
      await h.sequelize.query(
        "UPDATE account.auth_throttle SET locked_until = now() - interval '1 second', window_started_at = now() - interval '1000 seconds' WHERE subject = :u",
        { replacements: { u: u.username } },
      );
      const res = await login(u.username, u.password);
      expect(res.status).toBe(200);
      expect(await throttleRows(u.username)).toBe(5); // the five addresses keep their own counts until their window ends
      expect(await throttleOf(u.username)).toBeUndefined();
    });

    it('counts failures for unknown usernames the same way', async () => {
      const ghost = unique('ghost');
      for (let i = 0; i < 5; i++) {
        expect((await login(ghost, 'whatever', `198.51.100.4${i % 2}`)).status).toBe(401);
      }
      const res = await login(ghost, 'whatever', '198.51.100.49');
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expectTracedError(res, 'run_token_generation');
    });

    it('locks one username only, and an address out of that username only', async () => {
      const a = await createUser(h);
      const b = await createUser(h);
      for (let i = 0; i < 5; i++) await login(a.username, 'wrong', `198.51.100.5${i % 2}`);
      expect((await login(a.username, a.password)).status).toBe(429);
      expect((await login(b.username, b.password, '198.51.100.50')).status).toBe(200);
    });

    it('clears the failure counts of the username and the address on a success', async () => {
      const u = await createUser(h);
      for (let i = 0; i < 2; i++) expect((await login(u.username, 'wrong', '198.51.100.61')).status).toBe(401);
      for (let i = 0; i < 2; i++) expect((await login(u.username, 'wrong', '198.51.100.62')).status).toBe(401);
      expect(await throttleOf(u.username)).toEqual({ failures: 4, locked: null });
      expect((await login(u.username, u.password, '198.51.100.61')).status).toBe(200);
      expect(await throttleOf(u.username)).toBeUndefined();
      expect(await throttleOf(u.username, '198.51.100.61')).toBeUndefined();
      expect(await throttleOf(u.username, '198.51.100.62')).toEqual({ failures: 2, locked: null });
      for (let i = 0; i < 2; i++) expect((await login(u.username, 'wrong', '198.51.100.61')).status).toBe(401);
      expect(await throttleOf(u.username)).toEqual({ failures: 2, locked: null });
      expect((await login(u.username, u.password, '198.51.100.61')).status).toBe(200);
    });

    it('starts a new count when the 15-minute window has passed', async () => {
      const u = await createUser(h);
      for (let i = 0; i < 2; i++) await login(u.username, 'wrong', '198.51.100.71');
      await h.sequelize.query(
        "UPDATE account.auth_throttle SET window_started_at = now() - interval '901 seconds' WHERE subject IN (:u, '198.51.100.71/' || :u)",
        { replacements: { u: u.username } },
      );
      expect((await login(u.username, 'wrong', '198.51.100.71')).status).toBe(401);
      expect(await throttleOf(u.username)).toEqual({ failures: 1, locked: null });
      expect(await throttleOf(u.username, '198.51.100.71')).toEqual({ failures: 1, locked: null });
      expect((await login(u.username, u.password, '198.51.100.71')).status).toBe(200);
    });

    it('keeps wrong current passwords of password changes apart: they never lock the login', async () => {
      const u = await createUser(h);
      for (let i = 0; i < 6; i++) {
        await h.call('post', '/account/password', { token: u.token, body: { current_password: `wrong-${i}`, new_password: 'a fine new passphrase' } });
      }
      expect(await throttleOf(u.username)).toBeUndefined();
      expect((await login(u.username, u.password)).status).toBe(200);
    });
  });

  describe('password hashing', () => {
    const saved = process.env.ACCOUNT_PASSWORD_SCRYPT_N;
    afterEach(() => { process.env.ACCOUNT_PASSWORD_SCRYPT_N = saved; });
    const storedHash = async (username: string) => ((await h.sequelize.query(
      'SELECT password_hash FROM account.users WHERE username = :u', { replacements: { u: username } }))[0] as { password_hash: string }[])[0].password_hash;

    it('hashes new passwords with scrypt N=2^17, r=8, p=1 by default', async () => {
      delete process.env.ACCOUNT_PASSWORD_SCRYPT_N;
      const stored = await hashPassword('a fine passphrase');
      expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
      expect(await verifyPassword('a fine passphrase', stored)).toBe(true);
      expect(await verifyPassword('a fine passphrase!', stored)).toBe(false);
    });

    it('hashes a password stored with weaker parameters again at the next successful login, not at a failed one', async () => {
      const u = await createUser(h); // made at 2^14 (test fixtures)
      const old = await storedHash(u.username);
      expect(old).toMatch(/^scrypt\$16384\$8\$1\$/);
      delete process.env.ACCOUNT_PASSWORD_SCRYPT_N;
      expect((await login(u.username, `${u.password}x`)).status).toBe(401);
      expect(await storedHash(u.username)).toBe(old);
      expect((await login(u.username, u.password)).status).toBe(200);
      const redone = await storedHash(u.username);
      expect(redone).toMatch(/^scrypt\$131072\$8\$1\$/);
      // the same password, the account's tokens untouched, and nothing more to redo
      expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
      expect((await login(u.username, u.password)).status).toBe(200);
      expect(await storedHash(u.username)).toBe(redone);
    });
  });
});
