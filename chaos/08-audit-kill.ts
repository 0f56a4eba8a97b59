/**
 * Finding 8: audit actions were lost when the database went away after the answer. The server is killed (SIGKILL)
 * under a load of GET and PUT /account/info by three users, some PUTs invalid (400, their trace code in the error
 * body); it is started again, and once the outbox has drained every answered call must be in account.audit_actions:
 * per user and operation at least as many actions as answers, and every 400's trace code.
 */
import type { Scenario } from './context';
import { login } from './context';
import { request } from './http';
import { sleep } from './processes';

const USERS = ['audit1', 'audit2', 'audit3'];
const WORKERS = 6;
const KILL_AFTER_MS = 1_500;
const MAX_REQUESTS = 3_000;

interface Sent { user: string; op: 'read_info' | 'update_info'; status: number; trace?: string }

const scenario: Scenario = {
  id: 8,
  fault: `SIGKILL of the server under a load of GET/PUT /account/info (${WORKERS} clients, 3 users), then a restart`,
  expected: 'every call answered 2xx/4xx has its audit action once the outbox drained (counts per user and operation, 400s by trace code)',
  timeoutMs: 150_000,
  async run(ctx) {
    const users = await Promise.all(USERS.map((k) => ctx.shared.accountUser(k)));
    const server = await ctx.server('audit', { DATA_DIR: ctx.shared.dataDir });
    const tokens = await Promise.all(users.map((u) => login(server.url, u.username, u.password)));
    const sent: Sent[] = [];
    const companies = await Promise.all(tokens.map(async (t, u) => {
      const a = await request(server.url, '/account/info', { headers: { Authorization: `Bearer ${t}` } });
      sent.push({ user: users[u].username, op: 'read_info', status: a.status });
      return a.json?.company_key as string;
    }));
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      for (let i = 0; !stop && n < MAX_REQUESTS; i++) {
        n++;
        const u = (w + i) % users.length;
        const auth = { Authorization: `Bearer ${tokens[u]}` };
        const kind = i % 5;
        let a;
        let op: Sent['op'] = 'update_info';
        if (kind < 2) {
          op = 'read_info';
          a = await request(server.url, '/account/info', { headers: auth, timeoutMs: 10_000 });
        } else {
          const name = kind === 4 ? 'x' : `load ${w}-${i}`; // a one-letter name breaks minLength 2: a 400
          a = await request(server.url, '/account/info', {
            method: 'PUT', headers: auth, timeoutMs: 10_000,
            body: { username: users[u].username, company_key: companies[u], name, email: null, phone: null },
          });
        }
        sent.push({ user: users[u].username, op, status: a.status, trace: a.json?.tracedata?.code });
        if (a.status === 0) await sleep(20); // the server is gone: keep trying until told to stop
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await sleep(KILL_AFTER_MS);
    server.signal('SIGKILL');
    const killedAt = sent.length;
    await sleep(300);
    stop = true;
    await load;

    const again = await ctx.server('audit-restarted', { DATA_DIR: ctx.shared.dataDir });
    let outbox = -1;
    for (let i = 0; i < 100; i++) {
      outbox = (await ctx.shared.cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM account.audit_outbox'))[0].n;
      if (outbox === 0) break;
      await sleep(100);
    }
    await again.stop();

    const answered = sent.filter((s) => s.status >= 200 && s.status < 500);
    const unanswered = sent.filter((s) => s.status === 0).length;
    const rows = await ctx.shared.cluster.query<{ username: string; operation: string; n: number }>(
      `SELECT username, operation, count(*)::int AS n FROM account.audit_actions
        WHERE username = ANY($1) AND operation IN ('read_info', 'update_info') GROUP BY 1, 2`,
      [users.map((u) => u.username)],
    );
    const traces = answered.filter((s) => s.trace).map((s) => s.trace!);
    const found = new Set((await ctx.shared.cluster.query<{ trace_code: string }>(
      'SELECT trace_code::text FROM account.audit_actions WHERE trace_code = ANY($1::uuid[])', [traces],
    )).map((r) => r.trace_code));
    const missing: string[] = [];
    for (const u of users) {
      for (const op of ['read_info', 'update_info']) {
        const want = answered.filter((s) => s.user === u.username && s.op === op).length;
        const sentCount = sent.filter((s) => s.user === u.username && s.op === op).length;
        const got = rows.find((r) => r.username === u.username && r.operation === op)?.n ?? 0;
        if (got < want || got > sentCount) missing.push(`${u.username} ${op}: ${got} actions for ${want} answered (${sentCount} sent)`);
      }
    }
    const lostTraces = traces.filter((t) => !found.has(t));
    const pass = answered.length > 0 && unanswered > 0 && outbox === 0 && missing.length === 0 && lostTraces.length === 0;
    const by = (s: number) => answered.filter((a) => a.status === s).length;
    return {
      pass,
      observed: `${sent.length} sent (${killedAt} before the kill): ${by(200)} × 200, ${by(400)} × 400, ${answered.length - by(200) - by(400)} other answers, `
        + `${unanswered} unanswered; outbox ${outbox === 0 ? 'drained' : `still ${outbox}`} after restart; `
        + `${missing.length ? `${missing.length} user/operation counts short` : 'every answered call has its action'}, `
        + `${traces.length - lostTraces.length}/${traces.length} error trace codes found`,
      details: [...missing, ...lostTraces.slice(0, 5).map((t) => `no action with trace code ${t}`),
        ...(unanswered ? [] : ['the kill came after the load: nothing was in flight'])],
    };
  },
};
export default scenario;
