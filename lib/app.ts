/**
 * The app factory: one Express app that serves every loaded service on one port. Express only carries bytes; routing,
 * validation and security come from each service's spec through openapi-backend, authentication from passport, and
 * every failure is rendered by the owning service.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import express, { type Request, type Response } from 'express';
import { OpenAPIBackend, type Context, type Operation } from 'openapi-backend';
import addFormats from 'ajv-formats';
import { Passport } from 'passport';
import type { ErrorObject } from 'ajv';
import { projectRoot, config } from './config';
import { ApiError, type FieldError } from './errors';
import { logger } from './logger';
import { isJsonMedia, mediaMatches } from './spec/media';
import { parseMultipart, requiredFilesByOperation, type ParsedForm } from './multipart';
import type { BaseContext, ErrorInfo, RawBody, ServiceDefinition } from './service';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

export interface LoadedService {
  def: ServiceDefinition;
  api: OpenAPIBackend;
  /** operationId -> required file properties of a multipart body */
  requiredFiles: Map<string, string[]>;
}

export interface AppOptions {
  services: ServiceDefinition[];
  validateResponses?: boolean;
}

interface Exchange {
  req: Request;
  res: Response;
  requestId: string;
  startedAt: Date;
  locals: Record<string, unknown>;
  principal?: unknown;
  /** a parsed multipart body with its files, handed to the handler in place of the validated stand-in */
  form?: ParsedForm['value'];
}

export const specPath = (name: string) => path.join(projectRoot, 'spec', `${name}.yaml`);

/** Names of every service with a spec in spec/. */
export function discoverServices(): string[] {
  return fs.readdirSync(path.join(projectRoot, 'spec'))
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Load handlers/<name>/service.ts for each name; a spec without its handlers refuses start-up. */
export function loadServiceDefinitions(names: string[]): ServiceDefinition[] {
  return names.map((name) => {
    if (!fs.existsSync(specPath(name))) throw new Error(`service "${name}": spec/${name}.yaml does not exist`);
    let mod: { default?: ServiceDefinition };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path.join(projectRoot, 'handlers', name, 'service'));
    } catch (e) {
      throw new Error(`service "${name}": cannot load handlers/${name}/service: ${(e as Error).message}`);
    }
    if (!mod.default) throw new Error(`service "${name}": handlers/${name}/service has no default export`);
    return mod.default;
  });
}

function fieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  const where: Record<string, FieldError['location']> = { path: 'path', query: 'query', header: 'header', requestBody: 'body' };
  return (errors ?? []).map((e) => {
    const parts = e.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let location: FieldError['location'] = where[parts[0]] ?? 'body';
    let rest = parts.slice(1);
    if (e.instancePath === '' && e.keyword === 'required') {
      // a missing top-level part: requestBody, or query/path/header object
      const missing = String((e.params as { missingProperty?: string }).missingProperty ?? '');
      location = where[missing] ?? 'body';
      rest = [];
    }
    if (e.keyword === 'required') rest = [...rest, String((e.params as { missingProperty: string }).missingProperty)];
    if (e.keyword === 'additionalProperties') rest = [...rest, String((e.params as { additionalProperty: string }).additionalProperty)];
    if (e.keyword === 'parse') return { location: 'body' as const, field: '', message: `malformed JSON: ${e.message}` };
    const field = rest.join('.');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'enum') message += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    if (e.keyword === 'required' && location === 'body' && rest.length === 1 && rest[0] === 'requestBody') {
      return { location, field: '', message: 'request body is required' } as FieldError;
    }
    return { location, field, message } as FieldError;
  }).filter((f, i, all) => all.findIndex((g) => g.field === f.field && g.message === f.message && g.location === f.location) === i);
}

function describe(fields: FieldError[]): string {
  return fields.map((f) => (f.field ? `${f.location === 'body' ? '' : `${f.location} `}${f.field}: ${f.message}` : f.message)).join('; ');
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** Apply top-level schema defaults of query parameters and body properties the client left out. */
function applyDefaults(op: Operation, query: Record<string, unknown>, body: unknown): void {
  for (const p of (op.parameters ?? []) as Array<{ in: string; name: string; schema?: { default?: unknown } }>) {
    if (p.in === 'query' && query[p.name] === undefined && p.schema?.default !== undefined) query[p.name] = p.schema.default;
  }
  const schema = (op.requestBody as { content?: Record<string, { schema?: { properties?: Record<string, { default?: unknown }> } }> } | undefined)
    ?.content?.['application/json']?.schema;
  if (schema?.properties && body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [k, s] of Object.entries(schema.properties)) {
      if ((body as Record<string, unknown>)[k] === undefined && s.default !== undefined) (body as Record<string, unknown>)[k] = s.default;
    }
  }
}

function declaredResponses(op: Operation): Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }> {
  return (op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
}

function successMediaTypes(op: Operation): string[] {
  const out = new Set<string>();
  for (const [status, r] of Object.entries(declaredResponses(op))) {
    if (/^2/.test(status)) for (const m of Object.keys(r.content ?? {})) out.add(m);
  }
  return [...out];
}

function isRaw(body: unknown): body is RawBody {
  return !!body && typeof body === 'object' && 'raw' in body && 'contentType' in body;
}

export interface AppHandle {
  app: express.Express;
  services: LoadedService[];
  /** resolves when every afterCall started so far has settled */
  drain(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<AppHandle> {
  const validateResponses = opts.validateResponses ?? config.validateResponses;
  const passport = new Passport();
  const loaded: LoadedService[] = [];
  const pendingAfterCalls = new Set<Promise<void>>();

  for (const def of opts.services) {
    const strategies = def.strategies();
    for (const [scheme, strategy] of Object.entries(strategies)) passport.use(`${def.name}:${scheme}`, strategy);

    const api = new OpenAPIBackend({
      definition: def.specFile ?? specPath(def.name),
      strict: true,
      validate: true,
      quick: false,
      coerceTypes: true,
      ajvOpts: { allErrors: true, strict: false },
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    await api.init();
    // the definition is fixed after init: routing need not rebuild the operation list on every request
    const operations = api.router.getOperations();
    api.router.getOperations = () => operations;

    // completeness: the compiler checks the registry against generated types; this checks it against the spec itself
    const specOps = api.getOperations().map((o) => o.operationId!).sort();
    const registered = Object.keys(def.handlers).sort();
    const missing = specOps.filter((o) => !registered.includes(o));
    const extra = registered.filter((o) => !specOps.includes(o));
    if (missing.length || extra.length) {
      throw new Error(
        `service "${def.name}": handler registry does not match spec/${def.name}.yaml` +
          (missing.length ? `; missing handlers: ${missing.join(', ')}` : '') +
          (extra.length ? `; handlers without an operation: ${extra.join(', ')}` : ''),
      );
    }
    const schemes = Object.keys((api.definition.components?.securitySchemes ?? {}) as object);
    for (const scheme of schemes) {
      if (!strategies[scheme]) throw new Error(`service "${def.name}": no passport strategy for security scheme "${scheme}"`);
      api.registerSecurityHandler(scheme, (_c: Context, ex: Exchange) =>
        new Promise((resolve, reject) => {
          passport.authenticate(`${def.name}:${scheme}`, { session: false }, (err: unknown, user: unknown, info: unknown) => {
            if (err) return reject(err);
            if (!user) return reject(info instanceof ApiError ? info : new ApiError('unauthorized', 'Authentication required'));
            ex.principal = user; // known from here on, so later failures (validation) name the caller
            resolve(user);
          })(ex.req, ex.res, reject);
        }),
      );
    }

    const fail = (err: ApiError): never => {
      throw err;
    };
    api.register({
      notFound: (c: Context) => fail(new ApiError('routeNotFound', `No route ${c.request.method.toUpperCase()} ${c.request.path}`)),
      methodNotAllowed: (c: Context) => {
        const allow = METHODS.filter((m) => {
          try {
            return !!api.router.matchOperation({ method: m, path: c.request.path, headers: {} }, false)
              && api.router.matchOperation({ method: m, path: c.request.path, headers: {} }, false)!.method === m;
          } catch {
            return false;
          }
        }).map((m) => m.toUpperCase());
        if (allow.includes('GET')) allow.splice(allow.indexOf('GET') + 1, 0, 'HEAD'); // HEAD is served as GET
        fail(new ApiError('methodNotAllowed', `Method ${c.request.method.toUpperCase()} is not allowed here`, { headers: { Allow: allow.join(', ') } }));
      },
      unauthorizedHandler: (c: Context) => {
        const results = Object.values(c.security ?? {}).filter((r) => r && typeof r === 'object' && 'error' in r) as Array<{ error: unknown }>;
        const err = results.map((r) => r.error).find((e) => e instanceof ApiError) as ApiError | undefined;
        if (results.some((r) => !(r.error instanceof ApiError))) {
          const unexpected = results.find((r) => !(r.error instanceof ApiError));
          throw unexpected!.error;
        }
        fail(err ?? new ApiError('unauthorized', 'Authentication required'));
      },
      validationFail: (c: Context) => {
        const fields = fieldErrors(c.validation.errors as ErrorObject[]);
        if (!declaredResponses(c.operation)['400'] && fields.length && fields.every((f) => f.location === 'path')) {
          // no such resource can exist under this name, and the operation documents no 400
          const value = Object.values(c.request.params ?? {}).map(String).join('/');
          fail(new ApiError('notFound', `${value} not found`, { resourceId: value, fields }));
        }
        const malformed = fields.some((f) => f.message.startsWith('malformed JSON'));
        fail(new ApiError(malformed ? 'malformed' : 'validation', describe(fields) || 'Invalid request', { fields }));
      },
    });
    for (const [operationId, fn] of Object.entries(def.handlers)) {
      api.register(operationId, async (c: Context, ex: Exchange) => {
        const principal = c.security
          ? Object.entries(c.security).find(([k, v]) => k !== 'authorized' && v && !(typeof v === 'object' && 'error' in v))?.[1]
          : undefined;
        ex.principal = principal;
        const query = { ...(c.request.query as Record<string, unknown>) };
        const body = ex.form ?? c.request.requestBody;
        applyDefaults(c.operation, query, body);
        const ctx: BaseContext<unknown> = {
          principal,
          requestId: ex.requestId,
          operationId,
          log: logger.child({ requestId: ex.requestId, operationId }),
          startedAt: ex.startedAt,
          locals: ex.locals,
        };
        return fn({ path: c.request.params as never, query: query as never, headers: c.request.headers as never, body: body as never }, ctx);
      });
    }
    loaded.push({ def, api, requiredFiles: requiredFilesByOperation(def.specFile ?? specPath(def.name)) });
  }

  const byPrefix = [...loaded].sort((a, b) => b.def.prefix.length - a.def.prefix.length);
  const pick = (p: string) => byPrefix.find((s) => p === s.def.prefix || p.startsWith(s.def.prefix.endsWith('/') ? s.def.prefix : `${s.def.prefix}/`));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(async (req, res) => {
    const requestId = /^[\w.-]{1,128}$/.test(String(req.headers['x-request-id'] ?? '')) ? String(req.headers['x-request-id']) : crypto.randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const svc = pick(req.path);
    const ex: Exchange = { req, res, requestId, startedAt: new Date(), locals: {} };
    let operationId: string | undefined;
    let status = 500;
    const log = logger.child({ requestId });

    if (!svc) {
      status = 404;
      res.status(404).type('application/problem+json').send(JSON.stringify({
        type: 'about:blank', title: 'Not Found', status: 404, detail: `No service serves ${req.path}`,
      }));
      log.info({ method: req.method, path: req.path, status }, 'request');
      return;
    }
    ex.locals = svc.def.makeLocals?.({ method: req.method, path: req.path, headers: req.headers }) ?? {};
    const method = req.method === 'HEAD' ? 'get' : req.method.toLowerCase();

    const renderError = (err: unknown) => {
      const apiErr = err instanceof ApiError ? err : new ApiError('internal', 'Internal server error');
      if (!(err instanceof ApiError)) log.error({ err }, 'unhandled error');
      const info: ErrorInfo = { operationId, principal: ex.principal, requestId, locals: ex.locals, method: req.method, path: req.path };
      const out = svc.def.renderError(apiErr, info);
      status = out.status;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.status(out.status);
      for (const [k, v] of Object.entries({ ...(apiErr.extra.headers ?? {}), ...(out.headers ?? {}) })) res.setHeader(k, v);
      res.setHeader('Content-Type', out.contentType ?? 'application/json; charset=utf-8');
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(out.body));
    };

    try {
      const op = api_match(svc.api, method, req.path);
      operationId = op?.operationId;
      let body: unknown;
      const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      if (op) {
        // 415 and 406 before anything else is read
        const declared = Object.keys((op.requestBody as { content?: object } | undefined)?.content ?? {});
        const ct = mediaType(req.headers['content-type']);
        if (hasBody && declared.length) {
          if (!ct || !declared.some((d) => mediaMatches(d, ct))) {
            throw new ApiError('unsupportedMediaType', `Content-Type ${ct || '(none)'} is not supported; use ${declared.join(' or ')}`);
          }
        }
        const produces = successMediaTypes(op);
        if (req.headers.accept) {
          // media-type parameters such as charset are not part of what an operation produces: negotiate on type and q
          req.headers.accept = req.headers.accept.split(',').map((part) => {
            const [type, ...params] = part.split(';').map((x) => x.trim());
            return [type, ...params.filter((p) => /^q=/i.test(p))].join(';');
          }).join(', ');
        }
        if (req.headers.accept && produces.length && !req.accepts(produces)) {
          throw new ApiError('notAcceptable', `None of the acceptable media types is produced; this operation answers ${produces.join(', ')}`);
        }
        if (hasBody && declared.length) {
          if (ct === 'multipart/form-data') {
            const form = await parseMultipart(req, config.bodyLimitBytes);
            const missing = (svc.requiredFiles.get(op.operationId!) ?? []).filter((f) => !form.files.has(f));
            if (missing.length) {
              throw new ApiError('validation', missing.map((f) => `${f}: file is required`).join('; '), {
                fields: missing.map((f) => ({ location: 'body' as const, field: f, message: 'file is required' })),
              });
            }
            body = form.forValidation;
            ex.form = form.value;
          } else {
            const buf = await readBody(req, config.bodyLimitBytes);
            body = isJsonMedia(ct) ? buf.toString('utf8') : buf;
            if (isJsonMedia(ct) && buf.length === 0) body = undefined;
          }
        } else if (hasBody) {
          await readBody(req, config.bodyLimitBytes); // drain and ignore a body the operation does not take
        }
      }
      const headers = { ...req.headers };
      if (typeof body === 'string' && headers['content-type'] && !mediaType(headers['content-type']).startsWith('application/json')) {
        headers['content-type'] = 'application/json'; // +json variants validate as JSON
      }
      const reply = (await svc.api.handleRequest(
        { method, path: req.path, query: req.query as Record<string, string>, headers: headers as Record<string, string>, body },
        ex,
      )) as { status: number; body: unknown; headers?: Record<string, string> };

      status = reply.status;
      const responseOp = op!;
      const declared = declaredResponses(responseOp)[String(reply.status)];
      const declaredTypes = Object.keys(declared?.content ?? {});
      if (validateResponses) {
        if (!declared) throw new Error(`response drift: ${operationId} answered undocumented status ${reply.status}`);
        if (!isRaw(reply.body) && declaredTypes.length) {
          const v = svc.api.validator.validateResponse(reply.body, responseOp, reply.status);
          if (v.errors) throw new Error(`response drift: ${operationId} ${reply.status}: ${JSON.stringify(v.errors)}`);
        }
        if (isRaw(reply.body) && !declaredTypes.some((d) => mediaMatches(d, mediaType((reply.body as RawBody).contentType)))) {
          throw new Error(`response drift: ${operationId} ${reply.status} answered ${(reply.body as RawBody).contentType}`);
        }
      }
      res.status(reply.status);
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      if (isRaw(reply.body)) {
        res.setHeader('Content-Type', reply.body.contentType);
        if (req.method === 'HEAD') {
          res.end();
        } else if (Buffer.isBuffer(reply.body.raw)) {
          res.end(reply.body.raw);
        } else {
          await pipe(reply.body.raw, res);
        }
      } else if (reply.body === undefined) {
        res.end();
      } else {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(reply.body));
      }
    } catch (err) {
      renderError(err);
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ method: req.method, path: req.path, operationId, status, durationMs: Math.round(durationMs * 10) / 10 }, 'request');
      if (svc.def.afterCall && operationId) {
        const p = svc.def.afterCall({ operationId, principal: ex.principal, status, startedAt: ex.startedAt, durationMs, locals: ex.locals })
          .catch((err) => log.error({ err }, 'afterCall failed'));
        pendingAfterCalls.add(p);
        void p.finally(() => pendingAfterCalls.delete(p));
      }
    }
  });

  return {
    app,
    services: loaded,
    drain: async () => {
      while (pendingAfterCalls.size) await Promise.all([...pendingAfterCalls]);
    },
  };
}

function api_match(api: OpenAPIBackend, method: string, p: string): Operation | undefined {
  try {
    const op = api.router.matchOperation({ method, path: p, headers: {} }, false);
    return op && op.method === method ? op : undefined;
  } catch {
    return undefined;
  }
}

function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new ApiError('payloadTooLarge', `Request body exceeds ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function pipe(src: Readable, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    src.on('error', (e) => {
      res.destroy(e);
      reject(e);
    });
    res.on('close', () => {
      if (!src.destroyed) src.destroy();
      resolve();
    });
    src.pipe(res);
  });
}
