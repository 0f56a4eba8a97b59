/** Conversions of stored trace payloads between JSON and XLSX, both ways with exceljs. */
import ExcelJS from 'exceljs';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const isJsonType = (t: string) => /^application\/(.+\+)?json\b/i.test(t);
export const isXlsxType = (t: string) => t.toLowerCase().startsWith(XLSX_TYPE);

type Cell = string | number | boolean | null;

/** Each worksheet becomes an array of row objects keyed by the header row: { "<sheet>": [ {...}, ... ] }. */
export async function xlsxToJson(bytes: Buffer): Promise<Record<string, Record<string, Cell>[]>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const out: Record<string, Record<string, Cell>[]> = {};
  wb.eachSheet((ws) => {
    const header: string[] = [];
    const rows: Record<string, Cell>[] = [];
    ws.eachRow((row, n) => {
      const values = (row.values as unknown[]).slice(1).map(plain);
      if (n === 1) {
        values.forEach((v, i) => (header[i] = v === null ? `column_${i + 1}` : String(v)));
        return;
      }
      const obj: Record<string, Cell> = {};
      values.forEach((v, i) => (obj[header[i] ?? `column_${i + 1}`] = v));
      rows.push(obj);
    });
    out[ws.name] = rows;
  });
  return out;
}

function plain(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o = v as { result?: unknown; text?: unknown; richText?: { text: string }[] };
    if (o.richText) return o.richText.map((t) => t.text).join('');
    if (o.text !== undefined) return String(o.text);
    if (o.result !== undefined) return plain(o.result);
    return JSON.stringify(v);
  }
  return v as Cell;
}

/**
 * An array of objects becomes one sheet with their keys as the header; an object of such arrays one sheet per key;
 * anything else one sheet with the JSON text in A1.
 */
export async function jsonToXlsx(value: unknown): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheetOf = (name: string, rows: unknown[]) => {
    const ws = wb.addWorksheet(name.slice(0, 31) || 'data');
    const keys = [...new Set(rows.flatMap((r) => (r && typeof r === 'object' && !Array.isArray(r) ? Object.keys(r) : [])))];
    if (keys.length) {
      ws.addRow(keys);
      for (const r of rows) ws.addRow(keys.map((k) => cellOf((r as Record<string, unknown>)[k])));
    } else {
      for (const r of rows) ws.addRow(Array.isArray(r) ? r.map(cellOf) : [cellOf(r)]);
    }
  };
  if (Array.isArray(value)) sheetOf('data', value);
  else if (value && typeof value === 'object' && Object.values(value).every(Array.isArray)) {
    for (const [k, v] of Object.entries(value)) sheetOf(k, v as unknown[]);
    if (!wb.worksheets.length) wb.addWorksheet('data');
  } else {
    wb.addWorksheet('data').addRow([JSON.stringify(value)]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const cellOf = (v: unknown): Cell => (v === undefined ? null : v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as Cell));
