/**
 * Brute-force limits of the AR-REST scheme (handlers/b2b/_throttle.ts through GET /user): failed signatures are counted
 * per user and per client address in PostgreSQL, and a user or address over its limit answers 403 SecurityAuthLocked
 * with Retry-After, even for the right token. Every failure is logged with its user and event type, never the token.
 *
 * Requests carry X-Forwarded-For with TRUST_PROXY on, so each test has client addresses of its own (all in-process
 * requests come from 127.0.0.1, which the other b2b suites share).
 */
import crypto from 'node:crypto';
import { logger } from '../../lib/logger';
import { passHashOf } from '../../handlers/b2b/_token';
import { b2bHarness, createDomain, createUser, expectSecurityEvent, header, type Harness, type TestUser } from './_fixtures';

let h: Harness;
let domain: string;
const saved = { ...process.env };
beforeAll(async () => {
  process.env.TRUST_PROXY = 'true';
  h = await b2bHarness();
  domain = await createDomain(h, { roles: 'USER' });
});
afterEach(() => {
  for (const k of ['B2B_AUTH_MAX_FAILURES', 'B2B_AUTH_MAX_FAILURES_PER_ADDRESS', 'B2B_AUTH_WINDOW_SECONDS', 'B2B_AUTH_LOCK_SECONDS']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  jest.restoreAllMocks();
});
afterAll(async () => {
  process.env.TRUST_PROXY = saved.TRUST_PROXY;
  if (saved.TRUST_PROXY === undefined) delete process.env.TRUST_PROXY;
  await h.close();
});

/** a client address of its own: 10.x.y.z */
const newAddress = () => `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(1, 255)}`;
const me = (authorization: string, from: string) =>
  h.call('get', '/b2b/api/v1/user', { headers: { Authorization: authorization, 'X-Forwarded-For': from } });
const wrong = (u: TestUser) => header(u.uid, passHashOf(`not ${u.password}`));
const throttleRow = async (key: string) => {
  const [rows] = await h.sequelize.query('SELECT failures, locked_until FROM b2b.auth_throttle WHERE key = :k', { replacements: { k: key } });
  return (rows as Array<{ failures: number; locked_until: Date | null }>)[0];
};

function expectLocked(res: { status: number; body: any; headers: Record<string, string> }, scope: 'user' | 'address', maxSeconds: number) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expectSecurityEvent(res, 403, 'SecurityAuthLocked');
  expect(res.body.data).toEqual(expect.objectContaining({ scope, retry_after: expect.any(Number) }));
  const after = Number(res.headers['retry-after']);
  expect(after).toBe(res.body.data.retry_after);
  expect(after).toBeGreaterThanOrEqual(1);
  expect(after).toBeLessThanOrEqual(maxSeconds);
}

describe('per user', () => {
  it('30 wrong hashes then the right one: five are answered WrongHash, then the user is locked, the right token too', async () => {
    const u = await createUser(h, domain);
    const from = newAddress();
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await me(wrong(u), from);
      answers.push(`${res.status} ${res.body.type}`);
      if (i >= 5) expectLocked(res, 'user', 900);
    }
    expect(answers.slice(0, 5)).toEqual(Array(5).fill('401 SecurityAuthWrongHash'));
    expect(new Set(answers.slice(5))).toEqual(new Set(['403 SecurityAuthLocked']));
    const right = await me(u.header, from);
    expectLocked(right, 'user', 900);
    expect(right.body.data.user).toBe(u.uid);
    // the lock is the user's, wherever the attempts come from
    expectLocked(await me(u.header, newAddress()), 'user', 900);
    // kept in PostgreSQL: five failures, locked for the lock's length
    const row = await throttleRow(`u:${u.uid}`);
    expect(row.failures).toBeGreaterThanOrEqual(5);
    expect(row.locked_until!.getTime() - Date.now()).toBeGreaterThan(890_000);
    // another user from the same address is not affected
    const other = await createUser(h, domain);
    expect((await me(other.header, from)).status).toBe(200);
  });

  it('a burst of parallel wrong tokens gets no more WrongHash answers than the limit', async () => {
    const u = await createUser(h, domain);
    const from = newAddress();
    const results = await Promise.all(Array.from({ length: 20 }, () => me(wrong(u), from)));
    const types = results.map((r) => r.body.type);
    expect(types.filter((t) => t === 'SecurityAuthWrongHash')).toHaveLength(5);
    expect(types.filter((t) => t === 'SecurityAuthLocked')).toHaveLength(15);
    expectLocked(await me(u.header, from), 'user', 900);
  });

  it('parallel requests with the right token are never throttled', async () => {
    const u = await createUser(h, domain);
    const from = newAddress();
    const results = await Promise.all(Array.from({ length: 20 }, () => me(u.header, from)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await throttleRow(`u:${u.uid}`)).toBeUndefined();
  });

  it('a success does not reset the count (a busy legitimate client cannot launder an attacker\'s guesses)', async () => {
    const u = await createUser(h, domain);
    const from = newAddress();
    for (let i = 0; i < 4; i++) expectSecurityEvent(await me(wrong(u), from), 401, 'SecurityAuthWrongHash');
    expect((await me(u.header, from)).status).toBe(200);
    expectSecurityEvent(await me(wrong(u), from), 401, 'SecurityAuthWrongHash');
    expectLocked(await me(u.header, from), 'user', 900);
  });

  it('limit, window and lock are configurable; after the lock the count starts again', async () => {
    process.env.B2B_AUTH_MAX_FAILURES = '2';
    process.env.B2B_AUTH_LOCK_SECONDS = '60';
    const u = await createUser(h, domain);
    const from = newAddress();
    expectSecurityEvent(await me(wrong(u), from), 401, 'SecurityAuthWrongHash');
    expectSecurityEvent(await me(wrong(u), from), 401, 'SecurityAuthWrongHash');
    expectLocked(await me(u.header, from), 'user', 60);
    // the lock is over: the right token works, and a wrong one is counted anew
    await h.sequelize.query("UPDATE b2b.auth_throttle SET locked_until = now() - interval '1 second' WHERE key = :k", { replacements: { k: `u:${u.uid}` } });
    expect((await me(u.header, from)).status).toBe(200);
    expectSecurityEvent(await me(wrong(u), from), 401, 'SecurityAuthWrongHash');
    expect((await throttleRow(`u:${u.uid}`)).failures).toBe(1);
    // failures older than the window are forgotten
    process.env.B2B_AUTH_WINDOW_SECONDS = '60';
    await h.sequelize.query("UPDATE b2b.auth_throttle SET window_started_at = now() - interval '61 seconds' WHERE key = :k", { replacements: { k: `u:${u.uid}` } });
    expectSecurityEvent(await me(wrong(u), from), 401, 'SecurityAuthWrongHash');
    expect((await throttleRow(`u:${u.uid}`)).failures).toBe(1);
  });

  it('tokens that test no secret (malformed, expired, future) are not counted', async () => {
    const u = await createUser(h, domain);
    const from = newAddress();
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 8; i++) {
      expectSecurityEvent(await me(header(u.uid, passHashOf('x'), { stamp: now - 7200, age: 60 }), from), 403, 'SecurityAuthTimeoutedStamp');
      expectSecurityEvent(await me(header(u.uid, passHashOf('x'), { stamp: now + 7200 }), from), 403, 'SecurityAuthFutureStamp');
      expectSecurityEvent(await me('AR-REST !!', from), 401, 'SecurityAuthMalformedToken');
    }
    expect((await me(u.header, from)).status).toBe(200);
    expect(await throttleRow(`u:${u.uid}`)).toBeUndefined();
  });
});

describe('per client address', () => {
  it('unknown users and wrong hashes from one address lock that address, for every user; other addresses still work', async () => {
    process.env.B2B_AUTH_MAX_FAILURES_PER_ADDRESS = '3';
    const u = await createUser(h, domain);
    const from = newAddress();
    expectSecurityEvent(await me(header(`ghost1@${domain}`, passHashOf('x')), from), 401, 'SecurityAuthUserNotFound');
    expectSecurityEvent(await me(header(`ghost2@${domain}`, passHashOf('x')), from), 401, 'SecurityAuthUserNotFound');
    expectSecurityEvent(await me(wrong(await createUser(h, domain)), from), 401, 'SecurityAuthWrongHash');
    // the address is locked: an unknown user is no longer revealed as unknown, and the right token is refused
    expectLocked(await me(header(`ghost3@${domain}`, passHashOf('x')), from), 'address', 900);
    expectLocked(await me(u.header, from), 'address', 900);
    expect((await me(u.header, newAddress())).status).toBe(200);
  });

  it('an IPv6 client is counted by its /64 network', async () => {
    process.env.B2B_AUTH_MAX_FAILURES_PER_ADDRESS = '2';
    const u = await createUser(h, domain);
    const net = `2001:db8:${crypto.randomInt(0xffff).toString(16)}:${crypto.randomInt(0xffff).toString(16)}`;
    expectSecurityEvent(await me(header(`ghost1@${domain}`, passHashOf('x')), `${net}::1`), 401, 'SecurityAuthUserNotFound');
    expectSecurityEvent(await me(header(`ghost2@${domain}`, passHashOf('x')), `${net}:0:0:0:2`), 401, 'SecurityAuthUserNotFound');
    expectLocked(await me(u.header, `${net}:ffff:1:2:3`), 'address', 900);
    expect((await me(u.header, '2001:db8:ffff:ffff::1')).status).toBe(200);
  });

  it('B2B_AUTH_MAX_FAILURES_PER_ADDRESS=0 switches the address limit off', async () => {
    process.env.B2B_AUTH_MAX_FAILURES_PER_ADDRESS = '0';
    const from = newAddress();
    for (let i = 0; i < 6; i++) expectSecurityEvent(await me(header(`ghost${i}@${domain}`, passHashOf('x')), from), 401, 'SecurityAuthUserNotFound');
    expect((await me((await createUser(h, domain)).header, from)).status).toBe(200);
  });
});

describe('logging', () => {
  it('every refused token is logged with its user and event type, never the token or a hash', async () => {
    const warn = jest.spyOn(logger, 'warn');
    const u = await createUser(h, domain);
    const from = newAddress();
    const bad = wrong(u);
    expectSecurityEvent(await me(bad, from), 401, 'SecurityAuthWrongHash');
    expectSecurityEvent(await me(header(`ghost@${domain}`, passHashOf('x')), from), 401, 'SecurityAuthUserNotFound');
    const expired = header(u.uid, u.passHash, { stamp: 1483634723, age: 5 });
    expectSecurityEvent(await me(expired, from), 403, 'SecurityAuthTimeoutedStamp');
    expectSecurityEvent(await me('AR-REST bm90IGEgdG9rZW4=', from), 401, 'SecurityAuthMalformedToken');
    const logged = warn.mock.calls.map((c) => c[0] as unknown as Record<string, unknown>).filter((o) => o && typeof o === 'object' && 'event' in o);
    expect(logged).toEqual([
      expect.objectContaining({ event: 'SecurityAuthWrongHash', user: u.uid, client: from, requestId: expect.any(String) }),
      expect.objectContaining({ event: 'SecurityAuthUserNotFound', user: `ghost@${domain}`, client: from }),
      expect.objectContaining({ event: 'SecurityAuthTimeoutedStamp', user: u.uid, client: from }),
      expect.objectContaining({ event: 'SecurityAuthMalformedToken', client: from }),
    ]);
    const text = JSON.stringify(warn.mock.calls);
    for (const secret of [bad.slice('AR-REST '.length), expired.slice('AR-REST '.length), 'bm90IGEgdG9rZW4=', u.passHash, passHashOf(`not ${u.password}`)]) {
      expect(text).not.toContain(secret);
    }
  });
});
