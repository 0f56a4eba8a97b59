/**
 * multipart/form-data bodies, parsed with busboy into fields and files (files held in memory up to the body limit).
 * openapi-backend validates multipart bodies but drops binary properties from `required` (openapi-backend #94, #809),
 * so the kernel validates a stand-in object (file name for each file) and checks required files itself.
 */
import fs from 'node:fs';
import busboy from 'busboy';
import YAML from 'yaml';
import type { Request } from 'express';
import { ApiError } from './errors';

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface ParsedForm {
  /** what the handler receives: fields as strings, files as UploadedFile */
  value: Record<string, string | string[] | UploadedFile | UploadedFile[]>;
  /** what the validator sees: each file replaced by its file name */
  forValidation: Record<string, string | string[]>;
  files: Set<string>;
}

function add<T>(target: Record<string, T | T[]>, key: string, v: T) {
  const cur = target[key];
  target[key] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
}

export function parseMultipart(req: Request, limitBytes: number): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: limitBytes, fieldSize: limitBytes, files: 50, fields: 200 } });
    } catch (e) {
      reject(new ApiError('validation', `malformed multipart body: ${(e as Error).message}`));
      return;
    }
    const value: ParsedForm['value'] = {};
    const forValidation: ParsedForm['forValidation'] = {};
    const files = new Set<string>();
    let failed = false;
    const fail = (err: ApiError) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume();
      reject(err);
    };
    bb.on('field', (name, val) => {
      add(value, name, val);
      add(forValidation, name, val);
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(new ApiError('payloadTooLarge', `file ${name} exceeds ${limitBytes} bytes`)));
      stream.on('close', () => {
        if (failed) return;
        add(value, name, { filename: info.filename ?? name, contentType: info.mimeType, data: Buffer.concat(chunks) });
        add(forValidation, name, info.filename ?? name);
        files.add(name);
      });
    });
    bb.on('error', (e: Error) => fail(new ApiError('validation', `malformed multipart body: ${e.message}`)));
    bb.on('close', () => {
      if (!failed) resolve({ value, forValidation, files });
    });
    req.pipe(bb);
  });
}

type Schema = { $ref?: string; required?: string[]; properties?: Record<string, Schema>; type?: string; format?: string };

/**
 * operationId -> required file properties of its multipart body, read from the spec as written (openapi-backend's
 * init removes binary properties from `required` in the document it holds).
 */
export function requiredFilesByOperation(specFile: string): Map<string, string[]> {
  const doc = YAML.parse(fs.readFileSync(specFile, 'utf8')) as Record<string, unknown>;
  const deref = <T>(node: T): T => {
    let n = node as { $ref?: string };
    for (let i = 0; n?.$ref?.startsWith('#/') && i < 20; i++) {
      n = n.$ref.slice(2).split('/').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as { $ref?: string };
    }
    return n as T;
  };
  const out = new Map<string, string[]>();
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const op of Object.values(item) as Array<{ operationId?: string; requestBody?: unknown }>) {
      if (!op || typeof op !== 'object' || !op.operationId || !op.requestBody) continue;
      const body = deref(op.requestBody as { content?: Record<string, { schema?: Schema }> });
      const schema = deref(body?.content?.['multipart/form-data']?.schema);
      if (!schema) continue;
      const files = (schema.required ?? []).filter((k) => {
        const prop = deref(schema.properties?.[k]);
        return prop?.type === 'string' && ['binary', 'byte'].includes(prop.format ?? '');
      });
      if (files.length) out.set(op.operationId, files);
    }
  }
  return out;
}
