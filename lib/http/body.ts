/**
 * Stage 3, body: the request's bytes read under the body limit (a Content-Length over it is refused before reading),
 * JSON parsed under a nesting-depth and element-count bound checked in one pass before JSON.parse runs (so no single
 * body can hold the event loop or the heap), multipart streamed to disk (lib/multipart.ts), and U+0000 refused
 * anywhere in the request's text (path, query, headers here, before any credential is looked up; the body's after
 * authentication, with malformed JSON): PostgreSQL cannot store it, and no product means it. A JSON string holding an
 * unpaired surrogate (a lone "\ud800" escape: no Unicode character, which PostgreSQL's json refuses and its text
 * would turn into U+FFFD) is refused the same way; only a JSON escape can write one (UTF-8 cannot, and a query's
 * percent-decoding refuses it).
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, type FieldError } from '../errors';
import { isJsonMedia, ServiceSpec } from '../spec';
import { parseMultipart } from '../multipart';
import { hasBody, mediaTypeOf } from './negotiate';
import type { Exchange } from './exchange';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        req.pause();
        reject(new ApiError('payloadTooLarge', `Request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => !done && resolve(Buffer.concat(chunks)));
    req.on('error', (e) => !done && reject(e));
  });
}

/**
 * Refuse JSON text nested deeper than maxDepth or holding more than maxElements values, in one pass over the bytes
 * (strings skipped with their escapes). Malformed text is left for JSON.parse to name.
 */
export function checkJsonShape(text: string, maxDepth: number, maxElements: number): void {
  let depth = 0;
  let elements = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: skip to its closing quote
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      elements++;
    } else if (c === 0x5b || c === 0x7b) { // [ {
      if (++depth > maxDepth) throw new ApiError('validation', `JSON body is nested deeper than ${maxDepth} levels`, { fields: [{ location: 'body', field: '', message: `nested deeper than ${maxDepth} levels` }] });
      elements++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2c) {
      elements++;
    }
    if (elements > maxElements) throw new ApiError('validation', `JSON body holds more than ${maxElements} values`, { fields: [{ location: 'body', field: '', message: `more than ${maxElements} values` }] });
  }
}

/** The first place in a value that holds U+0000 (a key or a string), as a dotted field name, or undefined. */
export function findNul(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (!value || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], at ? `${at}.${i}` : String(i));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const name = at ? `${at}.${k}` : k;
    if (k.includes('\u0000')) return name.replace(/\u0000/g, '\\u0000'); // the name, printable
    const hit = findNul(v, name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** A string that is not well-formed UTF-16 (an unpaired surrogate). */
// (Node 20 has both; the ES2022 library this project compiles against does not declare them)
const illFormed = (s: string) => !(s as unknown as { isWellFormed(): boolean }).isWellFormed();
const wellFormed = (s: string) => (s as unknown as { toWellFormed(): string }).toWellFormed();

/** The first place in a parsed JSON value whose key or string holds an unpaired surrogate, or undefined. */
export function findLoneSurrogate(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') return illFormed(value) ? at : undefined;
  if (!value || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findLoneSurrogate(value[i], at ? `${at}.${i}` : String(i));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const name = at ? `${at}.${k}` : k;
    if (illFormed(k)) return wellFormed(name); // the name, printable (U+FFFD for the lone half)
    const hit = findLoneSurrogate(v, name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function nulError(location: FieldError['location'], field: string): ApiError {
  return new ApiError('validation', `${location === 'body' ? '' : `${location} `}${field || '(body)'}: U+0000 is not allowed in text`, {
    fields: [{ location, field, message: 'U+0000 is not allowed in text' }],
  });
}

function refuseNul(ex: Exchange, location: FieldError['location'], field: string | undefined): void {
  if (field === undefined) return;
  if (location === 'path' && !ServiceSpec.responseFor(ex.info!, 400)) {
    // as for any path value off its schema where no 400 is documented: no such resource
    const value = Object.values(ex.pathParams).join('/');
    throw new ApiError('notFound', `${value} not found`, { resourceId: value });
  }
  throw nulError(location, field);
}

export async function body(ex: Exchange): Promise<void> {
  const { req } = ex;
  refuseNul(ex, 'path', findNul(ex.pathParams));
  refuseNul(ex, 'query', findNul(ex.query));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  refuseNul(ex, 'header', findNul(headers));

  if (!hasBody(ex)) return;
  const limit = ex.app.bodyLimitBytes;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new ApiError('payloadTooLarge', `Request body exceeds ${limit} bytes`);
  if (!ex.info!.requestBody) {
    await readBody(req, limit); // a body the operation does not take is read and ignored
    return;
  }
  const ct = mediaTypeOf(req.headers['content-type']);
  if (ct === 'multipart/form-data') {
    const form = await parseMultipart(req, limit);
    if (ex.expired) {
      await form.cleanup(); // answered 503 already, and the pipeline's own cleanup has run
      return;
    }
    ex.form = form;
    const nul = findNul(ex.form.forValidation);
    if (nul !== undefined) ex.bodyError = nulError('body', nul);
    return;
  }
  const buf = await readBody(req, limit);
  if (!isJsonMedia(ct)) {
    ex.body = buf;
    return;
  }
  if (buf.length === 0) return;
  const text = buf.toString('utf8');
  checkJsonShape(text, ex.app.json.maxDepth, ex.app.json.maxElements);
  // what is wrong inside a body is said after authentication (validate), so a caller without credentials learns nothing
  try {
    ex.body = JSON.parse(text);
  } catch (e) {
    ex.bodyError = new ApiError('malformed', `malformed JSON: ${(e as Error).message}`, {
      fields: [{ location: 'body', field: '', message: `malformed JSON: ${(e as Error).message}` }],
    });
    return;
  }
  const nul = findNul(ex.body);
  if (nul !== undefined) {
    ex.bodyError = nulError('body', nul);
    return;
  }
  // a lone surrogate can only come from a \uD800-\uDFFF escape: the text is looked at first, the value only then
  if (/\\u[dD][89a-fA-F]/.test(text)) {
    const lone = findLoneSurrogate(ex.body);
    if (lone !== undefined) {
      const message = 'an unpaired surrogate (\\uD800-\\uDFFF escape without its pair) is not allowed in text';
      ex.bodyError = new ApiError('validation', `${lone || '(body)'}: ${message}`, { fields: [{ location: 'body', field: lone, message }] });
    }
  }
}
