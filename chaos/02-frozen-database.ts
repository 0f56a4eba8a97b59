/**
 * Finding 2: a frozen database hung requests without limit, and a PUT whose client gave up was applied later. The
 * postmaster and every backend are stopped (SIGSTOP); a GET and a PUT of /account/info wait for their answer, a
 * second PUT's client gives up after 1 s; then the cluster is thawed (SIGCONT) and the account read back.
 */
import crypto from 'node:crypto';
import type { Scenario } from './context';
import { login } from './context';
import { request } from './http';
import { sleep } from './processes';

const DEADLINE_MS = 3_000;
const SLACK_MS = 2_000;

const scenario: Scenario = {
  id: 2,
  fault: `database frozen (SIGSTOP to the postmaster and its backends), server with REQUEST_DEADLINE_MS=${DEADLINE_MS}`,
  expected: `GET and PUT /account/info answer the service's 503 within ${(DEADLINE_MS + SLACK_MS) / 1000} s; after SIGCONT neither PUT (answered, or given up by its client) is applied`,
  timeoutMs: 120_000,
  async run(ctx) {
    const user = await ctx.shared.accountUser('frozen');
    const server = await ctx.server('frozen', { DATA_DIR: ctx.shared.dataDir, REQUEST_DEADLINE_MS: String(DEADLINE_MS) });
    const token = await login(server.url, user.username, user.password);
    const auth = { Authorization: `Bearer ${token}` };
    const before = await request(server.url, '/account/info', { headers: auth });
    if (before.status !== 200) throw new Error(`GET /account/info answered ${before.status} before the fault`);
    const info = (name: string) => ({ username: user.username, company_key: before.json.company_key, name, email: null, phone: null });
    const answered = `frozen answered ${crypto.randomBytes(3).toString('hex')}`;
    const gaveUp = `frozen gave up ${crypto.randomBytes(3).toString('hex')}`;

    const frozen = ctx.shared.cluster.signalAll('SIGSTOP');
    ctx.note(`froze ${frozen.length} PostgreSQL processes`);
    let get, put, abandoned;
    try {
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 1_000);
      [get, put, abandoned] = await Promise.all([
        request(server.url, '/account/info', { headers: auth, timeoutMs: 20_000 }),
        request(server.url, '/account/info', { method: 'PUT', headers: auth, body: info(answered), timeoutMs: 20_000 }),
        request(server.url, '/account/info', { method: 'PUT', headers: auth, body: info(gaveUp), timeoutMs: 20_000, signal: abort.signal }),
      ]);
    } finally {
      ctx.shared.cluster.signalAll('SIGCONT');
    }
    // whatever was left waiting in PostgreSQL runs now: give it time to land before reading back
    await sleep(3_000);
    const after = await request(server.url, '/account/info', { headers: auth, timeoutMs: 20_000 });
    const stored = await ctx.shared.cluster.query<{ name: string }>('SELECT name FROM account.users WHERE username = $1', [user.username]);
    const within = (a: typeof get) => a.status === 503 && a.ms <= DEADLINE_MS + SLACK_MS && typeof a.json?.message === 'string';
    const name = stored[0]?.name;
    const pass = within(get) && within(put) && after.status === 200 && after.json?.name === before.json.name && name === before.json.name;
    return {
      pass,
      observed: `GET ${get.status || get.error} in ${get.ms} ms, PUT ${put.status || put.error} in ${put.ms} ms, `
        + `given-up PUT ${abandoned.status || 'aborted'}; after SIGCONT GET ${after.status}, name "${name}" `
        + `(${name === before.json.name ? 'unchanged' : name === answered ? 'the answered PUT applied' : name === gaveUp ? 'the given-up PUT applied' : 'changed'})`,
      details: [`GET: ${get.text.slice(0, 200)}`, `PUT: ${put.text.slice(0, 200)}`, ...server.lines.filter((l) => /"level":(4|5)0/.test(l)).slice(-5)],
    };
  },
};
export default scenario;
