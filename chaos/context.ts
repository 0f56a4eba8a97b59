/**
 * What a scenario works with: fresh DATA_DIRs in the run's temporary directory, servers it starts (stopped after it),
 * and the run's shared cluster with its users, made once with the admin command and kept up between scenarios by a
 * connection of the runner's own (so servers coming and going do not stop and start it each time).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import { Cluster } from './cluster';
import { request } from './http';
import { admin, groupMembers, killGroup, startServer, type ServerProcess } from './processes';

export interface Outcome {
  pass: boolean;
  /** one short line for the table */
  observed: string;
  /** more lines, printed under the table for a FAIL (log lines, what was sent) */
  details?: string[];
}

export interface Scenario {
  id: number;
  fault: string;
  expected: string;
  /** the scenario is failed when it runs longer than this */
  timeoutMs: number;
  run(ctx: ScenarioContext): Promise<Outcome>;
}

export interface AccountUser {
  username: string;
  password: string;
  token: string;
  auth: Record<string, string>;
}

export interface B2bAdmin {
  uid: string;
  domain: string;
  password: string;
  /** a fresh AR-REST header value */
  header(): string;
}

const secret = () => `${crypto.randomBytes(9).toString('base64url')}!`;
const md5b64 = (s: string) => crypto.createHash('md5').update(s).digest('base64');

/** Admin commands compile TypeScript at start: at most two at once on a shared machine. */
let adminSlots = 2;
const waiting: (() => void)[] = [];
async function limitedAdmin(dataDir: string, args: string[]): Promise<unknown> {
  while (adminSlots === 0) await new Promise<void>((r) => waiting.push(r));
  adminSlots--;
  try {
    return await admin(dataDir, args);
  } finally {
    adminSlots++;
    waiting.shift()?.();
  }
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const a = await request(url, '/account/token/generation', { method: 'POST', body: { username, password } });
  // the vendor answers the token as a bare JSON string
  if (a.status !== 200 || typeof a.json !== 'string') throw new Error(`login of ${username} answered ${a.status} ${a.error ?? a.text.slice(0, 200)}`);
  return a.json;
}

/** The run's shared DATA_DIR: one cluster, a base server with default settings, users made on demand. */
export class SharedFixture {
  readonly dataDir: string;
  readonly cluster: Cluster;
  private baseServer?: Promise<ServerProcess>;
  private hold?: Client;
  private users = new Map<string, Promise<AccountUser>>();
  private b2b?: Promise<B2bAdmin>;

  constructor(private readonly run: RunContext) {
    this.dataDir = path.join(run.tmp, 'shared-data');
    this.cluster = new Cluster(this.dataDir);
  }

  /** The base server (default settings), started once, with the runner's connection holding the cluster up. */
  base(): Promise<ServerProcess> {
    this.baseServer ??= (async () => {
      const s = await this.run.startServer({ name: 'base', env: { DATA_DIR: this.dataDir } });
      this.hold = await this.cluster.connect();
      return s;
    })();
    return this.baseServer;
  }

  /** An account user of its own per key (made with `npm run admin -- account create-user`), logged in on the base server. */
  accountUser(key: string): Promise<AccountUser> {
    let u = this.users.get(key);
    if (!u) {
      u = (async () => {
        const base = await this.base();
        const username = `chaos_${key}`;
        const password = secret();
        await limitedAdmin(this.dataDir, ['account', 'create-user', '--username', username, `--password=${password}`,
          '--company-key', `chaos_${key}`, '--name', `Chaos ${key}`, '--roles', 'USER']);
        const token = await login(base.url, username, password);
        return { username, password, token, auth: { Authorization: `Bearer ${token}` } };
      })();
      this.users.set(key, u);
    }
    return u;
  }

  /** A b2b domain administrator (create-domain, create-user); its AR-REST header computed as the spec says. */
  b2bAdmin(): Promise<B2bAdmin> {
    this.b2b ??= (async () => {
      await this.base();
      const domain = 'chaos_domain';
      const uid = `admin@${domain}`;
      const password = secret();
      await limitedAdmin(this.dataDir, ['b2b', 'create-domain', '--uid', domain]);
      await limitedAdmin(this.dataDir, ['b2b', 'create-user', '--uid', uid, `--password=${password}`, '--roles', 'ADMIN,USER']);
      return {
        uid, domain, password,
        header() {
          const stamp = Math.floor(Date.now() / 1000) - 5;
          const age = 3600;
          const salted = md5b64(`${stamp}:${age}:${md5b64(password)}`);
          return `AR-REST ${Buffer.from(`${uid}:${stamp}:${age}:${salted}`).toString('base64')}`;
        },
      };
    })();
    return this.b2b;
  }

  async dispose(): Promise<void> {
    const base = await this.baseServer?.catch(() => undefined);
    if (base) await base.stop();
    await this.hold?.end().catch(() => undefined);
    await this.cluster.dispose().catch(() => undefined);
  }
}

/** The run: its temporary directory, every server process started (killed at the end), the shared fixture. */
export class RunContext {
  readonly logDir: string;
  readonly processes: ServerProcess[] = [];
  readonly clusters: Cluster[] = [];
  readonly shared: SharedFixture;

  constructor(readonly tmp: string, readonly verbose: boolean) {
    this.logDir = path.join(tmp, 'logs');
    fs.mkdirSync(this.logDir, { recursive: true });
    this.shared = new SharedFixture(this);
  }

  note(msg: string): void {
    if (this.verbose) process.stderr.write(`  · ${msg}\n`);
  }

  async startServer(opts: { name: string; env: Record<string, string>; command?: 'node' | 'npm' }): Promise<ServerProcess> {
    const s = await startServer({ ...opts, logDir: this.logDir });
    this.processes.push(s);
    this.note(`${opts.name} listening on ${s.url} (pid ${s.pid})`);
    return s;
  }

  /** A new DATA_DIR (no cluster yet) whose cluster is stopped and removed at the end of the run. */
  freshDataDir(name: string): string {
    const dir = path.join(this.tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    this.clusters.push(new Cluster(dir));
    return dir;
  }

  /** Kill what is still running (servers' whole process groups), stop every cluster, delete the temporary directory. */
  async dispose(keep: boolean): Promise<void> {
    await this.shared.dispose().catch(() => undefined);
    for (const p of this.processes) {
      if (groupMembers(p.pid).length) killGroup(p.pid, 'SIGKILL');
    }
    for (const c of this.clusters) await c.dispose().catch(() => undefined);
    if (!keep) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** What one scenario gets: the run, plus servers that are stopped when the scenario ends. */
export class ScenarioContext {
  private started: ServerProcess[] = [];
  constructor(readonly run: RunContext) {}

  get shared(): SharedFixture {
    return this.run.shared;
  }

  note(msg: string): void {
    this.run.note(msg);
  }

  async server(name: string, env: Record<string, string>, command?: 'node' | 'npm'): Promise<ServerProcess> {
    const s = await this.run.startServer({ name, env, command });
    this.started.push(s);
    return s;
  }

  freshDataDir(name: string): string {
    return this.run.freshDataDir(name);
  }

  /** Stop the scenario's servers still running (SIGTERM, then SIGKILL to the group). */
  async cleanup(): Promise<void> {
    await Promise.all(this.started.map((s) => s.stop(10_000)));
    for (const s of this.started) if (groupMembers(s.pid).length) killGroup(s.pid, 'SIGKILL');
  }
}
