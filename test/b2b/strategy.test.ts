/**
 * The AR-REST scheme (handlers/b2b/_strategy.ts) through GET /user: every failure kind answers its own bare security
 * event, and the vendor's test vector is well-formed and expired whether or not its user exists.
 * This is the only suite that uses the domain "test".
 */
import { commands } from '../../handlers/b2b/_admin';
import { buildToken, parseToken, passHashOf } from '../../handlers/b2b/_token';
import { as, b2bHarness, createDomain, createUser, expectSecurityEvent, header, type Harness } from './_fixtures';

const VECTOR = 'dGVzdEB0ZXN0OjE0ODM2MzQ3MjM6NTpaVGZBTzQramFDdmhWMCs2elk1dWFnPT0=';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

let h: Harness;
let domain: string;
beforeAll(async () => {
  h = await b2bHarness();
  domain = await createDomain(h, { roles: 'USER' });
});
afterAll(async () => { await h.close(); });

const me = (authorization?: string) => h.call('get', '/b2b/api/v1/user', authorization === undefined ? {} : as(authorization));

describe('the vendor test vector', () => {
  it('is computed by the token code and parsed as test@test, stamp 1483634723, age 5', () => {
    expect(buildToken('test@test', passHashOf('123'), 1483634723, 5).token).toBe(VECTOR);
    const p = parseToken(VECTOR);
    expect({ user: p.user, stamp: p.stamp, age: p.age, salted: p.saltedHash.toString('base64') })
      .toEqual({ user: 'test@test', stamp: 1483634723, age: 5, salted: 'ZTfAO4+jaCvhV0+6zY5uag==' });
  });

  it('is well-formed and expired while test@test does not exist', async () => {
    const res = await me(`AR-REST ${VECTOR}`);
    expectSecurityEvent(res, 403, 'SecurityAuthTimeoutedStamp');
    expect(res.body.data).toEqual({ income_stamp: '2017-01-05T16:45:23.000Z', income_age: 5, server_time: expect.any(String) });
    expect(res.body.name).toBe('Метка времени просрочена');
  });

  it('is still expired once test@test exists with password 123 (whose fresh tokens work)', async () => {
    await commands['create-domain'].run({ uid: 'test', roles: 'USER' }, h.sequelize);
    await commands['create-user'].run({ uid: 'test@test', password: '123' }, h.sequelize);
    expectSecurityEvent(await me(`AR-REST ${VECTOR}`), 403, 'SecurityAuthTimeoutedStamp');
    const fresh = await me(header('test@test', passHashOf('123')));
    expect(fresh.status).toBe(200);
    expect(fresh.body.data[0].uid).toBe('test@test');
  });
});

describe('failures, one event type each', () => {
  it('no Authorization header, or another scheme: 401 SecurityAuthMissingToken with WWW-Authenticate', async () => {
    for (const authorization of [undefined, 'Bearer abc', 'Basic dGVzdDp0ZXN0', '']) {
      const res = await me(authorization);
      expectSecurityEvent(res, 401, 'SecurityAuthMissingToken');
      expect(res.headers['www-authenticate']).toBe('AR-REST realm="b2b"');
    }
  });

  it('a token that is not base64 of user:stamp:age:salted_hash: 401 SecurityAuthMalformedToken, the vendor\'s body', async () => {
    const bad = [
      'AR-REST', 'AR-REST WRONG_TOKEN_GOES_HERE==', 'AR-REST a b', `AR-REST ${b64('no colons')}`, `AR-REST ${b64('u@d:1:2')}`,
      `AR-REST ${b64(`u@d:abc:5:${passHashOf('x')}`)}`, `AR-REST ${b64(`u@d:${now()}:-5:${passHashOf('x')}`)}`,
      `AR-REST ${b64(`u@d:${now()}:60:not-a-hash`)}`, `AR-REST ${b64(`u@d:${now()}:60:${passHashOf('x')}:extra`)}`,
      `AR-REST ${b64(`:${now()}:60:${passHashOf('x')}`)}`,
    ];
    for (const authorization of bad) {
      const res = await me(authorization);
      expectSecurityEvent(res, 401, 'SecurityAuthMalformedToken');
      expect(res.body.data).toEqual({ token: authorization.slice('AR-REST '.length), error_cause: { detailMessage: expect.any(String) } });
      expect(res.body.message).toBe(`Неверная структура токена авторизации:${res.body.data.token}`);
    }
  });

  it('the scheme name is case-insensitive', async () => {
    const u = await createUser(h, domain);
    expect((await me(u.header.replace('AR-REST', 'ar-rest'))).status).toBe(200);
  });

  it('a stamp whose age has passed: 403 SecurityAuthTimeoutedStamp', async () => {
    const u = await createUser(h, domain);
    const res = await me(header(u.uid, u.passHash, { stamp: now() - 100, age: 50 }));
    expectSecurityEvent(res, 403, 'SecurityAuthTimeoutedStamp');
    expect(res.body.data.income_age).toBe(50);
  });

  it('far stamps: the largest stamp is a future one, 1970 an expired one, each shown as an exact instant', async () => {
    const u = await createUser(h, domain);
    const far = await me(header(u.uid, u.passHash, { stamp: 99_999_999_999, age: 99_999_999_999 }));
    expectSecurityEvent(far, 403, 'SecurityAuthFutureStamp');
    expect(far.body.data.income_stamp).toBe('5138-11-16T09:46:39.000Z');
    const old = await me(header(u.uid, u.passHash, { stamp: 0, age: 1 }));
    expectSecurityEvent(old, 403, 'SecurityAuthTimeoutedStamp');
    expect(old.body.data.income_stamp).toBe('1970-01-01T00:00:00.000Z');
  });

  it('a token lives at most B2B_MAX_TOKEN_AGE_SECONDS (172800) whatever its age: a 1970 stamp with 3000 years is expired', async () => {
    const u = await createUser(h, domain);
    const ancient = await me(header(u.uid, u.passHash, { stamp: 0, age: 3000 * 365 * 86400 }));
    expectSecurityEvent(ancient, 403, 'SecurityAuthTimeoutedStamp');
    expect(ancient.body.data).toEqual({
      income_stamp: '1970-01-01T00:00:00.000Z', income_age: 3000 * 365 * 86400, max_age: 172800, server_time: expect.any(String),
    });
    expect(ancient.body.message).toContain('max_age:172800');
    // a long age is kept to the cap: alive within it, expired beyond it
    expect((await me(header(u.uid, u.passHash, { stamp: now() - 172800 + 120, age: 99_999_999_999 }))).status).toBe(200);
    expectSecurityEvent(await me(header(u.uid, u.passHash, { stamp: now() - 172800 - 5, age: 99_999_999_999 })), 403, 'SecurityAuthTimeoutedStamp');
    // an age within the cap ends when it says, and the answer does not mention the cap
    const short = await me(header(u.uid, u.passHash, { stamp: now() - 100, age: 50 }));
    expect(Object.keys(short.body.data).sort()).toEqual(['income_age', 'income_stamp', 'server_time']);
    // the vendor client's defaults (stamp now - 60 s, age 172800 + 60) work
    expect((await me(header(u.uid, u.passHash, { stamp: now() - 60, age: 172860 }))).status).toBe(200);
  });

  it('the cap is configurable (B2B_MAX_TOKEN_AGE_SECONDS)', async () => {
    const u = await createUser(h, domain);
    process.env.B2B_MAX_TOKEN_AGE_SECONDS = '600';
    try {
      expect((await me(header(u.uid, u.passHash, { stamp: now() - 500, age: 86400 }))).status).toBe(200);
      const res = await me(header(u.uid, u.passHash, { stamp: now() - 700, age: 86400 }));
      expectSecurityEvent(res, 403, 'SecurityAuthTimeoutedStamp');
      expect(res.body.data.max_age).toBe(600);
    } finally {
      delete process.env.B2B_MAX_TOKEN_AGE_SECONDS;
    }
  });

  it('a stamp in the future beyond the skew: 403 SecurityAuthFutureStamp; within the skew it works', async () => {
    const u = await createUser(h, domain);
    expectSecurityEvent(await me(header(u.uid, u.passHash, { stamp: now() + 3600 })), 403, 'SecurityAuthFutureStamp');
    expect((await me(header(u.uid, u.passHash, { stamp: now() + 30 }))).status).toBe(200);
    // the latest stamp dev/token makes (date=9999-12-31T23:59:59Z) has 12 digits: future, not malformed
    expectSecurityEvent(await me(header(u.uid, u.passHash, { stamp: 253402300799 })), 403, 'SecurityAuthFutureStamp');
    expectSecurityEvent(await me(header(u.uid, u.passHash, { stamp: 1e13 })), 401, 'SecurityAuthMalformedToken'); // 14 digits
  });

  it('the skew is configurable (B2B_CLOCK_SKEW_SECONDS)', async () => {
    const u = await createUser(h, domain);
    process.env.B2B_CLOCK_SKEW_SECONDS = '0';
    try {
      expectSecurityEvent(await me(header(u.uid, u.passHash, { stamp: now() + 30 })), 403, 'SecurityAuthFutureStamp');
    } finally {
      delete process.env.B2B_CLOCK_SKEW_SECONDS;
    }
  });

  it('an unknown user: 401 SecurityAuthUserNotFound', async () => {
    const res = await me(header(`ghost@${domain}`, passHashOf('x')));
    expectSecurityEvent(res, 401, 'SecurityAuthUserNotFound');
    expect(res.body.data).toEqual({ user: `ghost@${domain}` });
  });

  it('a wrong password, or a token altered after signing: 401 SecurityAuthWrongHash', async () => {
    const u = await createUser(h, domain);
    expectSecurityEvent(await me(header(u.uid, passHashOf('not the password'))), 401, 'SecurityAuthWrongHash');
    const stamp = now() - 10;
    const signed = buildToken(u.uid, u.passHash, stamp, 600).rawToken;
    const stretched = signed.replace(`:${stamp}:600:`, `:${stamp}:99999:`);
    expectSecurityEvent(await me(`AR-REST ${b64(stretched)}`), 401, 'SecurityAuthWrongHash');
  });

  it('the salt is recomputed from the stamp and age as the client wrote them', async () => {
    const u = await createUser(h, domain);
    const stamp = `0${now() - 10}`;
    const raw = buildToken(u.uid, u.passHash, stamp as unknown as number, 600).rawToken;
    expect((await me(`AR-REST ${b64(raw)}`)).status).toBe(200);
  });

  it('a BANNED user: 403 SecurityAuthUserBanned; a user awaiting activation: 403 SecurityAuthUserActivationRequired', async () => {
    const banned = await createUser(h, domain, { state: 'BANNED' });
    expectSecurityEvent(await me(banned.header), 403, 'SecurityAuthUserBanned');
    const pending = await createUser(h, domain, { state: 'ACTIVATION_REQUIRED' });
    expectSecurityEvent(await me(pending.header), 403, 'SecurityAuthUserActivationRequired');
  });

  it('the right hash is checked before the state: a banned user with a wrong password gets WrongHash', async () => {
    const banned = await createUser(h, domain, { state: 'BANNED' });
    expectSecurityEvent(await me(header(banned.uid, passHashOf('guess'))), 401, 'SecurityAuthWrongHash');
  });

  it('outside the user\'s active period: 403 SecurityAuthUserInactive', async () => {
    const later = await createUser(h, domain);
    await h.sequelize.query("UPDATE b2b.users SET active_from = now() + interval '1 day' WHERE uid = :u", { replacements: { u: later.uid } });
    const res = await me(later.header);
    expectSecurityEvent(res, 403, 'SecurityAuthUserInactive');
    expect(res.body.data).toEqual(expect.objectContaining({ user: later.uid, active_from: expect.any(String), active_to: '3000-01-01T00:00:00.000Z' }));
    const gone = await createUser(h, domain);
    await h.sequelize.query("UPDATE b2b.users SET active_from = now() - interval '2 day', active_to = now() - interval '1 day' WHERE uid = :u", { replacements: { u: gone.uid } });
    expectSecurityEvent(await me(gone.header), 403, 'SecurityAuthUserInactive');
  });

  it('a domain that is not ACTIVE or outside its period: 403 SecurityAuthDomainInactive', async () => {
    const banned = await createDomain(h, { roles: 'USER', state: 'BANNED' });
    const u1 = await createUser(h, banned);
    const res = await me(u1.header);
    expectSecurityEvent(res, 403, 'SecurityAuthDomainInactive');
    expect(res.body.data).toEqual(expect.objectContaining({ domain: banned, state: 'BANNED' }));
    const draft = await createDomain(h, { roles: 'USER', state: 'DRAFT' });
    expectSecurityEvent(await me((await createUser(h, draft)).header), 403, 'SecurityAuthDomainInactive');
    const over = await createDomain(h, { roles: 'USER' });
    const u3 = await createUser(h, over);
    await h.sequelize.query("UPDATE b2b.domains SET active_from = now() - interval '2 day', active_to = now() - interval '1 day' WHERE uid = :d", { replacements: { d: over } });
    expectSecurityEvent(await me(u3.header), 403, 'SecurityAuthDomainInactive');
  });
});
