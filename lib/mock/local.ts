/**
 * The router's own answers for operations Prism cannot mock (binary or text bodies, multipart or binary uploads).
 * First, as on the server, the request's Content-Type (415) and Accept (406, by the server's rule: ./negotiation.ts);
 * then as Prism does: credentials checked for presence (401 with the documented example), path, query and header
 * parameters validated (the documented 400/422), `Prefer: code=` and `example=` honoured, and the success body taken
 * from the operation's fixtures in the best acceptable media type.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { explain } from '../spec-schemas';
import { fit, operationFixtures, type Fixture, type OperationFixtures } from './fixtures';
import { acceptable, parsePrefer, ranked } from './negotiation';
import { sample } from './sample';
import { isJsonMedia, ServiceSpec, type Json, type MediaInfo, type OperationInfo, type ResponseInfo } from '../spec';

const BODY_LIMIT = 10 * 1024 * 1024;

export interface LocalOperation {
  spec: ServiceSpec;
  op: OperationInfo;
  fixtures: OperationFixtures;
}

export function localOperation(spec: ServiceSpec, op: OperationInfo, fixturesRoot?: string): LocalOperation {
  return { spec, op, fixtures: operationFixtures(spec.name, op.operationId, fixturesRoot) };
}

/** Success media types of a local operation that no fixture or example can answer (reported at start-up). */
export function missingFixtures(l: LocalOperation): string[] {
  const success = l.op.responses.filter((r) => /^2/.test(r.status));
  const missing: string[] = [];
  for (const r of success) {
    for (const m of r.content) {
      if (isJsonMedia(m.mediaType)) continue;
      const pool = [...l.fixtures.any, ...(l.fixtures.byName?.values() ?? [])];
      if (!pool.some((f) => fit(f, m.mediaType) > 0)) missing.push(`${r.status} ${m.mediaType}`);
    }
  }
  return missing;
}

/* ---------- request reading ---------- */

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function schemeSatisfied(scheme: Json, req: IncomingMessage, query: URLSearchParams): boolean {
  const auth = String(req.headers.authorization ?? '');
  switch (scheme.type) {
    case 'http': {
      const name = String(scheme.scheme ?? '').toLowerCase();
      return new RegExp(`^${name}\\s+\\S`, 'i').test(auth);
    }
    case 'apiKey':
      if (scheme.in === 'header') return String(req.headers[String(scheme.name).toLowerCase()] ?? '').trim() !== '';
      if (scheme.in === 'query') return query.has(scheme.name);
      return String(req.headers.cookie ?? '').split(';').some((c) => c.trim().startsWith(`${scheme.name}=`));
    default: // oauth2, openIdConnect
      return /^bearer\s+\S/i.test(auth);
  }
}

export function credentialsPresent(spec: ServiceSpec, op: OperationInfo, req: IncomingMessage, query: URLSearchParams): boolean {
  if (!ServiceSpec.secured(op)) return true;
  return op.security.some((requirement) => Object.keys(requirement).every((name) => schemeSatisfied(spec.securityScheme(name), req, query)));
}

/* ---------- answering ---------- */

interface Candidate { media: MediaInfo; body: () => Promise<Buffer>; fixture?: Fixture }

function problem(res: ServerResponse, status: number, title: string, detail: string) {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function contentType(mediaType: string): string {
  return mediaType.startsWith('text/') && !mediaType.includes('charset') ? `${mediaType}; charset=utf-8` : mediaType;
}

/** The documented response of a status: the exact code, then its range (`4XX`); `default` is not a status of its own. */
function documentedResponse(op: OperationInfo, status: number | string): ResponseInfo | undefined {
  const r = ServiceSpec.responseFor(op, status);
  return r?.status === 'default' ? undefined : r;
}

interface Exchange {
  spec: ServiceSpec;
  op: OperationInfo;
  req: IncomingMessage;
  res: ServerResponse;
  prefer: Record<string, string>;
}

/**
 * Answer a documented status: its body from the fixtures given (success) or the documented example (JSON, or any
 * example of an error response), in the best media type Accept takes among those that have a body, else the first
 * that has one; the documented headers' examples, and Content-Disposition naming the fixture where declared.
 */
async function sendDocumented({ spec, op, req, res, prefer }: Exchange, status: number, response: ResponseInfo | undefined, fixtures?: Fixture[]): Promise<void> {
  if (!response) return problem(res, status, `${status}`, `${op.operationId}: status ${status} (not documented)`);
  const candidates: Candidate[] = [];
  for (const media of response.content) {
    const fits = (fixtures ?? []).map((f) => ({ f, score: fit(f, media.mediaType) })).filter((x) => x.score > 0).sort((a, b) => b.score - a.score);
    if (fits.length) {
      const f = fits[0].f;
      candidates.push({ media, fixture: f, body: () => fs.promises.readFile(f.file) });
    } else if (isJsonMedia(media.mediaType)) {
      const named = prefer.example ? media.examples.find((e) => e.name === prefer.example) : undefined;
      const value = (named ?? media.examples[0])?.value ?? (media.schema ? sample(spec, media.schema) : null);
      candidates.push({ media, body: async () => Buffer.from(JSON.stringify(value)) });
    } else if (!/^2/.test(String(status)) && media.examples.length) {
      const value = media.examples[0].value;
      candidates.push({ media, body: async () => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)) });
    }
  }
  const headers: Record<string, string | number> = {};
  for (const h of response.headers) {
    const name = h.name.toLowerCase();
    if (name === 'content-type' || name === 'content-length' || name === 'content-disposition') continue;
    if (h.example !== undefined) headers[h.name] = String(h.example);
  }
  if (!response.content.length) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  // the operation-wide 406 check has passed: the best acceptable type that has a body; when Accept takes none of
  // this response's types (it named another status's), the first declared type that has one
  const preferred = ranked(response, req.headers.accept);
  const chosen = preferred.length
    ? preferred.map((t) => candidates.find((c) => c.media.mediaType === t)).find((c) => c !== undefined)
    : candidates[0];
  if (!chosen) {
    const wanted = preferred.length ? preferred : response.content.map((m) => m.mediaType);
    return problem(res, 501, 'Not Implemented', `mock: no fixture for ${spec.name}.${op.operationId} ${status} `
      + `(${wanted.join(', ')}); add fixtures/mock/${spec.name}/${op.operationId}.<ext>`);
  }
  const bytes = await chosen.body();
  const disposition = response.headers.find((h) => h.name.toLowerCase() === 'content-disposition');
  if (disposition) headers[disposition.name] = `attachment; filename="${chosen.fixture?.name ?? `${op.operationId}`}"`;
  headers['Content-Type'] = contentType(chosen.media.mediaType);
  headers['Content-Length'] = bytes.length;
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** 406 for a request whose Accept names nothing the operation produces: the documented 406, or a problem. */
export function answerNotAcceptable(spec: ServiceSpec, op: OperationInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const response = documentedResponse(op, 406);
  if (response) return sendDocumented({ spec, op, req, res, prefer: parsePrefer(req.headers.prefer) }, 406, response);
  const produced = ServiceSpec.produces(op).any;
  problem(res, 406, 'Not Acceptable', `${op.operationId} answers ${produced.join(', ')}`);
  return Promise.resolve();
}

export interface LocalRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export async function answerLocally(l: LocalOperation, { req, res, params, query }: LocalRequest): Promise<void> {
  const { spec, op } = l;
  const exchange: Exchange = { spec, op, req, res, prefer: parsePrefer(req.headers.prefer) };
  const { prefer } = exchange;
  const body = await readBody(req);
  const responseFor = (status: number | string) => documentedResponse(op, status);
  const send = (status: number, response: ResponseInfo | undefined, fixtures?: Fixture[]) => sendDocumented(exchange, status, response, fixtures);

  const badRequest = (detail: string) => {
    const status = [400, 422].find((s) => responseFor(s)) ?? 400;
    const r = responseFor(status);
    return r ? send(status, r) : problem(res, 400, 'Bad Request', detail);
  };

  // 1. as on the server, before anything else: the body's media type (415), then Accept (406)
  let bodyMedia: MediaInfo | undefined;
  if (op.requestBody && body.length) {
    const ct = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    bodyMedia = op.requestBody.content.find((m) => m.mediaType.toLowerCase() === ct)
      ?? op.requestBody.content.find((m) => fit({ file: '', name: '', naturalType: ct }, m.mediaType) > 0);
    if (!bodyMedia) {
      return responseFor(415) ? send(415, responseFor(415)) : problem(res, 415, 'Unsupported Media Type', `use ${op.requestBody.content.map((m) => m.mediaType).join(', ')}`);
    }
  }
  if (!acceptable(op, req.headers.accept)) return answerNotAcceptable(spec, op, req, res);
  // 2. credentials present (their value is not checked, as Prism does not)
  if (!credentialsPresent(spec, op, req, query)) {
    return responseFor(401) ? send(401, responseFor(401)) : problem(res, 401, 'Unauthorized', 'credentials required');
  }
  // 3. parameters
  for (const p of op.parameters) {
    const raw = p.in === 'path' ? params[p.name] : p.in === 'query' ? (query.getAll(p.name).length > 1 ? query.getAll(p.name) : query.get(p.name) ?? undefined)
      : p.in === 'header' ? (req.headers[p.name.toLowerCase()] as string | undefined) : undefined;
    if (raw === undefined) {
      if (p.required) return badRequest(`${p.in} parameter ${p.name} is required`);
      continue;
    }
    if (p.schemaPointer) {
      const holder = { v: raw };
      const validate = spec.compileParameter(p.schemaPointer);
      if (!validate(holder)) return badRequest(`${p.in} parameter ${p.name}: ${explain(validate.errors)}`);
    }
  }
  // 4. request body: required, and JSON bodies against their schema
  if (op.requestBody) {
    if (!body.length) {
      if (op.requestBody.required) return badRequest('request body is required');
    } else if (bodyMedia && isJsonMedia(bodyMedia.mediaType) && bodyMedia.schemaPointer) {
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        return badRequest('malformed JSON');
      }
      const validate = spec.validator(bodyMedia.schemaPointer);
      if (!validate(value)) return badRequest(explain(validate.errors));
    }
  }
  // the fixtures for these parameters: all of them, or the one named by the last path parameter (undefined: none)
  const named = (): Fixture[] | undefined => {
    if (!l.fixtures.byName) return l.fixtures.any;
    const last = op.parameters.filter((p) => p.in === 'path').pop();
    const f = last ? l.fixtures.byName.get(params[last.name]) : undefined;
    return f ? [f] : undefined;
  };
  // 5. Prefer: code= picks any documented status
  if (prefer.code && responseFor(prefer.code)) {
    const fixtures = /^2/.test(prefer.code) ? named() ?? [...(l.fixtures.byName?.values() ?? [])].slice(0, 1) : undefined;
    return send(Number(prefer.code), responseFor(prefer.code), fixtures);
  }
  // 6. the documented success, from fixtures
  const success = op.responses.filter((r) => /^2\d\d$/.test(r.status)).sort((a, b) => Number(a.status) - Number(b.status))[0];
  if (!success) return problem(res, 501, 'Not Implemented', `${op.operationId} documents no success status`);
  const fixtures = named();
  if (!fixtures) return responseFor(404) ? send(404, responseFor(404)) : problem(res, 404, 'Not Found', 'no fixture of that name');
  return send(Number(success.status), success, fixtures);
}
