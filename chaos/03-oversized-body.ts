/**
 * Finding 3: a body declared larger than BODY_LIMIT_BYTES got a connection reset instead of the 413. A raw client
 * declares Content-Length 11 MB, sends 64 KiB and waits, as curl does while it waits for an early answer.
 */
import type { Scenario } from './context';
import { parseRaw, rawExchange } from './http';

const DECLARED = 11 * 1024 * 1024;
const SENT = 64 * 1024;

const scenario: Scenario = {
  id: 3,
  fault: 'oversized body: Content-Length 11 MB (limit 10 MB), 64 KiB sent',
  expected: "413 in the service's error body with Connection: close, whole answer read (no reset), account and b2b",
  timeoutMs: 90_000,
  async run(ctx) {
    const base = await ctx.shared.base();
    const [user, b2b] = await Promise.all([ctx.shared.accountUser('main'), ctx.shared.b2bAdmin()]);
    const cases = [
      { name: 'account PUT /account/info', path: '/account/info', method: 'PUT', auth: `Bearer ${user.token}`,
        shaped: (b: any) => typeof b?.message === 'string' && typeof b?.tracedata?.code === 'string' }, // eslint-disable-line @typescript-eslint/no-explicit-any
      { name: 'b2b POST domain/groups', path: '/b2b/api/v1/domain/groups', method: 'POST', auth: b2b.header(),
        shaped: (b: any) => b?.state === 'fail' && typeof b?.event === 'object' }, // eslint-disable-line @typescript-eslint/no-explicit-any
    ];
    const observed: string[] = [];
    const details: string[] = [];
    let pass = true;
    for (const c of cases) {
      const head = `${c.method} ${c.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${c.auth}\r\n`
        + `Content-Type: application/json\r\nContent-Length: ${DECLARED}\r\n\r\n`;
      const filler = `{"data":[${'"x",'.repeat(SENT / 4 - 4)}`;
      const ex = await rawExchange(base.url, head, { chunks: [{ data: filler, afterMs: 0 }], timeoutMs: 15_000 });
      const answer = parseRaw(ex.received);
      let body: unknown;
      try {
        body = JSON.parse(answer?.body ?? '');
      } catch { /* not JSON */ }
      const ok = answer?.status === 413 && answer.complete && /close/i.test(answer.headers.connection ?? '')
        && c.shaped(body) && ['end', 'close'].includes(ex.ended);
      if (!ok) pass = false;
      observed.push(`${c.name}: ${answer ? `${answer.status}${answer.complete ? '' : ' (incomplete body)'}, Connection: ${answer.headers.connection ?? '-'}, `
        + `${c.shaped(body) ? "service's body" : 'other body'}` : 'no answer'}, then ${ex.ended} after ${ex.endMs} ms`);
      if (!ok) details.push(`${c.name} received: ${ex.received.toString('utf8').slice(0, 400)}`);
    }
    return { pass, observed: observed.join('; '), details };
  },
};
export default scenario;
