/**
 * Stage 3, body (lib/http/body.ts): the body read under the limit (413 answered, not reset), JSON bounded in depth and
 * values before it is parsed, U+0000 refused anywhere in the request's text, and what is wrong inside a body said only
 * after authentication. The app is built with a 64 KiB body limit, depth 16 and 1000 values.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../../../lib/errors';
import { checkJsonShape, findNul } from '../../../lib/http/body';
import { clientErrorHandler } from '../../../lib/http/client-error';
import { buildApp, listen, rawRequest, type StagesApp } from './_app';

const LIMIT = 64 * 1024;
const DEPTH = 16;
const VALUES = 1000;

function shapeError(text: string, depth = DEPTH, values = VALUES): ApiError | undefined {
  try {
    checkJsonShape(text, depth, values);
    return undefined;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return e;
  }
}

describe('checkJsonShape', () => {
  it('takes text up to the depth and refuses one level more', () => {
    expect(shapeError('['.repeat(DEPTH) + ']'.repeat(DEPTH))).toBeUndefined();
    const e = shapeError('['.repeat(DEPTH + 1) + ']'.repeat(DEPTH + 1));
    expect(e).toEqual(expect.objectContaining({ kind: 'validation', message: `JSON body is nested deeper than ${DEPTH} levels` }));
    expect(e!.extra.fields).toEqual([{ location: 'body', field: '', message: `nested deeper than ${DEPTH} levels` }]);
    expect(shapeError('{"a":{"b":{"c":[]}}}', 3)?.kind).toBe('validation');
    expect(shapeError('{"a":{"b":{"c":1}}}', 3)).toBeUndefined();
  });

  it('does not count brackets, commas or escaped quotes inside strings', () => {
    expect(shapeError('["[[[[,,,,\\"[[[", "{{{{"]', 1, 4)).toBeUndefined(); // [ + 2 strings + 1 comma
    expect(shapeError('["[[[[,,,,\\"[[[", "{{{{"]', 1, 3)?.message).toBe('JSON body holds more than 3 values');
    expect(shapeError('{"a\\\\":"[["}', 1, 3)).toBeUndefined();
  });

  it('refuses more values than the bound', () => {
    const list = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
    expect(shapeError(list(VALUES))).toBeUndefined();
    expect(shapeError(list(VALUES + 1))).toEqual(expect.objectContaining({ kind: 'validation', message: `JSON body holds more than ${VALUES} values` }));
    expect(shapeError(`[${'"s",'.repeat(VALUES)}"s"]`)?.message).toBe(`JSON body holds more than ${VALUES} values`);
  });

  it('stops at the first character over the depth, without reading the rest', () => {
    let read = 0;
    const endless = { length: Number.MAX_SAFE_INTEGER, charCodeAt: () => { read++; return 0x5b; } } as unknown as string;
    expect(() => checkJsonShape(endless, DEPTH, VALUES)).toThrow(ApiError);
    expect(read).toBe(DEPTH + 1);
  });

  it('leaves malformed text for JSON.parse to name', () => {
    expect(shapeError('{"name": ')).toBeUndefined();
    expect(shapeError(']]]]')).toBeUndefined();
  });
});

describe('findNul', () => {
  it('names the first string or key holding U+0000 as a dotted path', () => {
    expect(findNul('a\u0000')).toBe('');
    expect(findNul({ a: 'ok', b: ['x', { c: 'y\u0000' }] })).toBe('b.1.c');
    expect(findNul({ a: { 'k\u0000': 1 } })).toBe('a.k\\u0000'); // a key is named printably
    expect(findNul([0, null, true, 'fine', { x: 1 }])).toBeUndefined();
    expect(findNul({ id: 'plain' })).toBeUndefined();
  });
});

describe('body through the app', () => {
  let t: StagesApp;
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    t = await buildApp({ bodyLimitBytes: LIMIT, jsonMaxDepth: DEPTH, jsonMaxElements: VALUES });
    server = await listen(t.app);
  });
  afterAll(() => server.close());
  beforeEach(() => { t.calls.length = 0; });
  const put = (body: string, token: string | null = 'alice') => {
    let r = t.request().put('/stages/items/1').set('Content-Type', 'application/json');
    if (token) r = r.set('Authorization', `Bearer ${token}`);
    return r.send(body);
  };

  it('answers a Content-Length over the limit with 413 in the service\'s body, while the body is unsent, then closes', async () => {
    const res = await rawRequest(server.port, 'PUT /stages/items/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${50 * 1024 * 1024}\r\n\r\n{"name": "${'a'.repeat(1000)}`);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toEqual(expect.objectContaining({ service: 'stages', kind: 'payloadTooLarge', message: `Request body exceeds ${LIMIT} bytes` }));
    expect(t.calls).toEqual([]);
  });

  it('answers a streamed body that grows over the limit with 413, and keeps serving', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path: '/stages/items/1', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer alice' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      let sent = 0;
      const chunk = Buffer.alloc(8 * 1024, 'a');
      req.write('{"name": "');
      const more = () => {
        if (sent > 4 * LIMIT || req.destroyed) return req.end();
        sent += chunk.length;
        if (req.write(chunk)) setImmediate(more); else req.once('drain', more);
      };
      req.on('response', () => { sent = Infinity; });
      more();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual(expect.objectContaining({ service: 'stages', kind: 'payloadTooLarge' }));
    expect(t.calls).toEqual([]);
    expect((await put('{"name":"after"}')).status).toBe(200);
  });

  it('takes a body just under the limit', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(LIMIT - 20) });
    expect(body.length).toBeLessThan(LIMIT);
    expect((await put(body)).status).toBe(200);
  });

  it('refuses nesting deeper than the bound with 400 before parsing, whatever the size', async () => {
    const res = await put('['.repeat(60 * 1024));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(expect.objectContaining({ kind: 'validation', message: `JSON body is nested deeper than ${DEPTH} levels` }));
    expect(t.calls).toEqual([]);
  });

  it('refuses more values than the bound with 400', async () => {
    const res = await put(JSON.stringify({ name: 'x', tags: Array.from({ length: VALUES }, () => 't') }));
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(`JSON body holds more than ${VALUES} values`);
    expect(t.calls).toEqual([]);
  });

  describe('U+0000', () => {
    it('in a path value: 400 naming it where the operation documents 400', async () => {
      const res = await t.request().get('/stages/items/a%00b');
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ location: 'path', field: 'id', message: 'U+0000 is not allowed in text' }]);
    });

    it('in a path value: 404 where the operation documents no 400', async () => {
      const res = await t.request().delete('/stages/items/a%00b').set('Authorization', 'Bearer alice');
      expect(res.status).toBe(404);
      expect(res.body.kind).toBe('notFound');
    });

    it('in a query value: 400 naming the parameter', async () => {
      const res = await t.request().get('/stages/items/1?q=a%00b');
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ location: 'query', field: 'q', message: 'U+0000 is not allowed in text' }]);
      expect(res.body.message).toBe('query q: U+0000 is not allowed in text');
    });

    it('in a header value: refused by node\'s own parser with a bare 400 before the app runs', async () => {
      const res = await rawRequest(server.port, 'GET /stages/items/1 HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n');
      expect(res.status).toBe(400);
      expect(res.body).toBe('');
    });

    it('in a header value, with the clientError handler lib/server.ts installs: the service\'s own 400, then closed', async () => {
      const srv = http.createServer(t.app);
      srv.on('clientError', clientErrorHandler(t.services));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      try {
        const port = (srv.address() as AddressInfo).port;
        const res = await rawRequest(port, 'GET /stages/items/1 HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n');
        expect(res.status).toBe(400);
        expect(res.headers.connection).toBe('close');
        expect(JSON.parse(res.body).kind).toBe('validation');
        // rendered with the service's own locals, as the pipeline would (account's trace code comes from them)
        expect(JSON.parse(res.body).locals).toEqual({ trace: 'GET /stages/items/1' });
        const outside = await rawRequest(port, 'GET /elsewhere HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n');
        expect(outside.status).toBe(400);
        expect(JSON.parse(outside.body)).toMatchObject({ status: 400, title: 'Bad Request' });
      } finally {
        srv.closeAllConnections();
        await new Promise<void>((r) => srv.close(() => r()));
      }
    });

    it('in a header value that reaches the app (a lenient parser): 400 naming the header', async () => {
      const lenient = await listen(t.app, { insecureHTTPParser: true });
      try {
        const res = await rawRequest(lenient.port, 'GET /stages/items/1 HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\nConnection: close\r\n\r\n');
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body).fields).toEqual([{ location: 'header', field: 'x-note', message: 'U+0000 is not allowed in text' }]);
      } finally {
        await lenient.close();
      }
    });

    it('in a JSON string, at any depth: 400 naming the field', async () => {
      const res = await put(JSON.stringify({ name: 'a\u0000b' }));
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ location: 'body', field: 'name', message: 'U+0000 is not allowed in text' }]);
      const deep = await put(JSON.stringify({ name: 'x', tags: ['ok', 'b\u0000'] }));
      expect(deep.status).toBe(400);
      expect(deep.body.fields[0].field).toBe('tags.1');
    });

    it('in a JSON key: 400 naming the field', async () => {
      const res = await put(JSON.stringify({ name: 'x', nested: { 'k\u0000': 1 } }));
      expect(res.status).toBe(400);
      expect(res.body.fields[0]).toEqual(expect.objectContaining({ location: 'body', message: 'U+0000 is not allowed in text' }));
      expect(res.body.fields[0].field).toMatch(/^nested\.k/);
    });

    afterEach(() => expect(t.calls).toEqual([]));
  });

  describe('what is wrong inside a body is said after authentication', () => {
    it('malformed JSON: 401 without credentials, 400 with them', async () => {
      const anonymous = await put('{"name": ', null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.kind).toBe('unauthorized');
      const res = await put('{"name": ');
      expect(res.status).toBe(400);
      expect(res.body).toEqual(expect.objectContaining({ kind: 'malformed', principal: 'alice' }));
      expect(res.body.message).toMatch(/^malformed JSON: /);
      expect(t.calls).toEqual([]);
    });

    it('U+0000 in the body: 401 without credentials', async () => {
      const res = await put(JSON.stringify({ name: 'a\u0000' }), null);
      expect(res.status).toBe(401);
    });
  });
});

describe('an answer given before the body arrived', () => {
  it('a slow sender gets the deadline\'s 503 once, with Connection: close, and the socket ends (no second answer)', async () => {
    const t = await buildApp({ requestDeadlineMs: 300 });
    const server = http.createServer({ requestTimeout: 1500, connectionsCheckingInterval: 100 }, t.app);
    server.on('clientError', clientErrorHandler(t.services));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const { received, closedAfterMs } = await new Promise<{ received: string; closedAfterMs: number }>((resolve) => {
        const started = Date.now();
        const socket = net.connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', () => undefined);
        socket.write('PUT /stages/items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\nContent-Type: application/json\r\n'
          + 'Content-Length: 1000\r\n\r\n{');
        const drip = setInterval(() => { if (!socket.destroyed) socket.write(' '); }, 100); // 1 byte every 100 ms
        const giveUp = setTimeout(() => socket.destroy(), 15_000);
        socket.on('close', () => {
          clearInterval(drip);
          clearTimeout(giveUp);
          resolve({ received: Buffer.concat(chunks).toString('latin1'), closedAfterMs: Date.now() - started });
        });
      });
      const statusLines = received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
      expect(statusLines).toEqual(['HTTP/1.1 503']); // not also Node's 408 at requestTimeout (1.5 s)
      expect(received).toMatch(/\r\nConnection: close\r\n/i);
      expect(closedAfterMs).toBeLessThan(14_000); // closed by the server (half-close, then the drain's bound), not by the test
      expect(t.calls).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 20_000);
});

describe('a request refused by the HTTP parser while the client is still sending', () => {
  it('gets its 431 every time, not a connection reset (the rest of 1 MiB of headers and a body are read and dropped)', async () => {
    const t = await buildApp();
    const server = http.createServer(t.app);
    server.on('clientError', clientErrorHandler(t.services));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const once = (head: string) => new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(chunks.length ? Buffer.concat(chunks).toString('latin1') : `error ${e.code}`));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.write(`${head}Content-Type: application/json\r\nContent-Length: 16\r\n\r\n{"name":"after"}`);
      setTimeout(() => socket.destroy(), 10_000).unref();
    });
    try {
      const answers: string[] = [];
      const big = 'A'.repeat(1024 * 1024);
      for (let i = 0; i < 10; i++) {
        answers.push((await once(`PUT /stages/items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\nX-Big: ${big}\r\n`)).split('\r\n')[0]);
        answers.push((await once(`PUT /stages/items/1?skip=${big} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\n`)).split('\r\n')[0]);
      }
      expect(answers).toEqual(Array(20).fill('HTTP/1.1 431 Request Header Fields Too Large'));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 60_000);
});
