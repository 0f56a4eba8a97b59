/**
 * The conversions of stored trace payloads (handlers/account/_convert.ts), run in a worker thread so that a large one
 * never blocks the server's event loop. Plain JavaScript: the worker loads it with node alone, under tsx, jest or a
 * compiled build alike.
 *
 * Message in:  { op: 'toXlsx' | 'toJson', payload: Uint8Array, limits: { maxExpandedBytes, maxEntries } }
 * Message out: { ok: Uint8Array } or { refused: string } (the payload cannot be converted: a 400) or { failed: string }
 */
'use strict';
const { parentPort } = require('node:worker_threads');
const { PassThrough } = require('node:stream');
const zlib = require('node:zlib');
const ExcelJS = require('exceljs');

class Refused extends Error {}

/**
 * A workbook is a zip archive: before exceljs opens it, its central directory must list at most maxEntries entries
 * whose declared sizes add up to at most maxExpandedBytes, and each entry must really inflate to no more than it
 * declares (a zip bomb lies in its headers), checked by inflating it with that bound.
 */
function inspectZip(buf, { maxEntries, maxExpandedBytes }) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Refused('it is not a zip archive');
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new Refused('ZIP64 workbooks are not converted');
  if (count > maxEntries) throw new Refused(`it holds ${count} entries, more than the ${maxEntries} allowed`);
  let p = cdOffset;
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Refused('its zip directory is damaged');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const skip = nameLength + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    total += size;
    if (total > maxExpandedBytes) throw new Refused(`it expands to more than the ${maxExpandedBytes} bytes allowed`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw new Refused('its zip entries are damaged');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + compressed);
    if (method === 8) {
      try {
        zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
      } catch (e) {
        if (e instanceof RangeError || e.code === 'ERR_BUFFER_TOO_LARGE') {
          throw new Refused(`an entry expands beyond the ${size} bytes its header declares`);
        }
        throw new Refused(`an entry cannot be inflated: ${e.message}`);
      }
    } else if (method !== 0 || compressed !== size) {
      throw new Refused(`an entry uses zip method ${method}, which is not converted`);
    }
    p += 46 + skip;
  }
}

function plain(v) {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    if (v.richText) return v.richText.map((t) => t.text).join('');
    if (v.text !== undefined) return String(v.text);
    if (v.result !== undefined) return plain(v.result);
    return JSON.stringify(v);
  }
  return v;
}

/** Each worksheet becomes an array of row objects keyed by the header row: { "<sheet>": [ {...}, ... ] }. */
async function xlsxToJson(bytes, limits) {
  inspectZip(bytes, limits);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes);
  } catch (e) {
    throw new Refused(`it is not a readable workbook: ${e.message}`);
  }
  const out = {};
  wb.eachSheet((ws) => {
    const header = [];
    const rows = [];
    ws.eachRow((row, n) => {
      const values = row.values.slice(1).map(plain);
      if (n === 1) {
        values.forEach((v, i) => (header[i] = v === null ? `column_${i + 1}` : String(v)));
        return;
      }
      const obj = {};
      values.forEach((v, i) => (obj[header[i] ?? `column_${i + 1}`] = v));
      rows.push(obj);
    });
    out[ws.name] = rows;
  });
  return Buffer.from(JSON.stringify(out), 'utf8');
}

const cellOf = (v) => (v === undefined ? null : v !== null && typeof v === 'object' ? JSON.stringify(v) : v);

/**
 * An array of objects becomes one sheet with their keys as the header; an object of such arrays one sheet per key;
 * anything else one sheet with the JSON text in A1. Written with exceljs's streaming WorkbookWriter.
 */
async function jsonToXlsx(bytes) {
  let value;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new Refused(`it is not valid JSON: ${e.message}`);
  }
  const sink = new PassThrough();
  const chunks = [];
  sink.on('data', (c) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: false, useSharedStrings: false });
  const sheetOf = (name, rows) => {
    const ws = wb.addWorksheet(name.slice(0, 31) || 'data');
    const keys = [...new Set(rows.flatMap((r) => (r && typeof r === 'object' && !Array.isArray(r) ? Object.keys(r) : [])))];
    if (keys.length) {
      ws.addRow(keys).commit();
      for (const r of rows) ws.addRow(keys.map((k) => cellOf(r && typeof r === 'object' ? r[k] : undefined))).commit();
    } else {
      for (const r of rows) ws.addRow(Array.isArray(r) ? r.map(cellOf) : [cellOf(r)]).commit();
    }
    ws.commit();
  };
  if (Array.isArray(value)) sheetOf('data', value);
  else if (value && typeof value === 'object' && Object.values(value).every(Array.isArray)) {
    const entries = Object.entries(value);
    for (const [k, v] of entries) sheetOf(k, v);
    if (!entries.length) wb.addWorksheet('data').commit();
  } else {
    const ws = wb.addWorksheet('data');
    ws.addRow([JSON.stringify(value)]).commit();
    ws.commit();
  }
  await wb.commit();
  await new Promise((resolve) => (sink.writableFinished ? resolve() : sink.once('finish', resolve)));
  return Buffer.concat(chunks);
}

parentPort.once('message', async ({ op, payload, limits }) => {
  try {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const out = op === 'toXlsx' ? await jsonToXlsx(bytes) : await xlsxToJson(bytes, limits);
    const copy = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    parentPort.postMessage({ ok: copy });
  } catch (e) {
    parentPort.postMessage(e instanceof Refused ? { refused: e.message } : { failed: String(e && e.stack || e) });
  }
});
