/**
 * Stage 7, respond: the reply written as the spec documents it. With response validation on (always in tests) a
 * status, media type, body or header the spec does not document is a drift: a 500, never a silent answer.
 */
import type { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { mediaMatches, ServiceSpec } from '../spec';
import type { RawBody } from '../service';
import type { Exchange, HandlerReply } from './exchange';

export function isRaw(body: unknown): body is RawBody {
  return !!body && typeof body === 'object' && 'raw' in body && 'contentType' in body;
}

export function isStreamed(reply: HandlerReply): boolean {
  return isRaw(reply.body) && !Buffer.isBuffer(reply.body.raw);
}

const mediaTypeOf = (ct: string) => ct.split(';')[0].trim().toLowerCase();

/** Throws when the reply is not what the spec documents for the operation (only with validateResponses). */
export function checkReply(ex: Exchange): void {
  if (!ex.app.validateResponses) return;
  const reply = ex.reply!;
  const info = ex.info!;
  const id = info.operationId;
  const declared = ServiceSpec.responseFor(info, reply.status);
  if (!declared) throw new Error(`response drift: ${id} answered undocumented status ${reply.status}`);
  const types = declared.content.map((m) => m.mediaType);
  if (isRaw(reply.body)) {
    const ct = mediaTypeOf(reply.body.contentType);
    if (!types.some((d) => mediaMatches(d, ct))) throw new Error(`response drift: ${id} ${reply.status} answered ${reply.body.contentType}`);
  } else if (types.length) {
    const v = ex.service!.api.validator.validateResponse(reply.body, ex.operation!, reply.status);
    if (v.errors) throw new Error(`response drift: ${id} ${reply.status}: ${JSON.stringify(v.errors)}`);
  }
  const documented = new Map(declared.headers.map((h) => [h.name.toLowerCase(), h]));
  for (const name of Object.keys(reply.headers ?? {})) {
    if (!documented.has(name.toLowerCase())) throw new Error(`response drift: ${id} ${reply.status} sent undocumented header ${name}`);
  }
  for (const h of declared.headers) {
    const value = Object.entries(reply.headers ?? {}).find(([k]) => k.toLowerCase() === h.name.toLowerCase())?.[1];
    const schema = ex.service!.spec.derefSchema(h.schema) as { type?: string } | undefined;
    if (value !== undefined && schema && ['integer', 'number'].includes(schema.type ?? '') && !/^-?\d+(\.\d+)?$/.test(String(value))) {
      throw new Error(`response drift: ${id} ${reply.status} header ${h.name} is not a ${schema.type}: ${value}`);
    }
  }
}

function pipe(src: Readable, res: ServerResponse): Promise<void> {
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

export async function respond(ex: Exchange): Promise<void> {
  const { res, req } = ex;
  const reply = ex.reply;
  if (!reply || res.headersSent) return;
  res.statusCode = reply.status;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  const head = req.method === 'HEAD';
  if (isRaw(reply.body)) {
    res.setHeader('Content-Type', reply.body.contentType);
    const raw = reply.body.raw;
    if (Buffer.isBuffer(raw)) {
      if (head) res.setHeader('Content-Length', raw.length);
      res.end(head ? undefined : raw);
    } else if (head) {
      // a streamed answer's length is not known before it is read: HEAD gets its headers, and the stream is closed
      // unread at once (its cursor and whatever slot it holds freed now, not when an idle limit cuts it)
      raw.destroy();
      res.end();
    } else {
      await pipe(raw, res);
    }
  } else if (reply.body === undefined) {
    res.end();
  } else {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    endJson(req.method, res, reply.body);
  }
}

/** A JSON answer; to HEAD, the headers GET would get, Content-Length included, and no body. */
export function endJson(method: string | undefined, res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  if (method === 'HEAD') {
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end();
  } else {
    res.end(text);
  }
}
