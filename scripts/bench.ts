/**
 * npm run bench [-- --duration S --connections N --runs N --quick --rows N --out FILE]
 *
 * Everything in one run on one machine, so ratios hold where absolute figures drift: a bare express app and Prism's
 * static mock as baselines, then our server (a separate process on a fresh embedded database) on the same load.
 * Prints one table and writes it as JSON to bench/results/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { projectRoot } from '../lib/config';
import { startEmbedded } from '../lib/embedded-pg';
import { freePort } from '../lib/ports';

const { values: argv } = parseArgs({
  options: {
    duration: { type: 'string' }, connections: { type: 'string' }, quick: { type: 'boolean' },
    rows: { type: 'string' }, out: { type: 'string' }, runs: { type: 'string' },
  },
});
const quick = !!argv.quick;
const DURATION = Number(argv.duration ?? (quick ? 2 : 10));
const CONNECTIONS = Number(argv.connections ?? (quick ? 4 : 10));
const ROWS = Number(argv.rows ?? (quick ? 20_000 : 1_000_000));
const YEARS = quick ? 1 : 10;
const WARMUP = quick ? 1 : 3;
/** measured runs per load row after the warm-up: the row is the median run, with the min and max beside it */
const RUNS = Number(argv.runs ?? (quick ? 1 : 3));

interface Row {
  scenario: string;
  rps?: number; p50?: number; p99?: number; errors?: number; non2xx?: number;
  extra?: string;
  baseline?: string; ratio?: number;
  [k: string]: unknown;
}
const rows: Row[] = [];
/** which row is running, on stderr (stdout is the results table) */
const step = (what: string) => process.stderr.write(`bench: ${what} …\n`);


function node(script: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(projectRoot, script), ...args], {
    cwd: projectRoot, env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', process.stderr, 'inherit'], // the server's warnings and errors reach the caller
  });
}

/** What `npm start` runs (scripts/start.js: the compiled program), without npm in between. */
function npmStart(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [path.join(projectRoot, 'scripts', 'start.js')], {
    cwd: projectRoot, env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', process.stderr, 'inherit'],
  });
}

async function waitFor(url: string, init: RequestInit = {}, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, init);
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch { /* not up yet */ }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function load(title: string, url: string, headers: Record<string, string> = {}): Promise<Row> {
  step(`row ${title} (${WARMUP} s warm-up, ${RUNS} x ${DURATION} s load)`);
  const run = (duration: number) => autocannon({ url, connections: CONNECTIONS, duration, headers });
  await run(WARMUP); // not counted
  const runs: autocannon.Result[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await run(DURATION));
  return summary(title, runs);
}

interface Target { title: string; url: string; headers?: Record<string, string> }

/** Two rows whose ratio is reported, measured in turns after both warmed up: a, b, a, b, ... (RUNS each). */
async function loadPair(a: Target, b: Target): Promise<[Row, Row]> {
  step(`rows ${a.title} / ${b.title} (${WARMUP} s warm-up each, ${RUNS} x ${DURATION} s load each, in turns)`);
  const run = (t: Target, duration: number) => autocannon({ url: t.url, connections: CONNECTIONS, duration, headers: t.headers ?? {} });
  await run(a, WARMUP);
  await run(b, WARMUP);
  const ra: autocannon.Result[] = [];
  const rb: autocannon.Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    ra.push(await run(a, DURATION));
    rb.push(await run(b, DURATION));
  }
  return [summary(a.title, ra), summary(b.title, rb)];
}

/** The median run of a row, with the min and max of its runs. */
function summary(title: string, runs: autocannon.Result[]): Row {
  runs.sort((a, b) => a.requests.average - b.requests.average);
  const r = runs[Math.floor((runs.length - 1) / 2)]; // the median run (the lower middle one when even)
  const rps = runs.map((x) => Math.round(x.requests.average));
  return {
    scenario: title, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99,
    errors: runs.reduce((n, x) => n + x.errors + x.timeouts, 0), non2xx: runs.reduce((n, x) => n + x.non2xx, 0),
    rps_runs: rps, extra: RUNS > 1 ? `median of ${RUNS} runs, min ${rps[0]}, max ${rps[rps.length - 1]} req/s` : undefined,
  };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-bench-'));
  const children: ChildProcess[] = [];
  try {
    // 8. start-up, new data directory then existing one: RUNS starts of each, the median reported (the last new
    // directory is the one the rest of the bench uses, and the last start on it keeps running). What is started is
    // what `npm start` runs (scripts/start.js); its one-time compilation of this version of the sources is done first,
    // untimed, as an install would (a start without it compiles, about 0.6 s, then reuses the build).
    step(`row 8: start-up on a new data directory, then on the existing one (${RUNS} starts each)`);
    execFileSync(process.execPath, [path.join(projectRoot, 'scripts', 'start.js'), '--build'], { cwd: projectRoot, stdio: 'ignore' });
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), SERVICES: 'account,sm' };
    const base = `http://127.0.0.1:${port}`;
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
    const startNews: number[] = [];
    let server!: ChildProcess;
    let t0 = 0;
    for (let k = 0; k < RUNS; k++) {
      const dir = k === RUNS - 1 ? dataDir : fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-bench-new-'));
      t0 = Date.now();
      server = npmStart({ ...env, DATA_DIR: dir });
      await waitFor(`${base}/account/system/version`);
      startNews.push(Date.now() - t0);
      await stop(server);
      if (dir !== dataDir) fs.rmSync(dir, { recursive: true, force: true });
    }
    const startExistings: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      t0 = Date.now();
      server = npmStart(env);
      await waitFor(`${base}/account/system/version`);
      startExistings.push(Date.now() - t0);
      if (k < RUNS - 1) await stop(server);
    }
    children.push(server);
    const startNew = median(startNews);
    const startExisting = median(startExistings);

    // a user, through the admin command against the running server's embedded database
    const admin = node('scripts/admin.ts', { DATA_DIR: dataDir }, ['account', 'create-user', '--username', 'bench', '--password', 'bench-pw', '--company-key', 'bench']);
    const code = await new Promise<number>((resolve) => admin.once('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) throw new Error('admin create-user failed');
    const tokenRes = await fetch(`${base}/account/token/generation`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench-pw' }),
    });
    const token = (await tokenRes.json()) as string;
    const auth = { Authorization: `Bearer ${token}` };

    // audit rows: ROWS actions spread over YEARS years, every day has data
    step(`seeding ${ROWS} audit actions over ${YEARS} years`);
    const db = await startEmbedded(dataDir);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    t0 = Date.now();
    await pg.query(
      `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time,
         tz_offset_minutes, method_group, points_count, duration, duration_ms)
       SELECT 'bench', 'bench', gen_random_uuid(), 'bench_|_bench', 'bench_host',
              (ARRAY['UNIVERSAL','ROUTING','PACKER'])[1 + i % 3], 'run_plan_calculation',
              date_trunc('day', now()) - make_interval(days => 1 + i % $2::int) + make_interval(secs => i % 86000),
              0, (ARRAY['PLAN','ROUTE','PACK','MATRIX'])[1 + i % 4], i % 100, 'PT1.5S', 1500
         FROM generate_series(1, $1::int) AS i`,
      [ROWS, YEARS * 365],
    );
    await pg.query('VACUUM ANALYZE account.audit_actions'); // what autovacuum does after a bulk load
    const seedMs = Date.now() - t0;
    await pg.end();
    await db.release();

    // baselines
    const bport = await freePort();
    const bare = node('scripts/bench-baseline.ts', { PORT: String(bport) });
    children.push(bare);
    await waitFor(`http://127.0.0.1:${bport}/`);
    const pport = await freePort();
    const prism = spawn(path.join(projectRoot, 'node_modules', '.bin', 'prism'), ['mock', path.join(projectRoot, 'spec', 'account.yaml'), '-p', String(pport), '-h', '127.0.0.1'], {
      cwd: projectRoot, stdio: 'ignore',
    });
    children.push(prism);
    await waitFor(`http://127.0.0.1:${pport}/account/info`, { headers: auth });

    // each ratio's two sides take turns (baseline run, our run, ...), so both see the same load on a shared machine
    const [r1, r3] = await loadPair({ title: '1 baseline: bare express, constant JSON', url: `http://127.0.0.1:${bport}/` },
      { title: '3 us: GET /account/system/version', url: `${base}/account/system/version` });
    const [r2, r4] = await loadPair({ title: '2 baseline: Prism static mock GET /account/info', url: `http://127.0.0.1:${pport}/account/info`, headers: auth },
      { title: '4 us: GET /account/info (JWT, 1 read)', url: `${base}/account/info`, headers: auth });
    await stop(prism);
    await stop(bare);
    r3.baseline = '1'; r3.ratio = r3.rps! / r1.rps!;
    r4.baseline = '2'; r4.ratio = r4.rps! / r2.rps!;
    const from = '1990-01-01T00:00:00Z';
    const deep = Math.floor(ROWS * 0.9);
    const [r5a, r5b] = await loadPair(
      { title: `5a us: audit limit=100 offset=0 (${ROWS} rows)`, url: `${base}/account/audit?limit=100&offset=0&from=${from}`, headers: auth },
      { title: `5b us: audit limit=100 offset=${deep}`, url: `${base}/account/audit?limit=100&offset=${deep}&from=${from}`, headers: auth });
    r5a.baseline = '4'; r5a.ratio = r5a.rps! / r4.rps!;
    r5b.baseline = '5a'; r5b.ratio = r5b.rps! / r5a.rps!;
    rows.push(r1, r2, r3, r4, r5a, r5b);

    // 6. streaming the whole trail: a warm-up stream (not counted), then RUNS streams, the median reported
    step(`row 6: streaming ${ROWS} audit actions (1 warm-up, ${RUNS} runs)`);
    const streamOnce = async () => {
      const rssBefore = rssKb(server.pid!);
      let rssPeak = rssBefore;
      const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssKb(server.pid!)); }, 25);
      const start = performance.now();
      const res = await fetch(`${base}/account/audit?limit=${Math.max(ROWS, 10_001)}&from=${from}`, { headers: auth });
      const reader = res.body!.getReader();
      let ttfb = 0;
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (!ttfb) ttfb = performance.now() - start;
        if (done) break;
        bytes += value.length;
      }
      clearInterval(sampler);
      return { ms: performance.now() - start, ttfb, bytes, rss: (rssPeak - rssBefore) / 1024 };
    };
    await streamOnce();
    const streams: Awaited<ReturnType<typeof streamOnce>>[] = [];
    for (let k = 0; k < RUNS; k++) streams.push(await streamOnce());
    streams.sort((x, y) => x.ms - y.ms);
    const sm6 = streams[Math.floor((streams.length - 1) / 2)];
    const streamMs = sm6.ms;
    const streamRowsPerS = ROWS / (streamMs / 1000);
    const rssMax = Math.max(...streams.map((x) => x.rss));
    rows.push({
      baseline: '5a (rows/s paged)', ratio: streamRowsPerS / (r5a.rps! * 100),
      scenario: `6 us: stream audit limit=${ROWS}`, rows_per_s: Math.round(streamRowsPerS), ttfb_ms: Math.round(sm6.ttfb),
      total_ms: Math.round(streamMs), mb: +(sm6.bytes / 1e6).toFixed(1), rss_growth_mb: +rssMax.toFixed(1),
      rows_per_s_runs: streams.map((x) => Math.round(ROWS / (x.ms / 1000))),
      extra: `${Math.round(streamRowsPerS)} rows/s (median of ${RUNS} after a warm-up; min ${Math.round(ROWS / (streams[streams.length - 1].ms / 1000))}, `
        + `max ${Math.round(ROWS / (streams[0].ms / 1000))}), TTFB ${Math.round(sm6.ttfb)} ms, ${(sm6.bytes / 1e6).toFixed(1)} MB in ${(streamMs / 1000).toFixed(1)} s, `
        + `server RSS growth at most +${rssMax.toFixed(1)} MB`,
    });

    // 7. report over YEARS years
    step(`row 7: the report over ${YEARS} years`);
    const today = new Date();
    const fromDate = new Date(today.getTime() - YEARS * 365 * 86_400_000).toISOString().slice(0, 10);
    const toDate = new Date(today.getTime() - 86_400_000).toISOString().slice(0, 10);
    // a warm-up of each (not counted), then RUNS of each in turns, the medians reported
    const timed = async (url: string, headers: Record<string, string>) => {
      const start = performance.now();
      const r = await fetch(url, { headers });
      const body = Buffer.from(await r.arrayBuffer());
      return { ms: performance.now() - start, status: r.status, bytes: body.length };
    };
    const reportUrl = `${base}/account/report?from=${fromDate}&to=${toDate}`;
    const statsUrl = `${base}/account/statistics?from=${fromDate}&to=${toDate}`;
    const reportHeaders = { ...auth, Accept: 'application/octet-stream, application/json' };
    await timed(reportUrl, reportHeaders);
    await timed(statsUrl, auth);
    const reports: Awaited<ReturnType<typeof timed>>[] = [];
    const statss: Awaited<ReturnType<typeof timed>>[] = [];
    for (let k = 0; k < RUNS; k++) {
      reports.push(await timed(reportUrl, reportHeaders));
      statss.push(await timed(statsUrl, auth));
    }
    const reportMs = median(reports.map((x) => x.ms));
    const statsMs = median(statss.map((x) => x.ms));
    const rep = reports[0];
    const range = (xs: number[]) => `min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))}`;
    rows.push({ scenario: `7 us: report ${fromDate}..${toDate}`, total_ms: Math.round(reportMs), bytes: rep.bytes, status: rep.status,
      baseline: '7s (same period as JSON statistics)', ratio: reportMs / statsMs, statistics_ms: Math.round(statsMs),
      extra: `status ${rep.status}, ${Math.round(reportMs)} ms (${range(reports.map((x) => x.ms))}), ${(rep.bytes / 1024).toFixed(0)} KiB; `
        + `statistics JSON ${Math.round(statsMs)} ms (${range(statss.map((x) => x.ms))}); medians of ${RUNS} after a warm-up` });
    rows.push({ scenario: '8 start-up to first answer', new_ms: startNew, existing_ms: startExisting,
      baseline: '8 new data dir (existing / new)', ratio: startExisting / startNew,
      extra: `new data dir ${startNew} ms (${startNews.join(', ')}), existing ${startExisting} ms (${startExistings.join(', ')}); medians of ${RUNS} starts` });
    rows.push(...await smRows(base, dataDir, r4));

    await stop(server);
    print({ seedMs });
  } finally {
    for (const c of children) await stop(c);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function print(meta: { seedMs: number }) {
  const fmt = (n: number | undefined, d = 0) => (n === undefined ? '' : n.toFixed(d));
  const lines = [
    `| scenario | req/s | p50 ms | p99 ms | errors | ratio | notes |`,
    `|---|---:|---:|---:|---:|---:|---|`,
    ...rows.map((r) => `| ${r.scenario} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors === undefined ? '' : r.errors + (r.non2xx ?? 0)} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)} x row ${r.baseline}`} | ${r.extra ?? ''} |`),
  ];
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`\n${new Date().toISOString()} — ${machine} — duration ${DURATION} s, ${CONNECTIONS} connections, ${ROWS} audit rows (seeded in ${meta.seedMs} ms)\n`);
  console.log(lines.join('\n'));
  const out = argv.out ?? path.join(projectRoot, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, duration: DURATION, connections: CONNECTIONS, rows: ROWS, seedMs: meta.seedMs, results: rows }, null, 2));
  console.log(`\nwritten ${path.relative(projectRoot, out)}`);
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});

/**
 * Rows 9a-9d, the sm service: 10,000 modes over a 100,000-CI graph (each CI i > 1 under i/3, every seventh also under
 * the next one: shared children, about 11 levels), seeded in SQL, and a user who may view the even CIs (half the
 * modes). List and filter against row 4; create with CiAndChildren depth 10 against its 200 ms target; the point query
 * against its 2 ms target, as the SQL's own execution time.
 */
async function smRows(base: string, dataDir: string, r4: Row): Promise<Row[]> {
  const CIS = quick ? 10_000 : 100_000; // --quick: a tenth, so the smoke test stays short
  const MODES = quick ? 1_000 : 10_000;
  const crypto = await import('node:crypto');
  const token = `smpt_${crypto.randomBytes(32).toString('base64url')}`;
  const db = await startEmbedded(dataDir);
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const t0 = Date.now();
  await pg.query(`
    INSERT INTO sm.cis (workspace, id, name, type) SELECT 'bench', i, 'ci-' || i, 'host' FROM generate_series(1, ${CIS}) i;
    INSERT INTO sm.ci_edges (workspace, parent_id, child_id) SELECT 'bench', i / 3, i FROM generate_series(3, ${CIS}) i WHERE i / 3 >= 1;
    INSERT INTO sm.ci_edges (workspace, parent_id, child_id) SELECT 'bench', i / 3 + 1, i FROM generate_series(3, ${CIS}) i
      WHERE i % 7 = 0 AND i / 3 + 1 < i ON CONFLICT DO NOTHING;
    INSERT INTO sm.users (workspace, login) VALUES ('bench', 'bench');
    INSERT INTO sm.user_rights (workspace, user_id, ci_id, can_maintain)
      SELECT 'bench', (SELECT id FROM sm.users WHERE workspace = 'bench'), i, true FROM generate_series(2, ${CIS}, 2) i;
    INSERT INTO sm.modes (workspace, title, start_ms, start_offset, end_ms, end_offset, labels, created_by, updated_by)
      SELECT 'bench', 'mode ' || i, (extract(epoch FROM now()) * 1000)::bigint + (i - ${MODES / 2}) * 60000, 180,
             (extract(epoch FROM now()) * 1000)::bigint + (i - ${MODES / 2}) * 60000 + 7200000, 180,
             jsonb_build_object('team', 't' || i % 20), 'bench', 'bench' FROM generate_series(1, ${MODES}) i;
    INSERT INTO sm.mode_items (mode_id, position, workspace, ci_id, scope, depth)
      SELECT m.id, 1, 'bench', 1 + (m.id * 7919) % ${CIS}, 'Ci', 0 FROM sm.modes m WHERE m.workspace = 'bench';
    INSERT INTO sm.mode_cis (mode_id, ci_id, workspace, window_start, window_end)
      SELECT m.id, i.ci_id, 'bench', m.start_ms, m.end_ms FROM sm.modes m JOIN sm.mode_items i ON i.mode_id = m.id WHERE m.workspace = 'bench';
    INSERT INTO sm.mode_occurrences (mode_id, workspace, start_ms, end_ms) SELECT id, 'bench', start_ms, end_ms FROM sm.modes WHERE workspace = 'bench';
    INSERT INTO sm.mode_viewers (user_id, mode_id, workspace)
      SELECT DISTINCT r.user_id, mc.mode_id, 'bench' FROM sm.mode_cis mc JOIN sm.user_rights r ON r.workspace = mc.workspace AND r.ci_id = mc.ci_id
       WHERE mc.workspace = 'bench';
    ANALYZE sm.mode_viewers; ANALYZE sm.mode_occurrences; ANALYZE sm.cis; ANALYZE sm.ci_edges; ANALYZE sm.user_rights; ANALYZE sm.modes; ANALYZE sm.mode_items; ANALYZE sm.mode_cis;`);
  // the personal token as the admin command stores it: its sha-256 only
  await pg.query(`INSERT INTO sm.tokens (workspace, user_id, token_hash) SELECT 'bench', id, $1 FROM sm.users WHERE workspace = 'bench'`,
    [crypto.createHash('sha256').update(token).digest()]);
  const seedMs = Date.now() - t0;
  const auth = { Authorization: `Bearer ${token}` };
  const sm = `${base}/api/public/sm/v1`;
  const visible = await fetch(`${sm}/rsm-maintenance?perPage=1`, { headers: auth });
  if (visible.status !== 200) throw new Error(`sm list answered ${visible.status}: ${await visible.text()}`);
  const seen = visible.headers.get('x-total');

  const r9a = await load(`9a us: sm list perPage=100 with paging headers (user sees ${seen} of ${MODES} modes, ${CIS} CIs)`, `${sm}/rsm-maintenance?perPage=100&page=3`, auth);
  r9a.baseline = '4'; r9a.ratio = r9a.rps! / r4.rps!;
  const filterBody = JSON.stringify({ configItemIds: Array.from({ length: 20 }, (_, i) => 2 * (i * 2477 % (CIS / 2)) + 2) });
  const runFilter = (duration: number) => autocannon({ url: `${sm}/rsm-maintenance/filter?perPage=100`, method: 'POST', connections: CONNECTIONS, duration,
    headers: { ...auth, 'Content-Type': 'application/json' }, body: filterBody });
  await runFilter(WARMUP);
  const f = await runFilter(DURATION);
  const r9b: Row = { scenario: '9b us: sm filter by 20 configItemIds', rps: Math.round(f.requests.average), p50: f.latency.p50, p99: f.latency.p99,
    errors: f.errors + f.timeouts, non2xx: f.non2xx, baseline: '4', ratio: f.requests.average / r4.rps! };

  // create with CiAndChildren depth 10 from a CI four levels down (its subtree: about 3^7 CIs within 10 edges)
  const creates: number[] = [];
  let covered = 0;
  for (let i = 0; i < (quick ? 5 : 30); i++) {
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const end = new Date(Date.now() + 7_200_000).toISOString();
    const c0 = performance.now();
    const res = await fetch(`${sm}/rsm-maintenance`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ dateStart: start, dateEnd: end, title: 'bench create', configItems: [{ id: 82, scope: 'CiAndChildren', depth: 10 }] }) });
    const body = (await res.json()) as { id?: number };
    creates.push(performance.now() - c0);
    if (res.status !== 201) throw new Error(`sm create answered ${res.status}: ${JSON.stringify(body)}`);
    if (i === 0) covered = Number((await pg.query('SELECT count(*) AS n FROM sm.mode_cis WHERE mode_id = $1', [body.id])).rows[0].n);
  }
  creates.sort((a, b) => a - b);
  const createP50 = creates[Math.floor(creates.length / 2)];
  const r9c: Row = { scenario: '9c us: sm create CiAndChildren depth 10', p50: Math.round(createP50), p99: Math.round(creates[creates.length - 1]),
    baseline: '200 ms target', ratio: createP50 / 200, extra: `${creates.length} sequential creates, ${covered} CIs in the effective set, p50 ${createP50.toFixed(1)} ms` };

  // a CI the user may view, in a mode active now
  const ci = Number((await pg.query(`SELECT ci_id FROM sm.mode_cis WHERE workspace = 'bench' AND ci_id % 2 = 0
    AND window_start <= $1 AND window_end > $1 LIMIT 1`, [Date.now()])).rows[0].ci_id);
  const r9d = await load('9d us: sm is CI X in maintenance now', `${sm}/x-config-items/${ci}/maintenance`, auth);
  const plan = await pg.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT mc.mode_id FROM sm.mode_cis mc WHERE mc.workspace = 'bench'
    AND mc.ci_id = $1 AND mc.window_start <= $2 AND mc.window_end > $2
    AND EXISTS (SELECT 1 FROM sm.mode_occurrences o WHERE o.mode_id = mc.mode_id AND o.start_ms <= $2 AND o.end_ms > $2)
    ORDER BY mc.mode_id`, [ci, Date.now()]);
  const execMs = (plan.rows[0]['QUERY PLAN'] as Array<{ 'Execution Time': number }>)[0]['Execution Time'];
  r9d.baseline = '2 ms target (SQL execution)'; r9d.ratio = execMs / 2;
  r9d.extra = `SQL execution ${execMs.toFixed(3)} ms (EXPLAIN ANALYZE); sm seeded in ${seedMs} ms`;
  await pg.end();
  await db.release();
  return [r9a, r9b, r9c, r9d];
}
