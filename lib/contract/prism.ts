/**
 * Prism as an independent judge: one `prism proxy <spec> <target> --errors` per service on a free port. Prism 5
 * answers a response that breaks the spec with its own 500 problem (type …#VIOLATIONS, the violations in
 * `validation`) and lists lesser findings in an `sl-violations` header; requests it refuses itself (no credentials,
 * an undocumented method) come back as its own problem+json without reaching the target.
 *
 * Request validation is switched off (--validate-request=false): Prism 5's forwarder refuses every request with any
 * request finding, warnings included (a deprecated parameter), so negative cases would never reach the target and
 * its error answers would go unjudged. The runner validates its own requests instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseJson, type HttpResponse } from './http';
import { freePort } from '../ports';

export interface PrismProxy {
  service: string;
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface PrismFinding {
  location: string;
  severity: string;
  message: string;
}

export type PrismVerdict =
  | { kind: 'forwarded'; findings: PrismFinding[] }
  | { kind: 'violations'; findings: PrismFinding[] }
  | { kind: 'refused'; type: string; detail: string };

const PRISM_ERRORS = 'https://stoplight.io/prism/errors#';


export async function startPrism(opts: { service: string; specFile: string; target: string; projectRoot: string; logDir: string }): Promise<PrismProxy> {
  const bin = path.join(opts.projectRoot, 'node_modules', '.bin', 'prism');
  if (!fs.existsSync(bin)) throw new Error(`Prism is not installed (${bin}); npm ci installs @stoplight/prism-cli`);
  const port = await freePort();
  fs.mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `prism-${opts.service}.log`);
  const log = fs.createWriteStream(logFile);
  const child: ChildProcess = spawn(bin, [
    'proxy', opts.specFile, opts.target, '--errors', '--validate-request=false',
    '--port', String(port), '--host', '127.0.0.1', '--multiprocess=false',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'development', FORCE_COLOR: '0' } });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Prism for ${opts.service} did not start within 60 s; see ${logFile}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      if (/Prism is listening/.test(out)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`Prism for ${opts.service} exited (${code}) before listening: ${out.slice(-800)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  }).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    service: opts.service,
    url,
    logFile,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        log.end();
        resolve();
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        log.end();
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}

function findingsOf(list: unknown): PrismFinding[] {
  if (!Array.isArray(list)) return [];
  return list.map((v: { location?: unknown; severity?: unknown; message?: unknown }) => ({
    location: Array.isArray(v.location) ? v.location.join('.') : String(v.location ?? ''),
    severity: String(v.severity ?? 'Error'),
    message: String(v.message ?? ''),
  }));
}

/** What Prism did with an exchange: forwarded it (with findings, if any), replaced a violating answer, or refused. */
export function prismVerdict(res: HttpResponse): PrismVerdict {
  const ct = res.headers['content-type'] ?? '';
  if (/application\/problem\+json/.test(ct)) {
    const parsed = parseJson(res.body);
    const body = parsed.ok ? (parsed.value as { type?: string; detail?: string; validation?: unknown }) : undefined;
    if (body?.type?.startsWith(PRISM_ERRORS)) {
      const type = body.type.slice(PRISM_ERRORS.length);
      if (type === 'VIOLATIONS') return { kind: 'violations', findings: findingsOf(body.validation) };
      return { kind: 'refused', type, detail: String(body.detail ?? '') };
    }
  }
  const header = res.headers['sl-violations'];
  if (!header) return { kind: 'forwarded', findings: [] };
  const text = header.replace(/^Too many violations! /, '');
  try {
    return { kind: 'forwarded', findings: findingsOf(JSON.parse(text)) };
  } catch {
    return { kind: 'forwarded', findings: [{ location: 'response', severity: 'Error', message: header.slice(0, 300) }] };
  }
}
