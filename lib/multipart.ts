/**
 * multipart/form-data bodies, parsed with busboy under one cap for the whole request body (the body limit, counted on
 * the bytes as they arrive: files, fields, part headers and boundaries alike). A file stays in memory up to
 * `memoryThreshold` bytes and is spooled beyond that to a per-request folder under os.tmpdir() (mode 0700, files 0600,
 * named by sequence, never by the client's file name). `cleanup()` removes the folder; a refused, malformed or
 * abandoned body removes what it wrote before the promise rejects, so the caller has nothing to clean then.
 *
 * openapi-backend validates multipart bodies but drops binary properties from `required` (openapi-backend #94, #809),
 * so the kernel validates a stand-in object (file name for each file) and checks required files itself.
 */
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { ApiError } from './errors';

/** One uploaded file, whether it is held in memory or spooled to disk. */
export interface UploadedFile {
  filename: string;
  contentType: string;
  /** bytes received */
  size: number;
  /** the spooled copy, for a file over the memory threshold; removed with the request's other temporary files */
  path?: string;
  /** the whole file as one buffer: fine for small files, use stream() for anything that may be large */
  read(): Promise<Buffer>;
  /** a new stream of the file's bytes on each call */
  stream(): Readable;
}

export interface ParsedForm {
  /** what the handler receives: fields as strings, files as UploadedFile */
  value: Record<string, string | string[] | UploadedFile | UploadedFile[]>;
  /** what the validator sees: each file replaced by its file name */
  forValidation: Record<string, string | string[]>;
  files: Set<string>;
  /** removes the request's temporary files; call it once the response is written. Idempotent. */
  cleanup(): Promise<void>;
}

export interface MultipartOptions {
  /** largest file kept in memory; larger ones go to disk */
  memoryThreshold?: number;
  /** most file parts in one body (413 beyond) */
  maxFiles?: number;
  /** most non-file parts in one body (413 beyond) */
  maxFields?: number;
  /** longest part name in bytes (400 beyond) */
  maxFieldNameBytes?: number;
  /** longest field value in bytes, never more than the body limit (413 beyond) */
  maxFieldBytes?: number;
  /** where the per-request folders are made (default: os.tmpdir() at the time of the request) */
  tmpDir?: string;
}

export const MULTIPART_DEFAULTS: Readonly<Required<Omit<MultipartOptions, 'tmpDir'>>> = Object.freeze({
  memoryThreshold: 64 * 1024,
  maxFiles: 50,
  maxFields: 200,
  maxFieldNameBytes: 200,
  maxFieldBytes: 1024 * 1024,
});

const EMPTY = Buffer.alloc(0);

async function writeAll(handle: FileHandle, chunk: Buffer) {
  for (let offset = 0; offset < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** Where one file's bytes go: memory up to the threshold, then a file of the request's temporary folder. */
class FileSink extends Writable {
  size = 0;
  path?: string;
  buffer: Buffer = EMPTY;
  private chunks: Buffer[] = [];
  private onDisk = false;
  private handle?: FileHandle;
  /** every asynchronous step in order, so cleanup can wait for the last one */
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly folder: TempFolder, private readonly threshold: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.size += chunk.length;
    if (!this.onDisk && this.size <= this.threshold) {
      this.chunks.push(chunk);
      done();
      return;
    }
    this.onDisk = true;
    this.run(async () => {
      if (!this.handle) {
        const { file, handle } = await this.folder.create();
        this.path = file;
        this.handle = handle;
        for (const c of this.chunks.splice(0)) await writeAll(handle, c);
      }
      await writeAll(this.handle, chunk);
    }, done);
  }

  override _final(done: (error?: Error | null) => void) {
    // one compact copy instead of slices that pin the socket's larger buffers
    if (!this.onDisk) this.buffer = Buffer.concat(this.chunks.splice(0));
    this.run(() => this.close(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void) {
    this.run(() => this.close(), () => done(error));
  }

  /** resolves once nothing of this sink is in flight any more */
  settled(): Promise<void> {
    return this.work;
  }

  private async close() {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private run(step: () => Promise<void>, done: (error?: Error | null) => void) {
    const next = this.work.then(step);
    this.work = next.catch(() => undefined);
    next.then(() => done(), (e: Error) => done(e));
  }
}

/** The request's temporary folder, made on first use, and the sinks writing into it. */
class TempFolder {
  private dir?: Promise<string>;
  private count = 0;
  private readonly sinks = new Set<FileSink>();
  private removal?: Promise<void>;

  constructor(private readonly parent: string) {}

  sink(threshold: number) {
    const sink = new FileSink(this, threshold);
    this.sinks.add(sink);
    return sink;
  }

  async create(): Promise<{ file: string; handle: FileHandle }> {
    if (this.removal) throw new Error('the request\'s temporary files have been removed');
    this.dir ??= fsp.mkdtemp(path.join(this.parent, 'conformant-upload-')).then(async (d) => {
      await fsp.chmod(d, 0o700); // mkdtemp's mode, made explicit
      return d;
    });
    const file = path.join(await this.dir, String(++this.count));
    return { file, handle: await fsp.open(file, 'wx', 0o600) };
  }

  cleanup(): Promise<void> {
    this.removal ??= (async () => {
      for (const sink of this.sinks) sink.destroy();
      await Promise.all([...this.sinks].map((s) => s.settled()));
      const dir = await this.dir?.catch(() => undefined);
      if (dir) await fsp.rm(dir, { recursive: true, force: true });
    })();
    return this.removal;
  }
}

class Upload implements UploadedFile {
  size = 0;
  path?: string;
  #data: Buffer = EMPTY;

  constructor(readonly filename: string, readonly contentType: string) {}

  received(sink: FileSink) {
    this.size = sink.size;
    if (sink.path) this.path = sink.path;
    else this.#data = sink.buffer;
  }

  read(): Promise<Buffer> {
    return this.path ? fsp.readFile(this.path) : Promise.resolve(this.#data);
  }

  stream(): Readable {
    return this.path ? fs.createReadStream(this.path) : Readable.from([this.#data], { objectMode: false });
  }
}

function add<T>(target: Record<string, T | T[]>, key: string, v: T) {
  const cur = target[key];
  target[key] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
}

const malformed = (why: string) => new ApiError('malformed', `malformed multipart body: ${why}`);

/**
 * Parse a multipart/form-data request under `limitBytes` for the whole body. Rejects with an ApiError: 413
 * (payloadTooLarge) for a body, field or part count over its bound, 400 (validation) for an over-long part name, 400
 * (malformed) for a body that is not valid multipart or ends early; any other rejection is a fault of this server
 * (the disk). The caller must call `cleanup()` on the result once the response is written.
 */
export function parseMultipart(req: IncomingMessage, limitBytes: number, options: MultipartOptions = {}): Promise<ParsedForm> {
  const o = { ...MULTIPART_DEFAULTS, ...options };
  const maxFieldBytes = Math.min(o.maxFieldBytes, limitBytes);
  const folder = new TempFolder(options.tmpDir ?? os.tmpdir());
  const tooLarge = (what = `the request body exceeds ${limitBytes} bytes`) => new ApiError('payloadTooLarge', what);

  return new Promise((resolve, reject) => {
    const value: ParsedForm['value'] = {};
    const forValidation: ParsedForm['forValidation'] = {};
    const files = new Set<string>();
    const stored: Promise<void>[] = [];
    let bb: busboy.Busboy | undefined;
    let settled = false;
    let received = 0;

    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) fail(tooLarge());
    };
    const onClose = () => {
      if (!req.complete) fail(malformed('the request ended before the body did'));
    };
    const onError = (e: Error) => fail(malformed(`the request could not be read (${e.message})`));
    const detach = () => {
      req.off('data', onData);
      req.off('close', onClose);
      req.off('error', onError);
    };
    function fail(err: Error) {
      if (settled) return;
      settled = true;
      detach();
      if (bb) {
        req.unpipe(bb);
        bb.destroy();
      }
      req.resume(); // discard the rest, so the caller can still answer
      folder.cleanup().then(() => reject(err), () => reject(err));
    }

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      fail(tooLarge());
      return;
    }
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8', // browsers send file names as raw UTF-8
        // busboy reports a value or file that reaches its limit, so each limit is one byte past the allowed size
        limits: { files: o.maxFiles, fields: o.maxFields, fieldSize: maxFieldBytes + 1, fileSize: limitBytes + 1 },
      });
    } catch (e) {
      fail(malformed((e as Error).message));
      return;
    }
    const nameTooLong = (name: string) => Buffer.byteLength(name) > o.maxFieldNameBytes;

    bb.on('field', (name: string | undefined, val, info) => {
      if (settled) return;
      if (name === undefined) return fail(malformed('a part has no name'));
      if (nameTooLong(name)) return fail(new ApiError('validation', `a part name is longer than ${o.maxFieldNameBytes} bytes`));
      if (info.valueTruncated) return fail(tooLarge(`field ${name} exceeds ${maxFieldBytes} bytes`));
      add(value, name, val);
      add(forValidation, name, val);
    });
    bb.on('file', (name: string | undefined, stream, info) => {
      stream.on('error', () => undefined); // its failures reach `fail` through the pipeline or busboy's own error
      if (settled) {
        stream.resume();
        return;
      }
      if (name === undefined || nameTooLong(name)) {
        stream.resume();
        fail(name === undefined ? malformed('a part has no name') : new ApiError('validation', `a part name is longer than ${o.maxFieldNameBytes} bytes`));
        return;
      }
      const upload = new Upload(info.filename ?? name, info.mimeType);
      add(value, name, upload);
      add(forValidation, name, upload.filename);
      files.add(name);
      const sink = folder.sink(o.memoryThreshold);
      stream.on('limit', () => fail(tooLarge()));
      stored.push(pipeline(stream, sink).then(
        () => upload.received(sink),
        // a system error is the disk's (a 500); anything else is the body breaking off
        (e: NodeJS.ErrnoException) => fail(e.syscall ? e : malformed(e.message)),
      ));
    });
    bb.on('filesLimit', () => fail(tooLarge(`more than ${o.maxFiles} files`)));
    bb.on('fieldsLimit', () => fail(tooLarge(`more than ${o.maxFields} fields`)));
    bb.on('error', (e: Error) => fail(malformed(e.message)));
    bb.on('close', () => {
      void Promise.all(stored).then(() => {
        if (settled) return;
        settled = true;
        detach();
        resolve({ value, forValidation, files, cleanup: () => folder.cleanup() });
      });
    });

    req.on('data', onData); // before the pipe, so an oversized chunk is refused before busboy sees it
    req.on('close', onClose);
    req.on('error', onError);
    req.pipe(bb);
  });
}
