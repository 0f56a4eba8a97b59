/** Loopback HTTP for the scenarios: requests that never throw (a failure is an answer with status 0), raw sockets. */
import http from 'node:http';
import net from 'node:net';

export interface Answer {
  /** 0: no answer (the error says why) */
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** from sending to the end of the answer */
  ms: number;
  /** when the answer's headers arrived (Date.now()) */
  at: number;
  error?: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  /** a keep-alive agent to reuse connections; default: a new connection closed after the answer */
  agent?: http.Agent;
  timeoutMs?: number;
  /** send the body in this many pieces spread over `trickleMs` */
  trickle?: { pieces: number; overMs: number };
  signal?: AbortSignal;
}

export function request(base: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
  const started = Date.now();
  const body = opts.body === undefined ? undefined
    : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? Buffer.from(opts.body) : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = { ...opts.headers };
  if (body) {
    headers['Content-Length'] = String(body.length);
    headers['Content-Type'] ??= 'application/json';
  }
  return new Promise((resolve) => {
    let done = false;
    let at = 0;
    const finish = (a: Omit<Answer, 'ms' | 'at'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...a, ms: Date.now() - started, at: at || Date.now() });
    };
    const req = http.request(`${base}${path}`, {
      method: opts.method ?? 'GET', headers, agent: opts.agent ?? false, signal: opts.signal,
    }, (res) => {
      at = Date.now();
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch { /* not JSON */ }
        finish({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', (e) => finish({ status: 0, headers: {}, text: '', error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: 0, headers: {}, text: '', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (e) => finish({ status: 0, headers: {}, text: '', error: (e as NodeJS.ErrnoException).code ?? e.message }));
    if (!body) {
      req.end();
    } else if (!opts.trickle) {
      req.end(body);
    } else {
      const { pieces, overMs } = opts.trickle;
      const size = Math.ceil(body.length / pieces);
      let i = 0;
      const next = () => {
        if (done) return;
        const piece = body.subarray(i * size, (i + 1) * size);
        i++;
        if (i >= pieces) req.end(piece);
        else {
          req.write(piece);
          setTimeout(next, overMs / (pieces - 1));
        }
      };
      next();
    }
  });
}

export interface RawExchange {
  /** everything the server sent */
  received: Buffer;
  /** how the connection ended: 'end' (the server closed cleanly), 'reset', 'timeout', or another error code */
  ended: string;
  /** ms from connecting to the first byte received, and to the end */
  firstByteMs?: number;
  endMs: number;
}

/**
 * A raw TCP exchange: write `head`, then `chunks` (each after its delay), and collect what comes back until the
 * server closes, resets, or `timeoutMs` passes. Writing stops as soon as anything is received.
 */
export function rawExchange(base: string, head: string | Buffer, opts: {
  chunks?: { data: string | Buffer; afterMs: number }[];
  timeoutMs: number;
}): Promise<RawExchange> {
  const { hostname, port } = new URL(base);
  const started = Date.now();
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let firstByteMs: number | undefined;
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const socket = net.connect(Number(port), hostname);
    const finish = (ended: string) => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      socket.destroy();
      resolve({ received: Buffer.concat(received), ended, firstByteMs, endMs: Date.now() - started });
    };
    socket.on('connect', () => {
      socket.write(head);
      let t = 0;
      for (const c of opts.chunks ?? []) {
        t += c.afterMs;
        timers.push(setTimeout(() => {
          if (firstByteMs === undefined && !done && socket.writable) socket.write(c.data);
        }, t));
      }
    });
    socket.on('data', (d) => {
      firstByteMs ??= Date.now() - started;
      received.push(d);
    });
    socket.on('end', () => finish('end'));
    socket.on('close', () => finish('close'));
    socket.on('error', (e) => finish((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? 'reset' : (e as NodeJS.ErrnoException).code ?? e.message));
    timers.push(setTimeout(() => finish('timeout'), opts.timeoutMs));
  });
}

/** Status, headers and body of a raw HTTP/1.1 answer (Content-Length bodies). */
export function parseRaw(buf: Buffer): { status: number; headers: Record<string, string>; body: string; complete: boolean } | undefined {
  const text = buf.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = Buffer.from(text.slice(split + 4), 'utf8');
  const length = Number(headers['content-length']);
  return { status, headers, body: body.toString('utf8'), complete: Number.isFinite(length) ? body.length >= length : true };
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
