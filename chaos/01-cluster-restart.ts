/**
 * Finding 1: the embedded cluster's lease was lost when PostgreSQL restarted under a running server, so the next
 * process to leave the DATA_DIR (an admin command) stopped the cluster under it. On a DATA_DIR of its own (nobody
 * else holds the cluster): PostgreSQL restarted with the package's pg_ctl, then an admin command attaches and
 * leaves; then PostgreSQL stopped hard (immediate shutdown), as a crash would.
 */
import crypto from 'node:crypto';
import type { Scenario } from './context';
import { login } from './context';
import { Cluster } from './cluster';
import { request, type Answer } from './http';
import { admin, pidAlive, sleep, type ServerProcess } from './processes';

const SERVE_AGAIN_MS = 5_000;
/** lib/db.ts closes a pooled connection idle for 10 s: then only the lease says that the server uses the cluster */
const POOL_IDLE_MS = 10_000;
const HARD_STOP_MS = 20_000;

/** GET until a 200 (or the server exits): the statuses seen before, and how long it took. */
async function until200(server: ServerProcess, auth: Record<string, string>, limitMs: number) {
  const t0 = Date.now();
  const seen: Answer[] = [];
  while (Date.now() - t0 < limitMs && !server.exited()) {
    const a = await request(server.url, '/account/info', { headers: auth, timeoutMs: Math.max(1_000, limitMs - (Date.now() - t0)) });
    if (a.status === 200) return { ok: true, ms: Date.now() - t0, seen };
    seen.push(a);
    await sleep(200);
  }
  return { ok: false, ms: Date.now() - t0, seen };
}

const summary = (seen: Answer[]) => {
  const counts = new Map<string, number>();
  for (const a of seen) counts.set(String(a.status || a.error), (counts.get(String(a.status || a.error)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} × ${k}`).join(', ');
};

const scenario: Scenario = {
  id: 1,
  fault: 'PostgreSQL restarted under a running server (pg_ctl restart), then, the server idle, an admin command on the same DATA_DIR leaves; then PostgreSQL stopped hard (pg_ctl stop -m immediate)',
  expected: `200 again within ${SERVE_AGAIN_MS / 1000} s of the restart and of the admin command leaving; after the hard stop, 200 again (cluster restarted) or the server exits non-zero within ${HARD_STOP_MS / 1000} s`,
  timeoutMs: 180_000,
  async run(ctx) {
    const dataDir = ctx.freshDataDir('restart-data');
    const cluster = new Cluster(dataDir);
    // the audit job at its slowest (60 s), so that an idle server really holds no pooled connection
    const server = await ctx.server('restart', { DATA_DIR: dataDir, AUDIT_FLUSH_MS: '60000' });
    const password = `${crypto.randomBytes(9).toString('base64url')}!`;
    await admin(dataDir, ['account', 'create-user', '--username', 'chaos_restart', `--password=${password}`, '--company-key', 'chaos_restart']);
    const auth = { Authorization: `Bearer ${await login(server.url, 'chaos_restart', password)}` };
    const first = await request(server.url, '/account/info', { headers: auth });
    if (first.status !== 200) throw new Error(`GET /account/info answered ${first.status} before the fault`);
    const steps: string[] = [];
    const details: string[] = [];
    let pass = true;

    // 1. restart under the running server
    const pmBefore = cluster.postmasterPid();
    await cluster.restart();
    const afterRestart = await until200(server, auth, SERVE_AGAIN_MS);
    pass &&= afterRestart.ok;
    steps.push(`restart: ${afterRestart.ok ? `200 after ${afterRestart.ms} ms` : `no 200 in ${SERVE_AGAIN_MS / 1000} s`}${afterRestart.seen.length ? ` (${summary(afterRestart.seen)} first)` : ''}`);

    // 2. the server idle (its pool empty), another process attaches and leaves
    await sleep(POOL_IDLE_MS + 1_500);
    const pmRestarted = cluster.postmasterPid();
    await admin(dataDir, ['account', 'create-user', '--username', 'chaos_restart_2', `--password=${password}`, '--company-key', 'chaos_restart']);
    const pmAfterAdmin = cluster.postmasterPid();
    const afterAdmin = await until200(server, auth, SERVE_AGAIN_MS);
    pass &&= afterAdmin.ok;
    steps.push(`admin left: postmaster ${pmAfterAdmin === pmRestarted ? 'still running' : pmAfterAdmin ? 'replaced' : 'STOPPED'}, `
      + `${afterAdmin.ok ? `200 after ${afterAdmin.ms} ms` : `no 200 in ${SERVE_AGAIN_MS / 1000} s (${summary(afterAdmin.seen)})`}`);
    if (!afterAdmin.ok) details.push(...afterAdmin.seen.slice(-1).map((a) => `last answer: ${a.status} ${a.error ?? a.text.slice(0, 200)}`));

    // 3. stopped hard
    if (server.exited()) {
      pass = false;
      steps.push(`server exited (${server.exited()!.code}) before the hard stop`);
    } else {
      if (cluster.postmasterPid()) await cluster.stopImmediate();
      const t0 = Date.now();
      const back = await until200(server, auth, HARD_STOP_MS);
      const exit = server.exited();
      const ok = back.ok || (exit !== undefined && exit.code !== 0);
      pass &&= ok;
      steps.push(`hard stop: ${back.ok ? `200 again after ${back.ms} ms (cluster ${cluster.postmasterPid() ? 'restarted' : 'not running'})`
        : exit ? `server exited ${exit.code ?? exit.signal} after ${exit.at - t0} ms` : `still running without a database after ${HARD_STOP_MS / 1000} s (${summary(back.seen)})`}`);
    }
    details.push(`postmaster pids: before ${pmBefore}, after restart ${pmRestarted}, after the admin left ${pmAfterAdmin} (${pidAlive(pmAfterAdmin) ? 'alive' : 'gone'})`);
    details.push(...server.lines.filter((l) => /"level":(4|5|6)0/.test(l)).slice(-6));
    return { pass, observed: steps.join('; '), details };
  },
};
export default scenario;
