/**
 * Finding 7: one huge nested JSON body stalled every other request. A 9 MB body of nested arrays and a body of 300k
 * elements are sent while a small authenticated request runs every 25 ms; the slowest small answer is measured.
 */
import type { Scenario } from './context';
import { percentile, request, type Answer } from './http';

/** generous: the machine is shared with other work */
const SMALL_MAX_MS = 500;
const BIG_MAX_MS = 5_000;

const scenario: Scenario = {
  id: 7,
  fault: 'a 9 MB body of nested arrays and a body of 300k elements (PUT /account/info)',
  expected: `each 400 within ${BIG_MAX_MS / 1000} s; small requests sent meanwhile all 200, slowest under ${SMALL_MAX_MS} ms`,
  timeoutMs: 90_000,
  async run(ctx) {
    const base = await ctx.shared.base();
    const user = await ctx.shared.accountUser('main');
    const half = 4.5 * 1024 * 1024;
    const nested = Buffer.alloc(2 * half);
    nested.fill('[', 0, half);
    nested.fill(']', half);
    const elements = `{"username":"${user.username}","company_key":"x","name":[${'0,'.repeat(300_000 - 1)}0]}`;

    const small: Answer[] = [];
    let running = true;
    const prober = (async () => {
      while (running) {
        const t = Date.now();
        small.push(await request(base.url, '/account/info', { headers: user.auth, timeoutMs: 10_000 }));
        await new Promise((r) => setTimeout(r, Math.max(0, 25 - (Date.now() - t))));
      }
    })();
    await new Promise((r) => setTimeout(r, 150)); // a few small answers before
    const big1 = await request(base.url, '/account/info', { method: 'PUT', headers: user.auth, body: nested, timeoutMs: 30_000 });
    const big2 = await request(base.url, '/account/info', { method: 'PUT', headers: user.auth, body: elements, timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 150));
    running = false;
    await prober;

    const times = small.map((a) => a.ms);
    const slowest = Math.max(...times);
    const smallOk = small.length > 0 && small.every((a) => a.status === 200) && slowest < SMALL_MAX_MS;
    const bigOk = [big1, big2].every((a) => a.status === 400 && typeof a.json?.message === 'string' && a.ms < BIG_MAX_MS);
    return {
      pass: smallOk && bigOk,
      observed: `nested 9 MB: ${big1.status} in ${big1.ms} ms; 300k elements: ${big2.status} in ${big2.ms} ms; `
        + `${small.length} small requests, ${small.filter((a) => a.status === 200).length} × 200, p50 ${percentile(times, 50)} ms, slowest ${slowest} ms`,
      details: [`nested answer: ${big1.text.slice(0, 200) || big1.error}`, `elements answer: ${big2.text.slice(0, 200) || big2.error}`,
        ...small.filter((a) => a.status !== 200).slice(0, 3).map((a) => `small: ${a.status} ${a.error ?? a.text.slice(0, 150)}`)],
    };
  },
};
export default scenario;
