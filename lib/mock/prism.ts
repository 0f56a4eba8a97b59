/**
 * One `prism mock` child process per spec on an internal free port (never 5432). Ready when Prism says it listens;
 * its output is kept (last lines) for the message when it dies, and echoed only when asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { projectRoot } from '../config';
import { freePort } from '../ports';

export interface PrismOptions {
  dynamic?: boolean;
  /** in dynamic mode, the most items json-schema-faker puts in any array (default 3); the specs allow thousands */
  maxItems?: number;
  errors?: boolean;
  seed?: string;
  /** echo Prism's own log lines to stderr */
  verbose?: boolean;
}

export interface PrismChild {
  service: string;
  pid: number;
  port: number;
  url: string;
  process: ChildProcess;
  /** last lines Prism wrote */
  tail(): string;
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export { freePort };

export function prismBin(): string {
  return path.join(projectRoot, 'node_modules', '.bin', 'prism');
}


// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

/**
 * The document Prism reads in dynamic mode: the spec unchanged but for a root `x-json-schema-faker` (Prism's own
 * extension for its generator) capping array lengths, or json-schema-faker fills arrays up to their maxItems
 * (statistics allow 3653 days of 100 method groups) and Prism stops answering. Settings the spec makes itself win.
 * A spec with references to other files is used as it is.
 */
function dynamicDocument(service: string, specFile: string, maxItems: number): { file: string; cleanup(): void } {
  const text = fs.readFileSync(specFile, 'utf8');
  const doc = YAML.parse(text, { maxAliasCount: -1 });
  if (/\$ref['"]?\s*:\s*['"]?[^'"#\s]/.test(text)) return { file: specFile, cleanup: () => undefined };
  doc['x-json-schema-faker'] = { 'max-items': maxItems, ...(doc['x-json-schema-faker'] ?? {}) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mock-${service}-`));
  const file = path.join(dir, `${service}.json`);
  fs.writeFileSync(file, JSON.stringify(doc));
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function startOnce(service: string, specFile: string, opts: PrismOptions, readyTimeoutMs: number): Promise<PrismChild> {
  const port = await freePort();
  const document = opts.dynamic ? dynamicDocument(service, specFile, opts.maxItems ?? 3) : { file: specFile, cleanup: () => undefined };
  const args = ['mock', document.file, '--host', '127.0.0.1', '--port', String(port)];
  if (opts.dynamic) args.push('--dynamic');
  if (opts.errors) args.push('--errors');
  if (opts.seed !== undefined) args.push('--seed', opts.seed);
  const child = spawn(prismBin(), args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      document.cleanup();
      resolve({ code, signal });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = stripAnsi(buf.slice(0, nl)).trimEnd();
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (lines.length > 40) lines.shift();
        if (opts.verbose) process.stderr.write(`[prism ${service}] ${line}\n`);
        if (/Prism is listening on/.test(line)) resolve();
        if (/\bfatal\b/.test(line)) reject(new Error(`Prism for ${service} failed: ${line}`));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    void exited.then(({ code, signal }) => reject(new Error(`Prism for ${service} exited during start-up (${signal ?? `code ${code}`}): ${lines.slice(-8).join(' | ')}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([ready, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Prism for ${service} did not start within ${readyTimeoutMs} ms: ${lines.slice(-8).join(' | ')}`)), readyTimeoutMs);
    })]);
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  let stopping: Promise<void> | undefined;
  return {
    service, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, process: child, exited,
    tail: () => lines.slice(-12).join('\n'),
    stop: () => (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    })()),
  };
}

/** Start Prism for one spec; a port taken between choosing and binding is retried on another port. */
export async function startPrism(service: string, specFile: string, opts: PrismOptions = {}, readyTimeoutMs = 30_000): Promise<PrismChild> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(service, specFile, opts, readyTimeoutMs);
    } catch (e) {
      last = e;
      if (!/EADDRINUSE|address already in use/i.test(String((e as Error).message))) throw e;
    }
  }
  throw last;
}
