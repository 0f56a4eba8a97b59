/**
 * The embedded PostgreSQL of a DATA_DIR, from outside, as an operator reaches it: the cluster directory (through its
 * link when it was relocated for root), the postmaster's pid and port from postmaster.pid, the superuser's password
 * from <DATA_DIR>/superuser-password, and the package's own pg_ctl run as the cluster's OS user.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { usableNativeDir } from '../lib/embedded-pg';
import { pidAlive, processTree } from './processes';

const run = promisify(execFile);

export class Cluster {
  constructor(readonly dataDir: string) {}

  /** The cluster directory (the real one behind <DATA_DIR>/pg when that is a link). */
  get dir(): string {
    return fs.realpathSync(path.join(this.dataDir, 'pg'));
  }

  private pidFile(): string[] | undefined {
    try {
      return fs.readFileSync(path.join(this.dir, 'postmaster.pid'), 'utf8').split('\n');
    } catch {
      return undefined;
    }
  }

  /** The postmaster's pid when one runs on this cluster. */
  postmasterPid(): number | undefined {
    const pid = Number(this.pidFile()?.[0]);
    return pid > 0 && pidAlive(pid) ? pid : undefined;
  }

  port(): number | undefined {
    const port = Number(this.pidFile()?.[3]);
    return port > 0 ? port : undefined;
  }

  url(database = 'conformant'): string {
    const password = fs.readFileSync(path.join(this.dataDir, 'superuser-password'), 'utf8').trim();
    const port = this.port();
    if (!port) throw new Error(`no postmaster.pid in ${this.dir}`);
    if (port === 5432) throw new Error('the embedded cluster listens on 5432: refusing to touch it');
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  }

  /** A superuser connection (the caller ends it). */
  async connect(): Promise<Client> {
    const c = new Client({ connectionString: this.url(), application_name: 'conformant-chaos', connectionTimeoutMillis: 10_000 });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  /** One query on a connection of its own. */
  async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const c = await this.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** The package's pg_ctl, as the cluster's owner (the `postgres` user when we are root). */
  async pgCtl(args: string[], timeoutMs = 90_000): Promise<string> {
    const bin = path.join(await usableNativeDir(), 'bin', 'pg_ctl');
    const ids = await osUser();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
    return new Promise((resolve, reject) => {
      // output to a file: a postmaster pg_ctl starts would otherwise hold our pipe open
      const child = spawn(bin, [...args, '-D', this.dir], { ...ids, cwd: '/', env: { ...env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out.trim());
        else reject(new Error(`pg_ctl ${args[0]} failed (${code}): ${out.trim().slice(-300)}`));
      });
    });
  }

  /** Restart as an operator would: fast shutdown, start again with the cluster's own settings, wait. */
  restart(): Promise<string> {
    return this.pgCtl(['restart', '-m', 'fast', '-w', '-t', '60', '-l', path.join(this.dir, 'server.log')]);
  }

  /** Stop hard: immediate shutdown (no checkpoint, clients cut off), as a crash would. */
  stopImmediate(): Promise<string> {
    return this.pgCtl(['stop', '-m', 'immediate', '-w', '-t', '60']);
  }

  /** Freeze (SIGSTOP) or thaw (SIGCONT) the postmaster and every backend it has. Answers the pids signalled. */
  signalAll(sig: 'SIGSTOP' | 'SIGCONT'): number[] {
    const pm = this.postmasterPid();
    if (!pm) throw new Error('no postmaster to signal');
    const pids = processTree(pm);
    for (const pid of sig === 'SIGSTOP' ? pids : [...pids].reverse()) {
      try {
        process.kill(pid, sig);
      } catch { /* ended meanwhile */ }
    }
    return pids;
  }

  /**
   * Stop the cluster at the end of a run whatever state it is in, and delete a relocated cluster (root's
   * /var/lib/conformant/data-*) that belonged to this temporary DATA_DIR.
   */
  async dispose(): Promise<void> {
    let dir: string;
    try {
      dir = this.dir;
    } catch {
      return;
    }
    const pm = this.postmasterPid();
    if (pm) {
      try {
        for (const pid of processTree(pm)) process.kill(pid, 'SIGCONT');
      } catch { /* gone */ }
      await this.pgCtl(['stop', '-m', 'immediate', '-w', '-t', '30']).catch(() => {
        try {
          process.kill(pm, 'SIGKILL');
        } catch { /* gone */ }
      });
    }
    const base = path.dirname(dir);
    if (/^\/var\/(lib|tmp)\/conformant\/data-[^/]+$/.test(base) && fs.existsSync(path.join(base, 'data-dir'))) {
      const owner = fs.readFileSync(path.join(base, 'data-dir'), 'utf8').trim();
      if (owner === fs.realpathSync(this.dataDir)) fs.rmSync(base, { recursive: true, force: true });
    }
  }
}

async function osUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  return {
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  };
}
