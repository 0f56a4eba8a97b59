/**
 * In-process HTTP against the app factory with response validation switched on, plus a client-side check of every
 * response against the spec: undocumented status, undocumented content type or a body off its schema fails the test.
 */
import crypto from 'node:crypto';
import { Sequelize } from 'sequelize';
import supertest from 'supertest';
import { createApp, loadServiceDefinitions, type LoadedService } from '../../lib/app';
import { startJobs } from '../../lib/jobs';
import { mediaMatches, ServiceSpec } from '../../lib/spec';

export interface CallOptions {
  token?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean>;
  /** JSON-encoded unless `raw` is given */
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw: Buffer;
}

export const unique = (prefix = 'u') => `${prefix}_${crypto.randomBytes(5).toString('hex')}`;

export function conformance(loaded: LoadedService[], method: string, url: string, res: CallResult): string[] {
  const pathname = new URL(url, 'http://x').pathname;
  const svc = [...loaded].sort((a, b) => b.basePath.length - a.basePath.length).find((s) => pathname === s.basePath || pathname.startsWith(`${s.basePath}/`));
  if (!svc) return [];
  let op;
  try {
    op = svc.api.router.matchOperation({ method: method.toLowerCase(), path: pathname, headers: {} }, false);
  } catch {
    op = undefined;
  }
  if (!op || op.method !== method.toLowerCase()) return [];
  const problems: string[] = [];
  const info = svc.spec.operation(op.operationId!)!;
  const declared = ServiceSpec.responseFor(info, res.status);
  if (!declared) return [`${op.operationId}: status ${res.status} is not documented`];
  const types = declared.content.map((m) => m.mediaType);
  const ct = (res.headers['content-type'] ?? '').split(';')[0].trim();
  if (types.length && !types.some((t) => mediaMatches(t, ct))) problems.push(`${op.operationId} ${res.status}: content type ${ct} not in ${types.join(', ')}`);
  if (ct === 'application/json' && types.includes('application/json')) {
    const v = svc.api.validator.validateResponse(res.body, op, res.status);
    if (v.errors) problems.push(`${op.operationId} ${res.status}: body off schema: ${JSON.stringify(v.errors)}`);
  }
  return problems;
}

export async function harness(services: string[]) {
  const sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { underscored: true } });
  const defs = loadServiceDefinitions(services);
  for (const d of defs) await d.init(sequelize);
  const { app, services: loaded } = await createApp({ services: defs, sequelize, validateResponses: true });
  // the services' background loops (the account audit outbox), as the server runs them
  const jobs = startJobs(sequelize, defs.flatMap((d) => d.jobs ?? []), { error: () => undefined, warn: () => undefined, info: () => undefined });
  const agent = supertest(app);

  async function call(method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options', url: string, opts: CallOptions = {}): Promise<CallResult> {
    let r = agent[method](url);
    if (opts.token) r = r.set('Authorization', `Bearer ${opts.token}`);
    for (const [k, v] of Object.entries(opts.headers ?? {})) r = r.set(k, v);
    if (opts.query) r = r.query(opts.query);
    if (opts.raw !== undefined || opts.body !== undefined) {
      r = r.set('Content-Type', opts.contentType ?? 'application/json');
      r = r.send(opts.raw !== undefined ? opts.raw : JSON.stringify(opts.body));
    }
    const res = await r.buffer(true).parse((response, cb) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    const raw = res.body as Buffer;
    const ct = String(res.headers['content-type'] ?? '');
    let body: unknown = raw;
    if (/json/.test(ct) && raw.length) body = JSON.parse(raw.toString('utf8'));
    const result: CallResult = { status: res.status, headers: res.headers as Record<string, string>, body, raw };
    const problems = conformance(loaded, method, url, result);
    if (problems.length) throw new Error(`response does not conform to the spec:\n${problems.join('\n')}`);
    return result;
  }

  async function close() {
    await jobs.stop();
    for (const d of defs) await d.stop?.();
    await sequelize.close();
  }

  return { call, sequelize, loaded, close };
}

/** Poll an assertion until it holds (for effects written after the answer, such as audit actions). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
