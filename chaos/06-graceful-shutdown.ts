/**
 * Finding 6: graceful shutdown dropped answers. Under SIGTERM (SHUTDOWN_DELAY_MS=500): four keep-alive connections
 * that have been used, three PUTs whose bodies are still arriving (sent over 1.5 s), a burst of GETs sent with the
 * signal; after it, requests on the kept-alive connections and readiness probes on new ones.
 */
import http from 'node:http';
import type { Scenario } from './context';
import { login } from './context';
import { request, type Answer } from './http';
import { sleep } from './processes';

const DELAY_MS = 500;
const EXIT_AFTER_LAST_MS = 2_000;

const scenario: Scenario = {
  id: 6,
  fault: `SIGTERM under keep-alive clients and in-flight slow uploads (SHUTDOWN_DELAY_MS=${DELAY_MS})`,
  expected: `every request sent before SIGTERM answered 2xx; answers after it carry Connection: close; /readyz 503 draining, then the listener closed; exit 0 within ${EXIT_AFTER_LAST_MS / 1000} s of the last answer`,
  timeoutMs: 120_000,
  async run(ctx) {
    const user = await ctx.shared.accountUser('drain');
    const server = await ctx.server('drain', { DATA_DIR: ctx.shared.dataDir, SHUTDOWN_DELAY_MS: String(DELAY_MS) });
    const token = await login(server.url, user.username, user.password);
    const auth = { Authorization: `Bearer ${token}` };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const warm = await Promise.all(Array.from({ length: 4 }, () => request(server.url, '/account/info', { headers: auth, agent })));
      if (warm.some((a) => a.status !== 200)) throw new Error(`warm-up answered ${warm.map((a) => a.status).join(',')}`);
      const company = warm[0].json.company_key;

      // before SIGTERM: slow uploads, then a burst sent together with the signal
      const before: Promise<Answer>[] = [];
      for (let i = 0; i < 3; i++) {
        before.push(request(server.url, '/account/info', {
          method: 'PUT', headers: auth, timeoutMs: 20_000, trickle: { pieces: 6, overMs: 1_500 },
          body: { username: user.username, company_key: company, name: `draining ${i}`, email: null, phone: null },
        }));
      }
      await sleep(300);
      for (let i = 0; i < 8; i++) before.push(request(server.url, '/account/info', { headers: auth, timeoutMs: 20_000 }));
      const signalAt = Date.now();
      server.signal('SIGTERM');

      // after SIGTERM, within the delay, once the server has taken the signal (its readiness says draining: until its
      // event loop has run the handler it cannot know, and under load that can take longer than any fixed pause): the
      // kept-alive connections, and readiness on new ones
      for (let i = 0; i < 20; i++) {
        const probe = await request(server.url, '/readyz', { timeoutMs: 5_000 });
        if (probe.status === 503) break;
        await sleep(10);
      }
      const onKept = Promise.all(Array.from({ length: 4 }, () => request(server.url, '/account/info', { headers: auth, agent, timeoutMs: 20_000 })));
      const ready: Answer[] = [];
      for (let i = 0; i < 3; i++) {
        ready.push(await request(server.url, '/readyz', { timeoutMs: 5_000 }));
        await sleep(100);
      }
      // once the delay is over the listener is closed (the uploads still run)
      await sleep(Math.max(0, signalAt + DELAY_MS + 300 - Date.now()));
      const late = await request(server.url, '/readyz', { timeoutMs: 5_000 });
      const pre = await Promise.all(before);
      const kept = await onKept;
      const exit = await Promise.race([server.exit, sleep(30_000).then(() => undefined)]);

      const preOk = pre.every((a) => a.status === 200);
      const keptOk = kept.every((a) => a.status === 200 && a.headers.connection === 'close');
      const uploadsClose = pre.slice(0, 3).every((a) => a.headers.connection === 'close');
      const draining = ready.some((a) => a.status === 503 && a.json?.status === 'draining');
      const lastAnswer = Math.max(...[...pre, ...kept, ...ready].filter((a) => a.status).map((a) => a.at));
      const exitGap = exit ? exit.at - lastAnswer : NaN;
      const closed = late.status === 0 && late.error === 'ECONNREFUSED';
      const pass = preOk && keptOk && uploadsClose && draining && closed && exit?.code === 0 && exitGap <= EXIT_AFTER_LAST_MS;
      const statuses = (list: Answer[]) => list.map((a) => a.status || a.error).join(',');
      return {
        pass,
        observed: `before SIGTERM: ${pre.filter((a) => a.status === 200).length}/${pre.length} answered 200 `
          + `(uploads ${uploadsClose ? 'with' : 'WITHOUT'} Connection: close); after: kept-alive ${statuses(kept)} `
          + `(${kept.filter((a) => a.headers.connection === 'close').length}/${kept.length} Connection: close), /readyz ${statuses(ready)}, then ${late.status || late.error}; `
          + `exit ${exit ? (exit.code ?? exit.signal) : 'none within 30 s'} ${Number.isFinite(exitGap) ? `${exitGap} ms after the last answer` : ''} `
          + `(${exit ? exit.at - signalAt : '?'} ms after SIGTERM)`,
        details: [...pre, ...kept].filter((a) => a.status !== 200).slice(0, 4).map((a) => `${a.status}: ${a.error ?? a.text.slice(0, 150)}`)
          .concat(server.tail(8).split('\n')),
      };
    } finally {
      agent.destroy();
    }
  },
};
export default scenario;
