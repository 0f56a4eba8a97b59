/**
 * GET /account/data/{tracecode} conversions under load (issue 11, item 2): a large conversion must not block the
 * process, a payload above the configured size is refused with the documented 400, and a workbook that would expand
 * beyond its bounds (a zip bomb) is refused before exceljs opens it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import ExcelJS from 'exceljs';
import { accountHarness, createUser, expectTracedError, type Harness, type TestUser } from './_fixtures';

let h: Harness;
let u: TestUser;
let other: TestUser;
beforeAll(async () => {
  h = await accountHarness();
  u = await createUser(h);
  other = await createUser(h);
});
afterAll(async () => { await h.close(); });

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SETTINGS = ['ACCOUNT_CONVERT_MAX_BYTES', 'ACCOUNT_XLSX_MAX_EXPANDED_BYTES', 'ACCOUNT_XLSX_MAX_ENTRIES'];
afterEach(() => SETTINGS.forEach((k) => delete process.env[k]));

/** A stored INPUT payload of the user's, written as ingestion would store it; answers its trace code. */
async function store(user: TestUser, contentType: string, payload: Buffer): Promise<string> {
  const code = crypto.randomUUID();
  await h.sequelize.query(
    `INSERT INTO account.trace_data (trace_code, flow_type, stage, username, company_key, content_type, payload)
     VALUES (:code, 'INPUT', 0, :username, :company, :contentType, :payload)`,
    { replacements: { code, username: user.username, company: user.companyKey, contentType, payload } },
  );
  return code;
}

const read = (code: string, convert: string) => h.call('get', `/account/data/${code}`, { token: u.token, query: { data_flow_convert: convert } });

/** A workbook of `rows` rows of repetitive text: small compressed, large expanded. */
async function bigWorkbook(rows: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('orders');
  ws.addRow(['id', 'address', 'note']);
  for (let i = 0; i < rows; i++) ws.addRow([i, 'Main street 1, Springfield', 'leave at the door, ring twice']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The zip central directory entry of `name` in an archive (offset of its header). */
function centralEntry(zip: Buffer, name: string): number {
  for (let p = zip.length - 46; p >= 0; p--) {
    if (zip.readUInt32LE(p) === 0x02014b50 && zip.toString('latin1', p + 46, p + 46 + zip.readUInt16LE(p + 28)) === name) return p;
  }
  throw new Error(`no ${name} in the archive`);
}

describe('read_data conversions', () => {
  it('converts a 4 MB JSON payload to XLSX off the event loop: a parallel small request still answers', async () => {
    const orders = Array.from({ length: 25_000 }, (_, i) => ({
      id: i, name: `order ${i}`, address: `${i} Long Road, Springfield, 12345`, lat: 55.75 + i / 1e6, lon: 37.62 - i / 1e6,
      weight_kg: (i % 97) + 0.5, note: 'leave at the door, ring twice, fragile goods inside',
    }));
    const payload = Buffer.from(JSON.stringify(orders));
    expect(payload.length).toBeGreaterThan(4_000_000);
    const code = await store(u, 'application/json', payload);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const big = read(code, 'XLSX');
    const small = await h.call('get', '/account/info', { token: other.token });
    const res = await big;
    delay.disable();

    expect(small.status).toBe(200);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
    // the longest the event loop was held while the workbook was made (before: several seconds)
    expect(delay.max / 1e6).toBeLessThan(1000);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.raw as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('data')!;
    expect(ws.rowCount).toBe(orders.length + 1);
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(['id', 'name', 'address', 'lat', 'lon', 'weight_kg', 'note']);
    expect((ws.getRow(12_346).values as unknown[]).slice(1, 3)).toEqual([12_344, 'order 12344']);
  }, 120_000);

  it('refuses to convert a payload above ACCOUNT_CONVERT_MAX_BYTES with 400, and still answers it as stored', async () => {
    const payload = Buffer.from(JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: i, text: 'some words here' }))));
    const code = await store(u, 'application/json', payload);
    process.env.ACCOUNT_CONVERT_MAX_BYTES = String(payload.length - 1);
    const res = await read(code, 'XLSX');
    expect(res.status).toBe(400);
    expectTracedError(res, 'read_data');
    expect(res.body.message).toMatch(/more than the \d+ bytes converted/);
    const origin = await read(code, 'ORIGIN');
    expect(origin.status).toBe(200);
    expect(origin.raw.equals(payload)).toBe(true);
    process.env.ACCOUNT_CONVERT_MAX_BYTES = String(payload.length);
    expect((await read(code, 'XLSX')).status).toBe(200);
  });

  it('refuses a workbook that expands beyond ACCOUNT_XLSX_MAX_EXPANDED_BYTES before opening it', async () => {
    const book = await bigWorkbook(40_000);
    expect(book.length).toBeLessThan(1_000_000);
    const code = await store(u, XLSX, book);
    process.env.ACCOUNT_XLSX_MAX_EXPANDED_BYTES = String(1_000_000);
    const res = await read(code, 'JSON');
    expect(res.status).toBe(400);
    expectTracedError(res, 'read_data');
    expect(res.body.message).toMatch(/expands to more than the 1000000 bytes allowed/);
    delete process.env.ACCOUNT_XLSX_MAX_EXPANDED_BYTES;
    const ok = await read(code, 'JSON');
    expect(ok.status).toBe(200);
    expect(ok.body.orders).toHaveLength(40_000);
  }, 60_000);

  it('refuses a workbook whose entries inflate beyond what their headers declare (a lying zip bomb)', async () => {
    const book = await bigWorkbook(2_000);
    const entry = centralEntry(book, 'xl/worksheets/sheet1.xml');
    book.writeUInt32LE(1000, entry + 24); // declared uncompressed size: 1000 bytes
    const res = await read(await store(u, XLSX, book), 'JSON');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/expands beyond the 1000 bytes its header declares/);
  });

  it('refuses a workbook with more entries than ACCOUNT_XLSX_MAX_ENTRIES', async () => {
    const code = await store(u, XLSX, await bigWorkbook(10));
    process.env.ACCOUNT_XLSX_MAX_ENTRIES = '3';
    const res = await read(code, 'JSON');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/more than the 3 allowed/);
  });
});
