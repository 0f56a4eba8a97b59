/**
 * The embedded cluster under a running process survives PostgreSQL restarts: the process's lease comes back after
 * every reconnect and still counts while it is down (another process's release never stops the cluster under it), a
 * postmaster that has gone is started again on the same port, and when that cannot be done within the bound the
 * process is told (onLost) instead of answering errors for good.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openDatabase } from '../../lib/db';
import { pgCtl, pidAlive, startEmbedded } from '../../lib/embedded-pg';

const CHECK_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(100);
  }
}

/** Pid of the live postmaster of a DATA_DIR, if any. */
function postmaster(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(fs.realpathSync(path.join(dataDir, 'pg')), 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 && pidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Backend pids of the lease connections, seen from a fresh connection. */
async function leases(url: string): Promise<number[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'conformant-lease' ORDER BY pid");
    return r.rows.map((row: { pid: number }) => row.pid);
  } finally {
    await c.end();
  }
}

describe('embedded PostgreSQL restarted under a running process', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-restart-'));
  const saved = { EMBEDDED_LEASE_CHECK_MS: process.env.EMBEDDED_LEASE_CHECK_MS, DATABASE_URL: process.env.DATABASE_URL };
  beforeAll(() => {
    process.env.EMBEDDED_LEASE_CHECK_MS = String(CHECK_MS);
    delete process.env.DATABASE_URL; // the run's database: openDatabase must take the embedded path here
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (postmaster(dir)) await pgCtl(dir, ['stop', '-m', 'immediate', '-w']).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the cluster for a server whose lease dropped with a restart, re-acquires the lease, and its pool reconnects', async () => {
    const lost: Error[] = [];
    const db = await openDatabase({ dataDir: dir, onLost: (e) => lost.push(e) });
    try {
      expect((await db.sequelize.query('SELECT 1 AS one', { plain: true }))?.one).toBe(1);
      const before = postmaster(dir)!;
      const admin = await startEmbedded(dir); // an admin command on the same DATA_DIR
      expect(await leases(admin.url)).toHaveLength(2);

      await pgCtl(dir, ['restart', '-m', 'fast', '-w', '-t', '60']);
      const after = postmaster(dir)!;
      expect(after).not.toBe(before);
      // at once: the server's lease connection is down and not yet back, yet the admin's leaving must not stop it
      await admin.release();
      expect(pidAlive(after)).toBe(true);

      // the server's lease is back (the admin's is gone), and its pool answers on the restarted cluster
      const back = await waitFor('the lease to come back', async () => {
        const pids = await leases(db.url);
        return pids.length === 1 ? pids : undefined;
      });
      expect(back).toHaveLength(1);
      expect((await db.sequelize.query('SELECT 2 AS two', { plain: true }))?.two).toBe(2);
      expect(lost).toEqual([]);
    } finally {
      await db.close();
    }
    // the re-acquired lease is this process's own: its leaving stops the cluster
    expect(postmaster(dir)).toBeUndefined();
  });

  it('re-acquires a lease whose connection was terminated, and starts a postmaster stopped hard under it again', async () => {
    const lost: Error[] = [];
    const handle = await startEmbedded(dir, { onLost: (e) => lost.push(e) });
    try {
      const [first] = await leases(handle.url);
      const c = new Client({ connectionString: handle.url });
      await c.connect();
      await c.query('SELECT pg_terminate_backend($1)', [first]);
      await c.end();
      const second = await waitFor('a new lease connection', async () => {
        const pids = await leases(handle.url);
        return pids.length === 1 && pids[0] !== first ? pids[0] : undefined;
      });
      expect(second).not.toBe(first);

      const before = postmaster(dir)!;
      const port = new URL(handle.url).port;
      await pgCtl(dir, ['stop', '-m', 'immediate', '-w']);
      expect(pidAlive(before)).toBe(false);
      const after = await waitFor('the postmaster to be started again', async () => {
        const pid = postmaster(dir);
        return pid !== undefined && pid !== before ? pid : undefined;
      });
      expect(pidAlive(after)).toBe(true);
      // same port (the URL the process's pool uses), data kept, lease back
      await waitFor('the lease after the restart', async () => ((await leases(handle.url)).length === 1 ? true : undefined));
      const c2 = new Client({ connectionString: handle.url });
      await c2.connect();
      expect((await c2.query('SHOW port')).rows[0].port).toBe(port);
      await c2.end();
      expect(lost).toEqual([]);
    } finally {
      await handle.release();
    }
    expect(postmaster(dir)).toBeUndefined();
  });

  it('calls onLost within the bound, naming the data directory and the cause, when the cluster cannot be started again', async () => {
    const bound = 2_000;
    let lostAt = 0;
    let onLost!: (e: Error) => void;
    const lost = new Promise<Error>((resolve) => {
      onLost = (e) => {
        lostAt = Date.now();
        resolve(e);
      };
    });
    const handle = await startEmbedded(dir, { restartTimeoutMs: bound, onLost });
    const port = Number(new URL(handle.url).port);
    // a program that accepts connections and never answers (read, so that closed ones end): attempts must time out
    const squatter = net.createServer((socket) => socket.resume());
    try {
      await pgCtl(dir, ['stop', '-m', 'immediate', '-w']);
      const stoppedAt = Date.now();
      // someone takes the port the process's pool uses: the cluster cannot come back there
      await new Promise<void>((resolve, reject) => {
        squatter.once('error', reject);
        squatter.listen(port, '127.0.0.1', resolve);
      });
      let timer: NodeJS.Timeout | undefined;
      const err = await Promise.race([lost, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), bound + 8_000)))]);
      clearTimeout(timer);
      expect(err).toBeInstanceOf(Error);
      expect(lostAt - stoppedAt).toBeLessThan(bound + 3_000);
      expect(err!.message).toContain(fs.realpathSync(dir));
      expect(err!.message).toMatch(new RegExp(`port ${port}`));
      expect(postmaster(dir)).toBeUndefined();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
      await handle.release();
    }
    // once lost, the process has given up on the cluster: nothing starts it behind its back
    await sleep(3 * CHECK_MS);
    expect(postmaster(dir)).toBeUndefined();
  });
});
