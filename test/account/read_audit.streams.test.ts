/**
 * GET /account/audit, streamed answers against the pool (issue 11, item 1): slow readers on real sockets must not be
 * able to hold every database connection. The server runs as in production (openDatabase: DB_POOL_MAX connections,
 * statement timeout, idle-in-transaction timeout) on a real listening socket.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { commands } from '../../handlers/account/_admin';
import { LOCK_SPACE, openStreams } from '../../handlers/account/_streams';
import { createApp, loadServiceDefinitions } from '../../lib/app';
import { openDatabase, type Database } from '../../lib/db';
import { eventually, unique } from '../support/harness';

const ROWS = 50_000; // above STREAM_THRESHOLD (10000) and, at ~300 bytes an action, far above the sockets' buffers
// long enough that the readers' streams are still held while the other requests are timed (the cursor of a stream
// used to be cancelled by the statement timeout, which freed its connection after that long), short enough to outlast
const STATEMENT_TIMEOUT_MS = 8000;
// the idle-reader test's own account: ~300 bytes an action, about 75 MB, well above what a socket's buffers take
const IDLE_TEST_ROWS = 250_000;
const saved = { ...process.env };

let db: Database;
let server: http.Server;
let base: string;
let company: string;
let admins: { username: string; token: string }[];
let other: { username: string; token: string };
let readers: http.IncomingMessage[] = [];

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/account/token/generation`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as string;
}

async function newUser(companyKey: string, roles: string) {
  const username = unique('stream');
  const password = `pw-${unique()}-long`;
  await commands['create-user'].run({ username, password, 'company-key': companyKey, roles }, db.sequelize);
  return { username, token: await login(username, password) };
}

const streamUrl = () => `${base}/account/audit?from=2000-01-01T00:00:00Z&limit=1000000`;

interface Opened { status: number; headers: http.IncomingHttpHeaders; res: http.IncomingMessage }

/** A reader on a socket of its own that reads nothing after the status line (the body is left in the socket). */
function openReader(token: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = http.get(streamUrl(), { headers: { Authorization: `Bearer ${token}` }, agent: false }, (res) => {
      res.pause();
      res.on('error', () => undefined); // a reader that is cut off sees "aborted"
      readers.push(res);
      resolve({ status: res.statusCode!, headers: res.headers, res });
    });
    req.on('error', reject);
  });
}

/** Lets a paused reader take whatever has arrived every `everyMs` (a throttled reader). */
/**
 * A slow but steady reader: at most `bytes` every `everyMs` (64 KiB per 100 ms, 640 KiB/s by default), so that it
 * stays steady for as long as a test watches it, however fast the server writes (draining whole socket buffers, a
 * 15 MB answer could be over before the test looks).
 */
function throttle(res: http.IncomingMessage, everyMs: number, bytes = 64 * 1024): () => void {
  const timer = setInterval(() => {
    const chunk = res.read(Math.min(bytes, res.readableLength || bytes));
    if (chunk === null) res.read(0); // nothing buffered yet: ask the socket for more
  }, everyMs);
  return () => clearInterval(timer);
}

function bodyOf(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.resume();
  });
}

/** Another account's plain request that needs the database (a one-action page of its audit, in a unit of work), timed. */
async function timedPlainRequest(token: string): Promise<{ status: number; ms: number }> {
  const t = Date.now();
  const res = await fetch(`${base}/account/audit?limit=1`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
  await res.arrayBuffer();
  return { status: res.status, ms: Date.now() - t };
}

/**
 * Until the streams have filled their sockets' buffers and wait for their readers (the process is then mostly idle):
 * what is measured is the steady state that slow readers cause, not the CPU the first megabytes of each stream take.
 */
async function streamsSettled(): Promise<void> {
  for (let i = 0; i < 25; i++) {
    const start = performance.eventLoopUtilization();
    await new Promise((r) => setTimeout(r, 200));
    if (performance.eventLoopUtilization(start).utilization < 0.3) return;
  }
}

function closeReaders() {
  for (const r of readers) r.destroy();
  readers = [];
}

/** Stream connections still open in the database (a cursor of a stream keeps its transaction). */
async function openCursors(): Promise<number> {
  const [rows] = await db.sequelize.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'FETCH FORWARD%' AND state <> 'idle'");
  return (rows as { n: number }[])[0].n;
}

/** `rows` actions of `username` (one a second from 2020 on), on a connection of its own, without the server pool's short statement timeout. */
async function seedActions(username: string, rows: number): Promise<void> {
  const seed = new Client({ connectionString: process.env.DATABASE_URL });
  await seed.connect();
  try {
    await seed.query(
    `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time,
                                        method_group, points_count, duration, duration_ms)
     SELECT u.username, u.company_key, gen_random_uuid(), u.company_key || '_|_' || u.username, 'worker_1', 'UNIVERSAL', 'run_plan_calculation',
            timestamptz '2020-01-01T00:00:00Z' + g * interval '1 second', 'PLAN', 10, 'PT1.5S', 1500
     FROM account.users u, generate_series(1, $2::int) g WHERE u.username = $1`, [username, rows]);
  } finally {
    await seed.end();
  }
}

beforeAll(async () => {
  process.env.DB_POOL_MAX = '10';
  process.env.DB_ACQUIRE_TIMEOUT_MS = '4000';
  process.env.DB_STATEMENT_TIMEOUT_MS = String(STATEMENT_TIMEOUT_MS);
  delete process.env.ACCOUNT_MAX_STREAMS;
  delete process.env.ACCOUNT_STREAMS_PER_USER;
  process.env.ACCOUNT_PASSWORD_SCRYPT_N = '16384'; // fast logins: the hashing cost is not what this suite is about
  db = await openDatabase({ url: process.env.DATABASE_URL });
  const defs = loadServiceDefinitions(['account']);
  for (const d of defs) await d.init(db.sequelize);
  const { app } = await createApp({ services: defs, sequelize: db.sequelize, validateResponses: true });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  company = unique('co');
  admins = [];
  for (let i = 0; i < 5; i++) admins.push(await newUser(company, 'USER,ADMIN'));
  other = await newUser(unique('co'), 'USER');
  await seedActions(admins[0].username, ROWS);
}, 120_000);

afterEach(async () => {
  closeReaders();
  await eventually(async () => {
    expect(openStreams()).toBe(0);
    expect(await openCursors()).toBe(0);
  }, 10_000);
  delete process.env.ACCOUNT_STREAM_IDLE_MS;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
  await db.close();
  process.env = saved;
});

describe('read_audit streams and the pool', () => {
  it('ten throttled readers of a large audit stream while another user\'s request still answers within a second', async () => {
    const opened = await Promise.all(Array.from({ length: 10 }, () => openReader(admins[0].token)));
    const stops = opened.filter((o) => o.status === 200).map((o) => throttle(o.res, 500));
    try {
      await streamsSettled();
      for (let i = 0; i < 3; i++) {
        const t = await timedPlainRequest(other.token);
        expect(t.status).toBe(200);
        expect(t.ms).toBeLessThan(1000);
      }
      const statuses = opened.map((o) => o.status).sort();
      // ACCOUNT_STREAMS_PER_USER (2) stream; the others are told to come back later
      expect(statuses).toEqual([200, 200, 429, 429, 429, 429, 429, 429, 429, 429]);
      for (const refused of opened.filter((o) => o.status === 429)) {
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        const body = JSON.parse(await bodyOf(refused.res));
        expect(body.message).toMatch(/streamed answers in progress/);
        expect(body.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT', operation: 'read_audit' }));
      }
      expect(openStreams()).toBe(2);
    } finally {
      stops.forEach((s) => s());
    }
  }, 60_000);

  it('keeps streams of many accounts below the pool size, so other requests still get a connection', async () => {
    // five accounts, two readers each: every account is within its own limit, the process cap (DB_POOL_MAX - 2) is not
    const opened = await Promise.all(admins.flatMap((a) => [openReader(a.token), openReader(a.token)]));
    const streaming = opened.filter((o) => o.status === 200);
    expect(streaming).toHaveLength(8);
    expect(opened.filter((o) => o.status === 429)).toHaveLength(2);
    expect(openStreams()).toBe(8);
    await streamsSettled();
    for (let i = 0; i < 3; i++) {
      const t = await timedPlainRequest(other.token);
      expect(t.status).toBe(200);
      expect(t.ms).toBeLessThan(1000);
    }
  }, 60_000);

  it('counts an account\'s streams in PostgreSQL, so slots held by another process count too', async () => {
    const elsewhere = new Client({ connectionString: process.env.DATABASE_URL });
    await elsewhere.connect();
    try {
      // another server process streaming twice for the same account holds these two locks
      await elsewhere.query('SELECT pg_advisory_lock($1 + s, hashtext($2)) FROM generate_series(0, 1) s', [LOCK_SPACE, admins[1].username]);
      const refused = await openReader(admins[1].token);
      expect(refused.status).toBe(429);
      await bodyOf(refused.res);
      await elsewhere.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE + 1, admins[1].username]);
      const allowed = await openReader(admins[1].token);
      expect(allowed.status).toBe(200);
    } finally {
      await elsewhere.end();
    }
  }, 60_000);

  it('answers HEAD of a streamed page with its headers and frees the stream at once (no slot held until the idle limit)', async () => {
    // more HEADs than the process has stream slots (DB_POOL_MAX 10 leaves 8) and than the account has (2)
    for (let i = 0; i < 12; i++) {
      const res = await fetch(streamUrl(), { method: 'HEAD', headers: { Authorization: `Bearer ${admins[0].token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.text()).toBe('');
    }
    expect(openStreams()).toBe(0);
    const get = await fetch(streamUrl(), { headers: { Authorization: `Bearer ${admins[0].token}` } });
    expect(get.status).toBe(200);
    const body = JSON.parse(await get.text()) as { actions: unknown[] };
    expect(body.actions.length).toBeGreaterThanOrEqual(ROWS); // the seeded rows and this account's own calls so far
  });

  it('cuts off a reader that reads nothing for ACCOUNT_STREAM_IDLE_MS and frees its connection and slot', async () => {
    // An account of its own with an answer far larger than both sockets' buffers can hold (a steady reader lets the
    // kernel grow its receive buffer: tcp_rmem allows 32 MB on some machines, and a 15 MB answer was then written
    // whole into the buffers and ended before the stalled one was cut). The steady reader takes 64 KiB every 25 ms:
    // the kernel wakes a writer once a good part of its send buffer (up to 4 MB) is free again, and at that pace the
    // longest pause between its writes stays well below the idle limit.
    const idler = await newUser(unique('co'), 'USER,ADMIN');
    await seedActions(idler.username, IDLE_TEST_ROWS);
    process.env.ACCOUNT_STREAM_IDLE_MS = '3000';
    const stalled = await openReader(idler.token);
    expect(stalled.status).toBe(200);
    // a slow but steady reader of the same account is not idle and keeps its stream
    const steady = await openReader(idler.token);
    expect(steady.status).toBe(200);
    let steadyBytes = 0;
    steady.res.on('data', (c: Buffer) => (steadyBytes += c.length));
    steady.res.pause();
    const stop = throttle(steady.res, 25);
    try {
      expect(openStreams()).toBe(2);
      // the server cuts the stalled one (the client, reading nothing, need not notice: its socket stays paused)
      await eventually(async () => {
        expect(openStreams()).toBe(1);
        expect(await openCursors()).toBe(1);
      }, 15_000);
      const before = steadyBytes;
      await eventually(async () => expect(steadyBytes).toBeGreaterThan(before), 5000);
      // the steady reader's answer is still being written (it was not cut, nor over)
      expect(openStreams()).toBe(1);
      // the stalled stream's slot is free again: the account may open another
      const again = await openReader(idler.token);
      expect(again.status).toBe(200);
    } finally {
      stop();
    }
  }, 120_000);

  it('applies the statement timeout to each batch, not to the whole answer: a stream longer than it completes', async () => {
    const reader = await openReader(admins[3].token);
    expect(reader.status).toBe(200);
    const started = Date.now();
    const chunks: Buffer[] = [];
    let received = 0;
    let pausedAt = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        // a reader that stops three times for 3 s (well within the idle limit): the answer outlasts the statement timeout
        if (Date.now() < pausedAt + 3000) return;
        let c: Buffer | null;
        while ((c = reader.res.read() as Buffer | null) !== null) {
          chunks.push(c);
          received += c.length;
          if (Math.floor(received / 3_000_000) !== Math.floor((received - c.length) / 3_000_000) && received < 10_000_000) {
            pausedAt = Date.now();
            break;
          }
        }
      }, 20);
      reader.res.once('end', () => { clearInterval(timer); resolve(); });
      reader.res.once('error', (e) => { clearInterval(timer); reject(e); });
      reader.res.once('close', () => { if (!reader.res.complete) { clearInterval(timer); reject(new Error('cut off')); } });
    });
    expect(Date.now() - started).toBeGreaterThan(STATEMENT_TIMEOUT_MS);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(body.actions.length).toBeGreaterThanOrEqual(ROWS);
    expect(body.actions).toHaveLength(body.statistics.filter.total);
  }, 90_000);
});
