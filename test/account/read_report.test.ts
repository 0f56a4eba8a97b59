/** GET /account/report */
import ExcelJS from 'exceljs';
import { accountHarness, createUser, expectTracedError, recordEvents, usageEvent, type Harness, roomyDefaultQuota } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });
roomyDefaultQuota();

const URL = '/account/report';
const HEADER = ['date', 'service', 'method_group', 'unique_points_per_day', 'points_per_day'];

type Cell = string | number | null;
/** the workbook's sheets as rows of plain cell values */
async function readWorkbook(buf: Buffer): Promise<Record<string, Cell[][]>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const out: Record<string, Cell[][]> = {};
  wb.eachSheet((ws) => {
    const rows: Cell[][] = [];
    ws.eachRow({ includeEmpty: true }, (row) => rows.push((row.values as Cell[]).slice(1)));
    out[ws.name] = rows;
  });
  return out;
}

interface Stats { dates: { date: string; services: { service: string; methods: { method_group: string; unique_points_per_day: number; points_per_day: number }[] }[] }[] }
/** the statistics answer flattened to the report's rows */
const flatten = (s: Stats): Cell[][] => s.dates.flatMap((d) => d.services.flatMap((sv) => sv.methods.map((m) => [d.date, sv.service, m.method_group, m.unique_points_per_day, m.points_per_day])));

describe('read_report', () => {
  it('answers an XLSX attachment with one row per day, service and method group, the same numbers as the statistics', async () => {
    const u = await createUser(h, { timezone: 3 });
    const code = crypto.randomUUID();
    await recordEvents([
      usageEvent(u, { time: '2024-02-04T22:30:00Z', points_count: 10, code }), // 2024-02-05 at +3
      usageEvent(u, { time: '2024-02-05T08:00:00Z', points_count: 25, code }),
      usageEvent(u, { time: '2024-02-05T09:00:00Z', points_count: 5, method_group: 'REFINE' }),
      usageEvent(u, { time: '2024-02-05T09:30:00Z', points_count: 40, service: 'PACKER', method_group: 'PACK', operation: 'run_pack' }),
      usageEvent(u, { time: '2024-02-07T09:00:00Z', points_count: 2 }),
    ]);
    const query = { from: '2024-02-01', to: '2024-02-29' };
    const res = await h.call('get', URL, { token: u.token, query });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="report_${u.username}_2024-02-01_2024-02-29.xlsx"`);
    expect(Buffer.isBuffer(res.body)).toBe(true);
    expect(res.raw.subarray(0, 2).toString()).toBe('PK'); // a zip container

    const sheets = await readWorkbook(res.raw);
    expect(Object.keys(sheets)).toEqual(['statistics']);
    const rows = sheets.statistics;
    expect(rows[0]).toEqual(HEADER);
    expect(rows.slice(1)).toEqual([
      ['2024-02-05', 'PACKER', 'PACK', 40, 40],
      ['2024-02-05', 'UNIVERSAL', 'PLAN', 25, 35],
      ['2024-02-05', 'UNIVERSAL', 'REFINE', 5, 5],
      ['2024-02-07', 'UNIVERSAL', 'PLAN', 2, 2],
    ]);

    const stats = await h.call('get', '/account/statistics', { token: u.token, query });
    expect(stats.status).toBe(200);
    expect(rows.slice(1)).toEqual(flatten(stats.body));
  });

  it('uses the statistics\' default period (this month up to yesterday) and names the file after it', async () => {
    const u = await createUser(h);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      const today = now.toISOString().slice(0, 10);
      await recordEvents([usageEvent(u, { time: now.toISOString(), points_count: 77 })]); // today: never in the default report
      const [res, stats] = [await h.call('get', URL, { token: u.token }), await h.call('get', '/account/statistics', { token: u.token })];
      if (new Date().toISOString().slice(0, 10) !== today) continue;
      const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="report_${u.username}_${today.slice(0, 8)}01_${yesterday}.xlsx"`);
      const rows = (await readWorkbook(res.raw)).statistics;
      expect(rows).toEqual([HEADER]);
      expect(flatten(stats.body)).toEqual([]);
      return;
    }
    throw new Error('midnight crossed on every attempt');
  });

  it('answers a workbook with just the header for a period without usage', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2019-05-05T10:00:00Z', points_count: 3 })]);
    const res = await h.call('get', URL, { token: u.token, query: { from: '2019-05-06', to: '2019-05-31' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
    const sheets = await readWorkbook(res.raw);
    expect(sheets).toEqual({ statistics: [HEADER] });
  });

  it('contains only the caller\'s usage', async () => {
    const admin = await createUser(h, { roles: 'ADMIN' });
    const colleague = await createUser(h, { companyKey: admin.companyKey });
    await recordEvents([
      usageEvent(admin, { time: '2019-08-01T10:00:00Z', points_count: 1 }),
      usageEvent(colleague, { time: '2019-08-01T10:00:00Z', points_count: 500, service: 'ROUTING', method_group: 'ROUTE' }),
    ]);
    const res = await h.call('get', URL, { token: admin.token, query: { from: '2019-08-01', to: '2019-08-01' } });
    expect(res.status).toBe(200);
    expect((await readWorkbook(res.raw)).statistics).toEqual([HEADER, ['2019-08-01', 'UNIVERSAL', 'PLAN', 1, 1]]);
  });

  it('accepts the vendor client\'s Accept header', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2019-09-09T10:00:00Z', points_count: 4 })]);
    const res = await h.call('get', URL, {
      token: u.token, query: { from: '2019-09-09', to: '2019-09-09' }, headers: { Accept: 'application/octet-stream, application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/octet-stream/);
    expect((await readWorkbook(res.raw)).statistics).toEqual([HEADER, ['2019-09-09', 'UNIVERSAL', 'PLAN', 4, 4]]);
  });

  it('answers any period the schema allows: 0001-01-01..9999-12-31, and from after to as an empty workbook', async () => {
    const u = await createUser(h, { timezone: 12 });
    await recordEvents([
      usageEvent(u, { time: '0001-01-01T00:00:00+12:00', points_count: 2 }),
      usageEvent(u, { time: '9999-12-31T23:59:59+12:00', points_count: 3 }),
    ]);
    const accept = { Accept: 'application/octet-stream, application/json' };
    const all = await h.call('get', URL, { token: u.token, query: { from: '0001-01-01', to: '9999-12-31' }, headers: accept });
    expect(all.status).toBe(200);
    expect(all.headers['content-disposition']).toBe(`attachment; filename="report_${u.username}_0001-01-01_9999-12-31.xlsx"`);
    const rows = (await readWorkbook(all.raw)).statistics.filter((r) => r[1] !== 'ACCOUNT'); // not the login's line
    expect(rows).toEqual([HEADER, ['0001-01-01', 'UNIVERSAL', 'PLAN', 2, 2], ['9999-12-31', 'UNIVERSAL', 'PLAN', 3, 3]]);
    const reversed = await h.call('get', URL, { token: u.token, query: { from: '2024-02-06', to: '2024-02-05' }, headers: accept });
    expect(reversed.status).toBe(200);
    expect((await readWorkbook(reversed.raw)).statistics).toEqual([HEADER]);
  });

  it('refuses malformed dates with a JSON 400', async () => {
    const u = await createUser(h);
    for (const query of <Record<string, string>[]>[{ from: '2024-13-01' }, { to: 'yesterday' }, { from: '0000-01-01' }]) {
      const res = await h.call('get', URL, { token: u.token, query, headers: { Accept: 'application/octet-stream, application/json' } });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toBeUndefined();
      expectTracedError(res, 'read_report');
    }
  });

  it('answers 401 without a valid token', async () => {
    for (const token of [undefined, 'not.a.jwt']) {
      const res = await h.call('get', URL, { token });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectTracedError(res, 'read_report');
      expect(res.body.tracedata.client).toBe('anonymous');
    }
  });
});
