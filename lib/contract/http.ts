/** A plain HTTP client with full control over methods, headers and bytes (fetch forbids some of what the runner sends). */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/** Bytes Node refuses in a header value (ERR_INVALID_CHAR): a client written in C sends them all the same. */
const UNSENDABLE = /[\x00-\x08\x0a-\x1f\x7f]/g;
const MARK = /\xff\xfe([0-9a-f]{2})\xfe\xff/g;

/** Header values with their unsendable bytes replaced by markers, and whether there were any. */
function markHeaders(headers: Record<string, string>): { headers: Record<string, string>; marked: boolean } {
  let marked = false;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = v.replace(UNSENDABLE, (c) => {
      marked = true;
      return `\xff\xfe${c.charCodeAt(0).toString(16).padStart(2, '0')}\xfe\xff`;
    });
  }
  return { headers: out, marked };
}

/** A connection (no agent: Node uses it only then) that turns the markers back into their bytes as the head is written. */
function unmarkingConnection(url: URL): (opts: object) => net.Socket {
  return (opts) => {
    const socket = url.protocol === 'https:' ? tls.connect(opts as tls.ConnectionOptions) : net.connect(opts as net.NetConnectOpts);
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      const unmark = (t: string) => t.replace(MARK, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (typeof chunk === 'string') return write(unmark(chunk), ...rest);
      if (Buffer.isBuffer(chunk) && chunk.includes(Buffer.from([0xff, 0xfe]))) return write(Buffer.from(unmark(chunk.toString('latin1')), 'latin1'), ...rest);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    return socket;
  };
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpResponse {
  status: number;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
  ms: number;
  /** transport failure (no answer); status is 0 then */
  error?: string;
}

export function send(req: HttpRequest, timeoutMs = 30_000): Promise<HttpResponse> {
  const started = process.hrtime.bigint();
  const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch (e) {
      resolve({ status: 0, headers: {}, body: Buffer.alloc(0), ms: 0, error: `bad URL ${req.url}: ${(e as Error).message}` });
      return;
    }
    const mod = url.protocol === 'https:' ? https : http;
    const { headers, marked } = markHeaders(req.headers);
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    let done = false;
    const finish = (r: HttpResponse) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    let r: http.ClientRequest;
    try {
      r = mod.request(url, { method: req.method, headers, ...(marked ? { createConnection: unmarkingConnection(url) } : { agent: false }) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
          finish({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks), ms: ms() });
        });
        res.on('error', (e) => finish({ status: 0, headers: {}, body: Buffer.alloc(0), ms: ms(), error: e.message }));
      });
    } catch (e) {
      finish({ status: 0, headers: {}, body: Buffer.alloc(0), ms: ms(), error: (e as Error).message });
      return;
    }
    r.setTimeout(timeoutMs, () => {
      r.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    r.on('error', (e) => finish({ status: 0, headers: {}, body: Buffer.alloc(0), ms: ms(), error: e.message }));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** Parse a JSON body; undefined when there is none or it is not JSON. */
export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  if (!body.length) return { ok: false, error: 'empty body' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The request as a curl command, to reproduce a failure by hand (control bytes as bash $'\\xHH' quoting). */
export function curl(req: HttpRequest): string {
  const q = (s: string) => (/[\x00-\x1f\x7f]/.test(s)
    ? `$'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`
    : `'${s.replace(/'/g, `'\\''`)}'`);
  const parts = ['curl', '-i', '-X', req.method.toUpperCase(), q(req.url)];
  for (const [k, v] of Object.entries(req.headers)) parts.push('-H', q(`${k}: ${v}`));
  if (req.body !== undefined) {
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : req.body;
    parts.push('--data-binary', q(text.length > 2000 ? `${text.slice(0, 2000)}…(${text.length} chars)` : text));
  }
  return parts.join(' ');
}
