/**
 * Conversions of stored trace payloads between JSON and XLSX, both ways with exceljs, off the event loop: each runs
 * in a worker thread of its own (_convert-worker.js) with a bounded heap, at most CONCURRENCY at a time, and only for
 * payloads of at most ACCOUNT_CONVERT_MAX_BYTES. JSON becomes a workbook through exceljs's streaming writer; a
 * workbook is opened only when its zip directory promises, and its entries really inflate to, at most
 * ACCOUNT_XLSX_MAX_EXPANDED_BYTES in ACCOUNT_XLSX_MAX_ENTRIES entries (no zip bomb reaches exceljs).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { config } from '../../lib/config';
import { ApiError } from '../../lib/errors';
import { securitySettings } from './_security-settings';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const isJsonType = (t: string) => /^application\/(.+\+)?json\b/i.test(t);
export const isXlsxType = (t: string) => t.toLowerCase().startsWith(XLSX_TYPE);

const WORKER = path.join(__dirname, '_convert-worker.js');
const CONCURRENCY = 2;
const HEAP_MB = 1024;

let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  else running += 1;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

const refused = (what: string, why: string) => new ApiError('validation', `data stored as ${what} cannot be converted: ${why}`);

/** The conversion, or the documented 400 when the payload cannot (or may not) be converted. */
export async function convertPayload(op: 'toXlsx' | 'toJson', payload: Buffer, contentType: string): Promise<Buffer> {
  const max = securitySettings.values.ACCOUNT_CONVERT_MAX_BYTES;
  if (payload.length > max) {
    throw refused(contentType, `it is ${payload.length} bytes, more than the ${max} bytes converted (ask for ORIGIN)`);
  }
  const limits = {
    maxExpandedBytes: securitySettings.values.ACCOUNT_XLSX_MAX_EXPANDED_BYTES,
    maxEntries: securitySettings.values.ACCOUNT_XLSX_MAX_ENTRIES,
  };
  return limited(() => new Promise<Buffer>((resolve, reject) => {
    const worker = new Worker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: HEAP_MB } });
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    // never longer than a request may take: the answer is a 503 by then and nobody waits for the result
    const timer = setTimeout(() => done(() => reject(new ApiError('unavailable', 'The conversion took too long'))), config.requestDeadlineMs);
    worker.once('message', (m: { ok?: Uint8Array; refused?: string; failed?: string }) => done(() => {
      if (m.ok) resolve(Buffer.from(m.ok.buffer, m.ok.byteOffset, m.ok.byteLength));
      else if (m.refused) reject(refused(contentType, m.refused));
      else reject(new Error(`conversion failed: ${m.failed}`));
    }));
    worker.once('error', (e: Error & { code?: string }) => done(() => reject(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? refused(contentType, `converting it takes more than the ${HEAP_MB} MiB allowed`)
      : e)));
    worker.once('exit', (code) => done(() => reject(new Error(`conversion worker exited with code ${code}`))));
    const copy = new Uint8Array(payload); // the worker gets its own copy, transferred
    worker.postMessage({ op, payload: copy, limits }, [copy.buffer]);
  }));
}
