/**
 * Finding 4: the login throttle was not atomic: of 40 parallel wrong passwords on one or two processes, 25 reached
 * the password check. 40 wrong logins for one username at once, alternating between two server processes on one
 * DATA_DIR: at most LOGIN_MAX_FAILURES (5) may be judged (401); the others are refused as locked (429).
 */
import crypto from 'node:crypto';
import type { Scenario } from './context';
import { request } from './http';

const ATTEMPTS = 40;
const MAX_FAILURES = 5;

const scenario: Scenario = {
  id: 4,
  fault: `${ATTEMPTS} parallel wrong logins for one username, two server processes on one DATA_DIR`,
  expected: `at most ${MAX_FAILURES} answered 401, the rest 429 with Retry-After; no 5xx`,
  timeoutMs: 120_000,
  async run(ctx) {
    const base = await ctx.shared.base();
    const user = await ctx.shared.accountUser('throttled');
    const second = await ctx.server('second', { DATA_DIR: ctx.shared.dataDir });
    const servers = [base.url, second.url];
    const body = { username: user.username, password: `wrong-${crypto.randomBytes(6).toString('hex')}` };
    const answers = await Promise.all(Array.from({ length: ATTEMPTS }, (_, i) =>
      request(servers[i % 2], '/account/token/generation', { method: 'POST', body, timeoutMs: 30_000 })));
    const count = (s: number) => answers.filter((a) => a.status === s).length;
    const others = answers.filter((a) => a.status !== 401 && a.status !== 429);
    const retryAfter = answers.filter((a) => a.status === 429).every((a) => Number(a.headers['retry-after']) > 0);
    // and the right password is refused too while the username is locked
    const right = await request(base.url, '/account/token/generation', { method: 'POST', body: { username: user.username, password: user.password } });
    const pass = count(401) >= 1 && count(401) <= MAX_FAILURES && count(429) === ATTEMPTS - count(401) && retryAfter && right.status === 429;
    return {
      pass,
      observed: `${count(401)} × 401, ${count(429)} × 429${others.length ? `, others: ${others.map((a) => a.status || a.error).join(', ')}` : ''}`
        + `${retryAfter ? '' : ' (a 429 without Retry-After)'}; then the right password: ${right.status}`,
      details: others.slice(0, 3).map((a) => `${a.status}: ${a.error ?? a.text.slice(0, 200)}`),
    };
  },
};
export default scenario;
