/**
 * A small app over test/kernel/fixtures/stages.yaml (service "stages", base /stages) and stages-inner.yaml (service
 * "inner", base /stages/inner), for the tests of each request stage. Handlers echo what they received and record
 * each call, so a test can say both what was answered and whether anything reached a handler.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Request } from 'express';
import { Strategy } from 'passport';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import supertest from 'supertest';
import { createApp } from '../../../lib/app';
import { ApiError } from '../../../lib/errors';
import type { CallRecord, ErrorInfo, ServiceDefinition } from '../../../lib/service';

export const STAGES_SPEC = path.join(__dirname, '..', 'fixtures', 'stages.yaml');
export const INNER_SPEC = path.join(__dirname, '..', 'fixtures', 'stages-inner.yaml');

export interface Principal { name: string; tenant: string }

/** Bearer tokens the fixture knows; `revoked` fails with the strategy's own error, `boom` errors (a fault, not a refusal). */
export const TOKENS: Record<string, Principal> = {
  alice: { name: 'alice', tenant: 't_alice' },
  bob: { name: 'bob', tenant: 't_bob' },
};
export const API_KEYS: Record<string, Principal> = { 'k-carol': { name: 'carol', tenant: 't_carol' } };

class BearerStrategy extends Strategy {
  override authenticate(req: Request): void {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!m) return this.fail(new ApiError('unauthorized', 'bearer token missing', { code: 'MISSING' }));
    if (m[1] === 'boom') return this.error(new Error('token store is down'));
    if (m[1] === 'revoked') {
      return this.fail(new ApiError('unauthorized', 'token revoked', { code: 'REVOKED', headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }));
    }
    const p = TOKENS[m[1]];
    return p ? this.success(p) : this.fail(new ApiError('unauthorized', 'unknown bearer token', { code: 'UNKNOWN' }));
  }
}

class ApiKeyStrategy extends Strategy {
  override authenticate(req: Request): void {
    const key = req.headers['x-api-key'];
    const p = typeof key === 'string' ? API_KEYS[key] : undefined;
    return p ? this.success(p) : this.fail(new ApiError('unauthorized', 'api key missing or unknown', { code: 'APIKEY' }));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (input: any, ctx: any) => Promise<any>;
/** The fixture's handlers, untyped: the fixture spec has no generated types. */
const untyped = (handlers: Record<string, AnyHandler>) => handlers as unknown as ServiceDefinition['handlers'];

export interface HandlerCall { operationId: string; input: any; ctx: any } // eslint-disable-line @typescript-eslint/no-explicit-any

export const BLOB = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256));

/** The table create_note writes: made by the handle stage's test (tenant column defaults to the unit of work's tenant). */
export const NOTES = 'stages_test.notes';

export interface BuildOptions {
  sequelize?: Sequelize;
  validateResponses?: boolean;
  bodyLimitBytes?: number;
  jsonMaxDepth?: number;
  jsonMaxElements?: number;
  requestDeadlineMs?: number;
}

export async function buildApp(opts: BuildOptions = {}) {
  const calls: HandlerCall[] = [];
  const records: CallRecord[] = [];
  /** set `on` to make the service's recordCall fail */
  const failRecord = { on: false };
  const rendered: Array<{ kind: string; info: ErrorInfo }> = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const echo = (operationId: string) => async (input: any, ctx: any) => {
    calls.push({ operationId, input, ctx });
    return {
      status: 200,
      body: {
        operationId, path: input.path, query: input.query, body: input.body ?? null, note: input.headers['x-note'],
        principal: ctx.principal ?? null, locals: ctx.locals,
      },
    };
  };
  const renderError = (service: string) => (err: ApiError, info: ErrorInfo) => {
    rendered.push({ kind: err.kind, info });
    return {
      status: err.status,
      body: {
        service, kind: err.kind, message: err.message, fields: err.extra.fields ?? [],
        principal: (info.principal as Principal | undefined)?.name ?? null, operationId: info.operationId ?? null, locals: info.locals,
      },
    };
  };
  const sequelize = opts.sequelize;

  const stages: ServiceDefinition = {
    name: 'stages',
    specFile: STAGES_SPEC,
    strategies: () => ({ Bearer: new BearerStrategy(), ApiKey: new ApiKeyStrategy() }),
    renderError: renderError('stages'),
    init: () => undefined,
    makeLocals: (req) => ({ trace: `${req.method} ${req.path}` }),
    recordCall: async (record) => {
      if (failRecord.on) throw new Error('audit store is down');
      records.push(record);
    },
    tenantOf: (p) => (p as Principal).tenant,
    handlers: untyped({
      list_items: echo('list_items'),
      read_item: echo('read_item'),
      update_item: echo('update_item'),
      delete_item: async (input, ctx) => {
        calls.push({ operationId: 'delete_item', input, ctx });
        return { status: 204, body: undefined };
      },
      read_blob: async (input, ctx) => {
        calls.push({ operationId: 'read_blob', input, ctx });
        const raw = input.query.stream ? Readable.from([BLOB.subarray(0, 500), BLOB.subarray(500)]) : BLOB;
        return { status: 200, body: { raw, contentType: 'application/octet-stream' } };
      },
      create_note: async (input, ctx) => {
        calls.push({ operationId: 'create_note', input, ctx });
        if (!sequelize) throw new Error('create_note needs the app built with a sequelize');
        const { text, then = 'answer', slowCommit = false } = input.body as { text: string; then?: string; slowCommit?: boolean };
        // no transaction passed: the query joins the request's unit of work on its own
        await sequelize.query(`INSERT INTO ${NOTES} (text, slow_commit) VALUES ($1, $2)`, { bind: [text, slowCommit] });
        if (then === 'throw') throw new Error('failed after writing');
        if (then === 'drift') return { status: 200, body: { written: text } }; // off the documented schema
        const seen = async () => {
          const [s] = await sequelize.query<{ tenant: string | null; role: string }>(
            "SELECT current_setting('app.tenant', true) AS tenant, current_user AS role", { type: QueryTypes.SELECT, transaction: ctx.transaction as Transaction });
          const rows = await sequelize.query<{ text: string }>(`SELECT text FROM ${NOTES} ORDER BY id`, { type: QueryTypes.SELECT, transaction: ctx.transaction as Transaction });
          return { ...s, visible: rows.map((r) => r.text) };
        };
        if (then === 'stream') {
          // every chunk is read through the request's transaction: a committed (finished) one would refuse the query
          const chunks = async function* () {
            for (let i = 0; i < 3; i++) {
              const s = await seen();
              yield `${i} ${s.role} ${s.tenant} ${s.visible.join(',')}\n`;
            }
          };
          return { status: 200, body: { raw: Readable.from(chunks()), contentType: 'text/plain' } };
        }
        return { status: 200, body: await seen() };
      },
      drift: async (input, ctx) => {
        calls.push({ operationId: 'drift', input, ctx });
        switch (input.query.mode) {
          case 'status': return { status: 201, body: { ok: true } };
          case 'header': return { status: 200, body: { ok: true }, headers: { 'X-Secret': 'leak' } };
          case 'body': return { status: 200, body: { ok: 'yes' } };
          case 'media': return { status: 200, body: { raw: Buffer.from('a,b'), contentType: 'text/csv' } };
          case 'badNumberHeader': return { status: 200, body: { ok: true }, headers: { 'X-Count': 'many' } };
          case 'crash': throw new Error('secret detail: password=hunter2');
          case 'limited': throw new ApiError('tooManyRequests', 'slow down', { headers: { 'Retry-After': '7' } });
          default: return { status: 200, body: { ok: true }, headers: { 'X-Count': '3' } };
        }
      },
    }),
  };

  const inner: ServiceDefinition = {
    name: 'inner',
    specFile: INNER_SPEC,
    strategies: () => ({}),
    renderError: renderError('inner'),
    init: () => undefined,
    handlers: untyped({
      inner_ping: async () => ({ status: 200, body: { operationId: 'inner_ping' } }),
      inner_pong: async () => ({ status: 200, body: { operationId: 'inner_pong' } }),
    }),
  };

  const env: Record<string, string | undefined> = {
    BODY_LIMIT_BYTES: opts.bodyLimitBytes?.toString(),
    JSON_MAX_DEPTH: opts.jsonMaxDepth?.toString(),
    JSON_MAX_ELEMENTS: opts.jsonMaxElements?.toString(),
    REQUEST_DEADLINE_MS: opts.requestDeadlineMs?.toString(),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v;
  let built;
  try {
    // the inner service first: the longest base path must win whatever the order
    built = await createApp({ services: [inner, stages], sequelize, validateResponses: opts.validateResponses ?? true });
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  const { app, services } = built;
  return { app, services, calls, records, failRecord, rendered, request: () => supertest(app) };
}

export type StagesApp = Awaited<ReturnType<typeof buildApp>>;

/** The app on a real port, for clients that must control the bytes on the wire. */
export async function listen(app: http.RequestListener, options: http.ServerOptions = {}) {
  const server = http.createServer(options, app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface RawAnswer { status: number; headers: Record<string, string>; body: string; }

/**
 * Send raw bytes over a socket and read the HTTP answer until the server closes or `Content-Length` bytes arrived.
 * `error` is set when the connection was reset before any answer.
 */
export function rawRequest(port: number, bytes: Buffer | string, opts: { keepOpen?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer & { error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n'), error: chunks.length ? undefined : error });
    };
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 10000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (end >= 0 && len && Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(len[1])) finish();
    });
    socket.on('end', () => finish('ended'));
    socket.on('error', (e) => finish(e.message));
    socket.write(bytes);
  });
}

/** A JSON echo of the fixture, as `any` for brevity in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Echo = any;
