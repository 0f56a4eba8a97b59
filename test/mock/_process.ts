/** A project script run as its own process group (tsx), its output collected line by line, killed whole in `finally`. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../lib/config';

export interface Script {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** the first output line matching, waiting for it (rejects if the process exits first) */
  line(re: RegExp, guardMs?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL the whole process group if anything of it still runs */
  kill(): void;
}

export function runScript(script: string, args: string[], env: Record<string, string | undefined>): Script {
  const child = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), [path.join(projectRoot, script), ...args], {
    cwd: projectRoot,
    detached: true, // own process group: the finally block can end it and everything it started
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    waiters.splice(0).forEach((w) => w());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      waiters.splice(0).forEach((w) => w());
    });
  });
  let exited = false;
  void exit.then(() => (exited = true));

  return {
    child,
    pid: child.pid!,
    output: () => out,
    exit,
    line: (re, guardMs = 60_000) => new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`no line matching ${re} within ${guardMs} ms; output:\n${out}`)), guardMs);
      const check = () => {
        const m = out.match(re);
        if (m) {
          clearTimeout(guard);
          resolve(m);
        } else if (exited || child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(guard);
          reject(new Error(`${script} exited before printing ${re}; output:\n${out}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    }),
    kill: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}
