/**
 * multipart/form-data: the parser driven directly by a real HTTP request (node:http), then through the kernel.
 * Files are spooled to a per-request temporary folder under one cap for the whole body; nothing is left behind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import supertest from 'supertest';
import { createApp } from '../../lib/app';
import { ApiError } from '../../lib/errors';
import type { ServiceDefinition } from '../../lib/service';
import { parseMultipart, type MultipartOptions, type ParsedForm, type UploadedFile } from '../../lib/multipart';

const KiB = 1024;
const MiB = 1024 * KiB;
const sha1 = (b: Buffer) => crypto.createHash('sha1').update(b).digest('hex');

// the parser's temporary folders land in a root of this file's own (option tmpDir), so "nothing left behind" is an
// exact check; one test proves the default, os.tmpdir()
let tmpRoot: string;
beforeAll(() => {
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'multipart-test-'));
});
afterAll(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});
const leftovers = () => fs.readdirSync(tmpRoot);
/** every regular file under the temporary root, with its size */
function spooled(): Array<{ file: string; size: number }> {
  const out: Array<{ file: string; size: number }> = [];
  for (const dir of fs.readdirSync(tmpRoot)) {
    const full = path.join(tmpRoot, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const f of fs.readdirSync(full)) out.push({ file: path.join(full, f), size: fs.statSync(path.join(full, f)).size });
  }
  return out;
}
const waitFor = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

// --- a real HTTP server whose only job is parseMultipart -------------------------------------------------------

type Outcome = { form: ParsedForm; error?: undefined } | { form?: undefined; error: unknown };
let server: http.Server;
let port: number;
let settings: { limit: number; options?: MultipartOptions } = { limit: MiB };
const withRoot = (options?: MultipartOptions): MultipartOptions => ({ tmpDir: tmpRoot, ...options });
let outcomes: Array<(o: Outcome) => void> = [];
/** the parser's outcome for the next request the server receives */
const nextOutcome = () => new Promise<Outcome>((resolve) => outcomes.push(resolve));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const report = outcomes.shift() ?? (() => undefined);
    parseMultipart(req, settings.limit, withRoot(settings.options)).then(
      (form) => { report({ form }); res.end('ok'); },
      (error: unknown) => {
        report({ error });
        res.statusCode = error instanceof ApiError ? error.status : 500;
        res.end(String((error as Error).message));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => {
  server.close(() => r());
  server.closeAllConnections();
}));
afterEach(() => { settings = { limit: MiB }; outcomes = []; });

type Part =
  | { name: string; value: string }
  | { name: string; filename?: string; type?: string; data: Buffer }
  /** a file of `size` bytes written in chunks as the socket drains; `sha1` holds the digest once sent */
  | { name: string; filename: string; size: number; digest?: { sha1?: string } }
  /** the client waits for this before writing the next part */
  | { pause: () => Promise<void> };

const BOUNDARY = 'conformant-test-boundary-7MA4YWxk';
const POOL = crypto.randomBytes(MiB);
const head = (p: { name: string; filename?: string; type?: string }) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"` +
  (p.filename !== undefined ? `; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}` : '') + '\r\n\r\n';

/**
 * POST the parts to the server. `chunked` (default true) sends no Content-Length, so only the parser's own count
 * can stop an oversized body; `truncate` stops before the closing boundary; `abortAfter` drops the connection
 * after that many bytes.
 */
async function post(parts: Part[], opts: { chunked?: boolean; truncate?: boolean; contentType?: string; abortAfter?: number } = {}) {
  const headers: Record<string, string | number> = { 'content-type': opts.contentType ?? `multipart/form-data; boundary=${BOUNDARY}` };
  if (opts.chunked === false) {
    let total = 0;
    for (const p of parts) {
      if ('pause' in p) continue;
      total += Buffer.byteLength(head(p)) + ('value' in p ? Buffer.byteLength(p.value) : 'data' in p ? p.data.length : p.size) + 2;
    }
    headers['content-length'] = total + (opts.truncate ? 0 : Buffer.byteLength(`--${BOUNDARY}--\r\n`));
  }
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    let sent = 0;
    let finished = false;
    req.on('error', (e) => (finished || opts.abortAfter !== undefined ? resolve({ status: 0, body: '' }) : reject(e)));
    req.on('response', () => { finished = true; });
    const write = (b: Buffer | string) => new Promise<void>((r) => {
      if (finished || req.destroyed) return r();
      sent += Buffer.byteLength(b);
      if (req.write(b)) r(); else req.once('drain', r);
      if (opts.abortAfter !== undefined && sent >= opts.abortAfter) { req.destroy(); r(); }
    });
    (async () => {
      for (const p of parts) {
        if ('pause' in p) { await p.pause(); continue; }
        await write(head(p));
        if ('value' in p) await write(p.value);
        else if ('data' in p) await write(p.data);
        else {
          // slices of one random pool at shifting offsets: no garbage on the client's side of the measurements
          const hash = crypto.createHash('sha1');
          const block = 64 * KiB;
          for (let left = p.size, i = 0; left > 0; left -= block, i++) {
            const offset = (i * 7919) % (POOL.length - block);
            const chunk = POOL.subarray(offset, offset + Math.min(block, left));
            hash.update(chunk);
            await write(chunk);
          }
          if (p.digest) p.digest.sha1 = hash.digest('hex');
        }
        await write('\r\n');
      }
      if (!opts.truncate) await write(`--${BOUNDARY}--\r\n`);
      if (!req.destroyed) req.end();
    })().catch((e: unknown) => {
      req.destroy();
      reject(e);
    });
  });
}

async function parse(parts: Part[], opts?: Parameters<typeof post>[1]) {
  const outcome = nextOutcome();
  const res = await post(parts, opts);
  return { res, ...(await outcome) };
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const asFile = (v: unknown) => v as UploadedFile;

function expectApiError(error: unknown, kind: string, status: number) {
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).kind).toBe(kind);
  expect((error as ApiError).status).toBe(status);
}

describe('parseMultipart', () => {
  it('gives fields as strings and a small file in memory, with one shape for every file', async () => {
    const bytes = crypto.randomBytes(5000);
    const { res, form } = await parse([
      { name: 'name', value: 'robot' },
      { name: 'file', filename: 'main.robot', type: 'text/x-robot', data: bytes },
      { name: 'tag', value: 'a' },
      { name: 'tag', value: 'b' },
      { name: 'empty', filename: 'empty.txt', type: 'text/plain', data: Buffer.alloc(0) },
    ]);
    expect(res.status).toBe(200);
    expect(form!.value.name).toBe('robot');
    expect(form!.value.tag).toEqual(['a', 'b']);
    const file = asFile(form!.value.file);
    expect(file).toMatchObject({ filename: 'main.robot', contentType: 'text/x-robot', size: 5000 });
    expect(file.path).toBeUndefined();
    expect(sha1(await file.read())).toBe(sha1(bytes));
    expect(sha1(await readAll(file.stream()))).toBe(sha1(bytes));
    expect(sha1(await readAll(file.stream()))).toBe(sha1(bytes)); // each call is a fresh stream
    const empty = asFile(form!.value.empty);
    expect(empty.size).toBe(0);
    expect((await empty.read()).length).toBe(0);
    expect((await readAll(empty.stream())).length).toBe(0);
    expect(form!.forValidation).toEqual({ name: 'robot', file: 'main.robot', tag: ['a', 'b'], empty: 'empty.txt' });
    expect([...form!.files]).toEqual(['file', 'empty']);
    expect(leftovers()).toEqual([]); // nothing spooled for a small file
    await form!.cleanup();
  });

  it('decodes a UTF-8 file name', async () => {
    const { form } = await parse([{ name: 'file', filename: 'отчёт.xlsx', data: Buffer.from('x') }]);
    expect(asFile(form!.value.file).filename).toBe('отчёт.xlsx');
    await form!.cleanup();
  });

  it('spools a larger file to a private folder under os.tmpdir() and removes it on cleanup, once', async () => {
    settings = { limit: MiB, options: { tmpDir: undefined } }; // the default place
    const big = crypto.randomBytes(300 * KiB);
    const small = crypto.randomBytes(10);
    const { form } = await parse([
      { name: 'big', filename: 'big.bin', data: big },
      { name: 'small', filename: 'small.bin', data: small },
    ]);
    const file = asFile(form!.value.big);
    expect(file.size).toBe(big.length);
    expect(file.path).toBeDefined();
    const dir = path.dirname(file.path!);
    expect(path.dirname(dir)).toBe(os.tmpdir());
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file.path!).mode & 0o077).toBe(0); // readable by the owner only
    expect(path.basename(file.path!)).not.toContain('big.bin'); // the client's name never reaches the file system
    expect(sha1(fs.readFileSync(file.path!))).toBe(sha1(big));
    expect(sha1(await file.read())).toBe(sha1(big));
    expect(sha1(await readAll(file.stream()))).toBe(sha1(big));

    await Promise.all([form!.cleanup(), form!.cleanup()]);
    expect(fs.existsSync(dir)).toBe(false);
    await expect(form!.cleanup()).resolves.toBeUndefined(); // idempotent
    await expect(file.read()).rejects.toThrow(); // a spooled file does not outlive its request
    expect(sha1(await asFile(form!.value.small).read())).toBe(sha1(small)); // a file held in memory still reads
  });

  it('refuses two files of 0.6 x the limit with payloadTooLarge, removing the one already written', async () => {
    const limit = MiB;
    settings = { limit };
    const size = Math.round(0.6 * limit);
    const { res, error, form } = await parse([
      { name: 'first', filename: 'a.bin', size },
      // the first file is complete (the next part's boundary has been sent) and on disk before the second starts
      { name: 'spacer', value: 'x' },
      { pause: () => waitFor(() => spooled().some((f) => f.size === size), 'the first file on disk') },
      { name: 'second', filename: 'b.bin', size },
    ]);
    expect(form).toBeUndefined();
    expectApiError(error, 'payloadTooLarge', 413);
    expect(res.status).toBe(413);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a declared Content-Length over the limit before reading, and counts fields in the cap', async () => {
    settings = { limit: 100 * KiB };
    const declared = await parse([{ name: 'file', filename: 'a.bin', data: Buffer.alloc(101 * KiB) }], { chunked: false });
    expectApiError(declared.error, 'payloadTooLarge', 413);
    expect(declared.res.status).toBe(413);

    settings = { limit: 100 * KiB, options: { maxFieldBytes: 80 * KiB } };
    const fields = await parse([
      { name: 'a', value: 'x'.repeat(60 * KiB) },
      { name: 'b', value: 'y'.repeat(60 * KiB) },
    ]);
    expectApiError(fields.error, 'payloadTooLarge', 413);
    expect(leftovers()).toEqual([]);
  });

  it('streams a 5 MB file to disk without holding it in memory', async () => {
    settings = { limit: 10 * MiB };
    // memory is judged with collections forced, so garbage that merely awaits the collector (the socket's read
    // buffers) does not count, only what the parser keeps
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage();
    const digest: { sha1?: string } = {};
    const outcome = nextOutcome();
    let peakRss = before.rss;
    const sampler = setInterval(() => {
      gc();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 5);
    let form: ParsedForm | undefined;
    try {
      const res = await post([{ name: 'file', filename: 'big.bin', size: 5 * MiB, digest }]);
      form = (await outcome).form;
      clearInterval(sampler);
      expect(res.status).toBe(200);
      // the whole file is parsed and reachable through `form`, yet none of it is held in buffers (the collector
      // may free array buffers a moment after it ran: measure twice)
      gc();
      await new Promise((r) => setTimeout(r, 20));
      gc();
      expect(process.memoryUsage().arrayBuffers - before.arrayBuffers).toBeLessThan(MiB / 2);
      expect(peakRss - before.rss).toBeLessThan(2.5 * MiB); // holding the file would be 5 MiB and more
      const file = asFile(form!.value.file);
      expect(file.size).toBe(5 * MiB);
      expect(fs.statSync(file.path!).size).toBe(5 * MiB);
      expect(sha1(await readAll(file.stream()))).toBe(digest.sha1);
    } finally {
      clearInterval(sampler);
      await form?.cleanup();
    }
    expect(leftovers()).toEqual([]);
  });

  it('answers a malformed body with a 400 kind and removes what it wrote', async () => {
    const truncated = await parse([{ name: 'file', filename: 'a.bin', data: crypto.randomBytes(200 * KiB) }], { truncate: true });
    expectApiError(truncated.error, 'malformed', 400);
    expect(truncated.res.status).toBe(400);
    expect(leftovers()).toEqual([]);

    const noBoundary = await parse([{ name: 'name', value: 'robot' }], { contentType: 'multipart/form-data' });
    expectApiError(noBoundary.error, 'malformed', 400);

    const badHeader = nextOutcome();
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } },
        (r) => { r.resume(); resolve(r.statusCode ?? 0); });
      req.on('error', reject);
      req.end(`--${BOUNDARY}\r\nContent-Disposition form-data name\r\n${'x'.repeat(20 * KiB)}\r\n\r\nvalue\r\n--${BOUNDARY}--\r\n`);
    });
    expectApiError((await badHeader).error, 'malformed', 400);
    expect(res).toBe(400);
  });

  it('bounds the number of files and fields (413) and field name (400) and value (413) sizes', async () => {
    settings = { limit: MiB, options: { maxFiles: 2, maxFields: 3, maxFieldNameBytes: 20, maxFieldBytes: 1000 } };
    const file = (name: string) => ({ name, filename: `${name}.bin`, data: crypto.randomBytes(100 * KiB) });

    const files = await parse([file('a'), file('b'), file('c')]);
    expectApiError(files.error, 'payloadTooLarge', 413);
    const fields = await parse([1, 2, 3, 4].map((i) => ({ name: `f${i}`, value: 'v' })));
    expectApiError(fields.error, 'payloadTooLarge', 413);
    const value = await parse([{ name: 'f', value: 'v'.repeat(1001) }]);
    expectApiError(value.error, 'payloadTooLarge', 413);
    const name = await parse([{ name: 'n'.repeat(21), value: 'v' }]);
    expectApiError(name.error, 'validation', 400);
    const fileName = await parse([file('n'.repeat(21))]);
    expectApiError(fileName.error, 'validation', 400);
    expect(leftovers()).toEqual([]);

    // exactly at every bound is fine
    const ok = await parse([file('a'), file('b'), { name: 'n'.repeat(20), value: 'v'.repeat(1000) }, { name: 'g', value: '' }, { name: 'h', value: '' }]);
    expect(ok.error).toBeUndefined();
    expect(asFile(ok.form!.value.b).size).toBe(100 * KiB);
    await ok.form!.cleanup();
    expect(leftovers()).toEqual([]);
  });

  it('rejects with the disk\'s own error (a fault, not the client\'s) when a file cannot be spooled', async () => {
    settings = { limit: MiB, options: { tmpDir: path.join(tmpRoot, 'missing') } };
    const { res, error } = await parse([{ name: 'file', filename: 'a.bin', data: crypto.randomBytes(100 * KiB) }]);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(res.status).toBe(500);
    expect(leftovers()).toEqual([]);
  });

  it('gives up on a client that disconnects mid-upload and removes what it wrote', async () => {
    const { error } = await parse([{ name: 'file', filename: 'a.bin', size: MiB / 2 }], { abortAfter: 300 * KiB });
    expect(error).toBeInstanceOf(ApiError);
    expect(leftovers()).toEqual([]);
  });
});

// --- through the kernel ----------------------------------------------------------------------------------------

const upload: ServiceDefinition = {
  name: 'upload',
  specFile: path.join(__dirname, 'fixtures', 'upload.yaml'),
  strategies: () => ({}),
  init: () => undefined,
  renderError: (err) => ({ status: err.status, body: { kind: err.kind, message: err.message } }),
  handlers: {
    upload_file: async (input: { body: unknown }) => {
      const body = input.body as unknown as { name: string; file: UploadedFile };
      const digest = crypto.createHash('sha1');
      for await (const chunk of body.file.stream()) digest.update(chunk as Buffer);
      return { status: 200, body: { name: body.name, filename: body.file.filename, size: body.file.size, sha1: digest.digest('hex') } } as never;
    },
  },
};

describe('multipart uploads through the kernel', () => {
  let agent: ReturnType<typeof supertest>;
  beforeAll(async () => {
    process.env.BODY_LIMIT_BYTES = String(64 * 1024);
    agent = supertest((await createApp({ services: [upload], validateResponses: true })).app);
  });
  afterAll(() => { delete process.env.BODY_LIMIT_BYTES; });

  it('hands the handler the file and the fields', async () => {
    const bytes = crypto.randomBytes(5000);
    const res = await agent.post('/upload/files').field('name', 'robot').attach('file', bytes, { filename: 'main.robot', contentType: 'application/octet-stream' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'robot', filename: 'main.robot', size: 5000, sha1: sha1(bytes) });
  });

  it('refuses a missing required file (which openapi-backend alone would let through)', async () => {
    const res = await agent.post('/upload/files').field('name', 'robot');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/file: file is required/);
  });

  it('validates the fields against the schema', async () => {
    const short = await agent.post('/upload/files').field('name', 'r').attach('file', Buffer.from('x'), 'a.robot');
    expect(short.status).toBe(400);
    const extra = await agent.post('/upload/files').field('name', 'robot').field('other', 'x').attach('file', Buffer.from('x'), 'a.robot');
    expect(extra.status).toBe(400);
  });

  it('answers 413 for a body over the limit, 400 for a malformed one and 415 for another content type', async () => {
    const big = await agent.post('/upload/files').field('name', 'robot').attach('file', Buffer.alloc(70 * 1024), 'big.robot');
    expect(big.status).toBe(413);
    const malformed = await agent.post('/upload/files').set('Content-Type', 'multipart/form-data; boundary=x').send('--x\r\nnot a header\r\n\r\n');
    expect(malformed.status).toBe(400);
    const json = await agent.post('/upload/files').send({ name: 'robot' });
    expect(json.status).toBe(415);
  });
});
