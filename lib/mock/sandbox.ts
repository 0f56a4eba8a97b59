/**
 * The sandbox: the real implementation (lib/server.ts) on its own embedded PostgreSQL in its own data directory,
 * loaded once with demo data by fixtures/sandbox/<service>.ts through that service's admin commands
 * (handlers/<service>/_admin.ts). A service without a fixture or an admin module runs empty. `reset` stops the
 * directory's cluster and wipes the directory, so the next start is fresh.
 *
 * The directory is marked with a SANDBOX file when created; a directory with content but without it is never wiped.
 * The caller's DATABASE_URL is ignored: only an explicit `databaseUrl` puts the sandbox on another server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import type { AdminCommands } from '../admin';
import { projectRoot } from '../config';
import { pidAlive, startEmbedded, type EmbeddedHandle } from '../embedded-pg';
import { startServer, type RunningServer } from '../server';

/** One admin command of the service, as `npm run admin -- <service> <command> --flag value` would run it. */
export interface DemoStep {
  command: string;
  flags?: Record<string, string>;
  /** written to a temporary file whose path is passed as --file */
  file?: string;
}

export interface DemoData {
  steps: DemoStep[];
  /** what a user needs to try the data (users, passwords, identifiers); kept in <dir>/demo.json */
  credentials: Record<string, unknown>;
}

/** Shape of fixtures/sandbox/<service>.ts (default export). */
export interface SandboxFixture {
  /** the demo data, relative to the moment it is loaded */
  load(now: Date): DemoData;
  /** lines printed at every start; `run` calls an admin command (for computed values such as a fresh token) */
  describe(ctx: { url: string; credentials: Record<string, unknown>; run(command: string, flags: Record<string, string>): Promise<unknown> }): Promise<string[]>;
}

export const MARKER = 'SANDBOX';
export const DEMO_FILE = 'demo.json';

export const defaultSandboxDir = () => path.join(projectRoot, '.data', 'sandbox');
export const fixturePath = (service: string) => path.join(projectRoot, 'fixtures', 'sandbox', `${service}.ts`);
const adminPath = (service: string) => path.join(projectRoot, 'handlers', service, '_admin.ts');

interface DemoRecord {
  loaded_at: string;
  database: string;
  services: Record<string, Record<string, unknown>>;
  skipped: Record<string, string>;
}

function isSandboxDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, MARKER));
}

function postmasterPid(dir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 && pidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stop the directory's cluster (unless someone still uses it) and delete the directory. */
export async function wipeSandbox(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  if (fs.readdirSync(dir).length && !isSandboxDir(dir)) {
    throw new Error(`${dir} is not a sandbox directory (no ${MARKER} file); refusing to wipe it`);
  }
  const pid = postmasterPid(dir);
  if (pid !== undefined) {
    const handle = await startEmbedded(dir); // attach, then stop it (pg_ctl stop -w) if we are its only user
    await handle.release();
    for (let i = 0; i < 10 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (pidAlive(pid)) throw new Error(`the sandbox in ${dir} is in use (postmaster pid ${pid} has other clients); stop the running sandbox first`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function prepareDir(dir: string): void {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length && !isSandboxDir(dir)) {
    throw new Error(`${dir} exists and is not a sandbox directory (no ${MARKER} file); choose another --data-dir`);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MARKER), 'Data of `npm run sandbox` (embedded PostgreSQL and demo data). `npm run sandbox -- --reset` wipes it.\n');
}

function loadModule<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file.replace(/\.ts$/, '')) as T;
}

async function runStep(service: string, commands: AdminCommands, step: DemoStep, sequelize: Sequelize): Promise<unknown> {
  const cmd = commands[step.command];
  if (!cmd) throw new Error(`fixtures/sandbox/${service}.ts: unknown admin command "${step.command}"`);
  const flags: Record<string, string | undefined> = { ...(step.flags ?? {}) };
  let tmp: string | undefined;
  if (step.file !== undefined) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sandbox-${service}-`));
    flags.file = path.join(tmp, 'input');
    fs.writeFileSync(flags.file, step.file);
  }
  const unknown = Object.keys(flags).filter((f) => !cmd.flags.includes(f));
  if (unknown.length) throw new Error(`fixtures/sandbox/${service}.ts: ${step.command} has no flag ${unknown.map((f) => `--${f}`).join(', ')}`);
  try {
    return await cmd.run(flags, sequelize);
  } catch (e) {
    throw new Error(`fixtures/sandbox/${service}.ts: ${step.command} failed: ${(e as Error).message}`);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface SandboxOptions {
  dataDir?: string;
  port?: number;
  host?: string;
  /** wipe the data directory first (embedded only) */
  reset?: boolean;
  /** another PostgreSQL instead of the embedded one (demo data loaded once per database, recorded in the directory) */
  databaseUrl?: string;
  services?: string[];
  now?: Date;
  /** what is being done (the database, the server, each demo-data command), as it starts */
  progress?: (line: string) => void;
}

export interface RunningSandbox {
  url: string;
  dataDir: string;
  server: RunningServer;
  /** whether demo data was loaded by this start */
  loaded: boolean;
  demo: DemoRecord;
  lines: string[];
  stop(): Promise<void>;
}

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const dir = path.resolve(projectRoot, opts.dataDir ?? defaultSandboxDir());
  if (opts.reset && opts.databaseUrl) throw new Error('--reset wipes the embedded sandbox only; with --database-url drop and recreate that database yourself');
  if (opts.reset) await wipeSandbox(dir);
  prepareDir(dir);

  const demoFile = path.join(dir, DEMO_FILE);
  let demo: DemoRecord | undefined = fs.existsSync(demoFile) ? JSON.parse(fs.readFileSync(demoFile, 'utf8')) : undefined;
  if (!opts.databaseUrl && !fs.existsSync(path.join(dir, 'pg', 'PG_VERSION'))) demo = undefined; // the cluster is gone
  if (!opts.databaseUrl && !demo && fs.existsSync(path.join(dir, 'pg'))) {
    // a cluster without its demo record: an earlier load did not finish; start over
    await wipeSandbox(dir);
    prepareDir(dir);
  }

  const say = opts.progress ?? (() => undefined);
  let embedded: EmbeddedHandle | undefined;
  if (!opts.databaseUrl) say(`starting the embedded PostgreSQL in ${dir}`);
  const url = opts.databaseUrl ?? (embedded = await startEmbedded(dir)).url;
  const database = opts.databaseUrl ? redact(opts.databaseUrl) : 'embedded';
  if (demo && demo.database !== database) demo = undefined;

  let server: RunningServer;
  try {
    say('starting the server (migrations, services)');
    server = await startServer({ port: opts.port, host: opts.host, services: opts.services, databaseUrl: url, frontDoorMode: 'sandbox' });
  } catch (e) {
    await embedded?.release();
    throw e;
  }
  const stop = async () => {
    await server.stop();
    await embedded?.release();
  };

  try {
    const names = server.services.map((s) => s.name);
    const commandsOf = (service: string) => loadModule<{ commands: AdminCommands }>(adminPath(service)).commands;
    const available = (service: string): string | undefined => {
      if (!fs.existsSync(fixturePath(service))) return `no fixtures/sandbox/${service}.ts`;
      if (!fs.existsSync(adminPath(service))) return `no handlers/${service}/_admin.ts`;
      return undefined;
    };
    let loaded = false;
    if (!demo) {
      const now = opts.now ?? new Date();
      demo = { loaded_at: now.toISOString(), database, services: {}, skipped: {} };
      for (const service of names) {
        const why = available(service);
        if (why) {
          demo.skipped[service] = why;
          continue;
        }
        const fixture = loadModule<{ default: SandboxFixture }>(fixturePath(service)).default;
        const data = fixture.load(now);
        const commands = commandsOf(service);
        for (const [i, step] of data.steps.entries()) {
          // who or what the command makes (the identifying flags), and how big its input file is
          const what = Object.entries(step.flags ?? {}).filter(([k]) => /^(username|uid|login|company-key|workspace)$/.test(k)).map(([k, v]) => `--${k} ${v}`);
          const lines = step.file?.split('\n').filter(Boolean).length ?? 0;
          if (step.file !== undefined) what.push(lines > 1 ? `${lines} lines` : `${Buffer.byteLength(step.file)} bytes`);
          say(`seeding ${service} ${i + 1}/${data.steps.length}: ${step.command} ${what.join(' ')}`.trimEnd());
          await runStep(service, commands, step, server.db.sequelize);
        }
        demo.services[service] = data.credentials;
      }
      fs.writeFileSync(demoFile, `${JSON.stringify(demo, null, 2)}\n`);
      loaded = true;
    }

    const lines: string[] = [];
    for (const service of names) {
      const credentials = demo.services[service];
      if (!credentials) {
        lines.push(`${service}: no demo data (${demo.skipped[service] ?? available(service) ?? 'not mounted when the data was loaded'})`);
        continue;
      }
      const fixture = loadModule<{ default: SandboxFixture }>(fixturePath(service)).default;
      const commands = commandsOf(service);
      lines.push(...await fixture.describe({
        url: server.url, credentials,
        run: (command, flags) => runStep(service, commands, { command, flags }, server.db.sequelize),
      }));
    }
    return { url: server.url, dataDir: dir, server, loaded, demo, lines, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
