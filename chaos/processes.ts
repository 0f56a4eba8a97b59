/**
 * The chaos runner's processes: servers started as an operator would (`node --import tsx scripts/server.ts`, or
 * `npm start` itself), each in its own process group, their JSON log kept in memory and in a file; the admin
 * command; and /proc readings (process groups, descendants) for the faults that signal processes directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The environment of every child: ours, without a database URL or PostgreSQL client settings (never port 5432), with
 * the services the scenarios exercise (account and b2b) pinned, so that a service being added does not change them.
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k.startsWith('PG') || k.startsWith('npm_') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SERVICES: 'account,b2b', ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface ServerProcess {
  name: string;
  pid: number;
  /** http://127.0.0.1:<port>, known once the server logged that it listens */
  url: string;
  child: ChildProcess;
  /** every output line so far (stdout and stderr) */
  lines: string[];
  logFile: string;
  exit: Promise<Exit>;
  exited(): Exit | undefined;
  /** the log lines whose JSON has this msg */
  logged(msg: string): boolean;
  tail(n?: number): string;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL to the group after `graceMs` */
  stop(graceMs?: number): Promise<Exit>;
}

/**
 * Start a server and wait for its `listening` log line (PORT=0: the server takes a free port and logs its URL).
 * `command: 'npm'` runs `npm start`, so the process signalled is the one npm start created.
 */
export async function startServer(opts: {
  name: string;
  logDir: string;
  env: Record<string, string>;
  command?: 'node' | 'npm';
  readyTimeoutMs?: number;
}): Promise<ServerProcess> {
  const [cmd, args] = opts.command === 'npm'
    ? ['npm', ['start']]
    : [process.execPath, ['--import', 'tsx', 'scripts/server.ts']];
  // detached: a session and process group of its own (setsid), so the whole group can be signalled and inspected
  const child = spawn(cmd, args, {
    cwd: PROJECT_ROOT, env: childEnv(opts.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = path.join(opts.logDir, `${opts.name}.log`);
  const log = fs.createWriteStream(logFile);
  const lines: string[] = [];
  let exitInfo: Exit | undefined;
  const exit = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal, at: Date.now() };
      resolve(exitInfo);
    });
    child.on('error', () => {
      exitInfo ??= { code: -1, signal: null, at: Date.now() };
      resolve(exitInfo);
    });
  });
  let url = '';
  let onUrl: (u: string) => void = () => undefined;
  const urlKnown = new Promise<string>((resolve) => (onUrl = resolve));
  const take = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      log.write(d);
      rest += d.toString('utf8');
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 20_000) lines.splice(0, 10_000);
        if (!url && line.includes('"listening"')) {
          try {
            url = JSON.parse(line).url;
            onUrl(url);
          } catch { /* not our JSON line */ }
        }
      }
    });
  };
  take(child.stdout!);
  take(child.stderr!);
  const proc: ServerProcess = {
    name: opts.name,
    pid: child.pid!,
    get url() { return url; },
    child,
    lines,
    logFile,
    exit,
    exited: () => exitInfo,
    logged: (msg) => lines.some((l) => l.includes(`"msg":"${msg}"`)),
    tail: (n = 15) => lines.slice(-n).join('\n'),
    signal(sig) {
      try {
        process.kill(child.pid!, sig);
      } catch { /* gone */ }
    },
    async stop(graceMs = 15_000) {
      if (exitInfo) return exitInfo;
      proc.signal('SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
      const e = await exit;
      clearTimeout(timer);
      return e;
    },
  };
  const timeout = opts.readyTimeoutMs ?? 120_000;
  const outcome = await Promise.race([
    urlKnown.then(() => 'ready' as const),
    exit.then(() => 'exited' as const),
    sleep(timeout).then(() => 'timeout' as const),
  ]);
  if (outcome !== 'ready') {
    killGroup(child.pid!, 'SIGKILL');
    const reason = lines.find((l) => l.startsWith('start-up failed:'))?.split('\n')[0] ?? '';
    throw new Error(`server ${opts.name} ${outcome === 'exited' ? `exited (${exitInfo?.code ?? exitInfo?.signal})` : `did not listen within ${timeout} ms`}`
      + `${reason ? `: ${reason}` : ''}\n${proc.tail(10)}`);
  }
  return proc;
}

export function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch { /* gone */ }
}

interface ProcStat { pid: number; ppid: number; pgrp: number; state: string }

function procStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]) });
    } catch { /* ended meanwhile */ }
  }
  return out;
}

/** Live (not zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  return procStats().filter((p) => p.pgrp === pgid && p.state !== 'Z').map((p) => p.pid);
}

/** A process and all its live descendants, parents first. */
export function processTree(pid: number): number[] {
  const stats = procStats();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const p of stats) if (p.ppid === tree[i] && p.state !== 'Z') tree.push(p.pid);
  }
  return tree;
}

export function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface AdminResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `npm run admin -- <args>` on a DATA_DIR, as an operator runs it. */
export function runAdmin(dataDir: string, args: string[], timeoutMs = 120_000): Promise<AdminResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'admin', '--', ...args], {
      cwd: PROJECT_ROOT, env: childEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The admin command's JSON answer, or an error with its message. */
export async function admin(dataDir: string, args: string[]): Promise<unknown> {
  const r = await runAdmin(dataDir, args);
  if (r.code !== 0) throw new Error(`npm run admin -- ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr.trim().slice(-500)}`);
  // the answer is the pretty-printed JSON; log lines (one-line JSON with a level, e.g. a key generated) may precede it
  const answer = r.stdout.split('\n').filter((l) => !/^\{"level":\d+,/.test(l)).join('\n');
  try {
    return JSON.parse(answer);
  } catch {
    throw new Error(`npm run admin -- ${args.slice(0, 2).join(' ')} printed no JSON answer: ${r.stdout.slice(0, 500)}`);
  }
}
