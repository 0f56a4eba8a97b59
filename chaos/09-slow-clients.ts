/**
 * Finding 9: slow clients held connections. A slowloris connection sends a request line, then one header byte a
 * second (server with HEADERS_TIMEOUT_MS=2000), while ordinary requests keep coming on other connections.
 */
import type { Scenario } from './context';
import { parseRaw, percentile, rawExchange, request, type Answer } from './http';

const HEADERS_TIMEOUT_MS = 2_000;
const SLACK_MS = 2_000;
/** past Node's default connectionsCheckingInterval (30 s), so that a late cut is measured, not just missed */
const GIVE_UP_MS = 35_000;

const scenario: Scenario = {
  id: 9,
  fault: `slowloris: one header byte a second (HEADERS_TIMEOUT_MS=${HEADERS_TIMEOUT_MS})`,
  expected: `408 (or closed) between ${HEADERS_TIMEOUT_MS / 1000} and ${(HEADERS_TIMEOUT_MS + SLACK_MS) / 1000} s; other requests meanwhile all 200`,
  timeoutMs: 90_000,
  async run(ctx) {
    const server = await ctx.server('slow', { DATA_DIR: ctx.shared.dataDir, HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) });
    const others: Answer[] = [];
    let running = true;
    const prober = (async () => {
      while (running) {
        others.push(await request(server.url, '/account/system/version', { timeoutMs: 10_000 }));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const head = 'GET /account/system/version HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    const chunks = Array.from({ length: GIVE_UP_MS / 1000 }, () => ({ data: 'a', afterMs: 1_000 }));
    const ex = await rawExchange(server.url, head, { chunks, timeoutMs: GIVE_UP_MS });
    running = false;
    await prober;
    const answer = parseRaw(ex.received);
    const cutAt = ex.firstByteMs ?? ex.endMs;
    const cut = ex.ended !== 'timeout' && (answer ? answer.status === 408 : true);
    const inTime = cutAt >= HEADERS_TIMEOUT_MS - 100 && cutAt <= HEADERS_TIMEOUT_MS + SLACK_MS;
    const othersOk = others.length > 0 && others.every((a) => a.status === 200);
    const times = others.map((a) => a.ms);
    return {
      pass: cut && inTime && othersOk,
      observed: `slowloris: ${ex.ended === 'timeout' ? `still open after ${GIVE_UP_MS / 1000} s` : `${answer ? answer.status : 'no answer'} at ${cutAt} ms, then ${ex.ended}`}; `
        + `${others.length} other requests, ${others.filter((a) => a.status === 200).length} × 200, slowest ${Math.max(...times)} ms (p50 ${percentile(times, 50)})`,
      details: [`received: ${ex.received.toString('utf8').slice(0, 300)}`],
    };
  },
};
export default scenario;
