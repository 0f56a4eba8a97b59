/**
 * GET /account/audit, streamed answers (above 10000 rows): each action's JSON text is written by PostgreSQL
 * (_mappers.ts streamActionsSql), most of them stored with the row by a trigger (account.audit_actions.action_json,
 * migration 20261202-0403). The body must be, byte for byte, what the Node serialiser (actionJson, still the paged
 * path's and the fallback's) writes for the same rows read through the driver: awkward strings, every character below
 * U+0080, U+2028/U+2029, emoji, far times, odd offsets, every sort field and direction, the filters, offsets, the
 * deep-offset day seek, a user's scope and an ADMIN's company scope; the stored text itself, on insert and update;
 * rows without it (written before the migration) alone and mixed with rows that have it.
 */
import { Sequelize } from 'sequelize';
import supertest from 'supertest';
import { commands } from '../../handlers/account/_admin';
import { flushAudit } from '../../handlers/account/_audit';
import { actionJson, STREAM_EXTRA_COLUMNS, streamActionsSql, streamedActionsJson, type AuditRow } from '../../handlers/account/_mappers';
import { streamBatches, type StreamQuery } from '../../handlers/account/_pgstream';
import { createApp, loadServiceDefinitions } from '../../lib/app';
import { unique } from '../support/harness';

process.env.ACCOUNT_PASSWORD_SCRYPT_N ??= '16384';

const COLUMNS = 'username, company_key, trace_code, client, server, service, operation, time, tz_offset_minutes, method_group, points_count, duration';
const FILLER = 12_000; // above STREAM_THRESHOLD even after an offset of 1500 (the day seek starts at 1000)
const FROM = '0001-01-01T00:00:00Z';
const TO = '9999-12-31T23:59:59.999Z';

let sequelize: Sequelize;
let agent: supertest.Agent;
let user: { username: string; token: string };
let admin: { username: string; token: string };
let company: string;

/** every character of U+0001..U+007F, then characters JSON writers are known to treat differently */
const awkwardStrings: string[] = [
  ...Array.from({ length: 127 }, (_, i) => `c${String.fromCharCode(i + 1)}x`),
  'a"b\\c', '\\"', '"', '\\', '\u2028\u2029', 'line\u2028sep', 'ÄÖü ß é', '日本語', '😀 emoji 🧪', '\uFFFD', '\u00A0nbsp', '\u0085nel',
  '\u200Bzw', '</script>', "it's", '{"json":1}', '\t\r\n\b\f', '\u001f\u0001', 'x'.repeat(256), '\u007F\u0080\u009F',
];

interface Seed {
  time: string; // timestamptz text
  tz: number;
  operation?: string; client?: string; server?: string; duration?: string; service?: string; methodGroup?: string; points?: number;
}

/** times and offsets: milliseconds and microseconds, before 1970, around the ends of the years 0001..9999, odd offsets */
const awkwardTimes: Array<[string, number]> = [
  ['2024-02-29 12:00:00+00', 345], ['2024-02-29 23:59:59.999+00', 345], ['2024-03-01 00:00:00.5+00', -30],
  ['2023-06-15 10:11:12.123456+00', -720], ['2023-06-15 10:11:12.000999+00', 840], ['2023-06-15 10:11:12.999999+00', -1439],
  ['1969-12-31 23:59:59.999+00', 0], ['1970-01-01 00:00:00+00', 1439], ['1900-01-01 00:00:00+00', -600],
  ['1582-10-10 12:00:00+00', 60], ['0999-12-31 23:00:00+00', 90], ['0100-03-01 00:00:00+00', -5], ['0099-12-31 23:59:59+00', 1],
  ['0001-01-01 00:00:00+00', 0], ['0001-01-01 00:00:00+00', -30], ['0001-01-05 23:59:59.999+00', -5999], ['0001-01-06 00:00:00+00', -5999],
  ['0001-01-06 00:00:00+00', -6000], ['9999-12-31 23:59:59.999+00', 60], ['9999-12-31 23:59:59.999+00', 0], ['9999-12-25 23:59:59.999+00', 5999],
  ['9999-12-26 00:00:00+00', -1], ['2020-05-05 05:05:05+00', 5999], ['2020-05-05 05:05:05+00', 6000], ['2020-05-05 05:05:05+00', -6000],
  ['2020-05-05 05:05:05.05+00', 100_000], ['2020-05-05 05:05:05+00', -2_147_483_648], ['2020-05-05 05:05:05+00', 2_147_483_647],
];

async function login(username: string, password: string): Promise<string> {
  const res = await agent.post('/account/token/generation').set('Content-Type', 'application/json').send(JSON.stringify({ username, password }));
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  return res.body as string;
}

async function newUser(companyKey: string, roles: string) {
  const username = unique('fmt');
  const password = `pw-${unique()}-long`;
  await commands['create-user'].run({ username, password, 'company-key': companyKey, roles }, sequelize);
  return { username, token: await login(username, password) };
}

async function insert(username: string, seeds: Seed[]) {
  await sequelize.query(
    `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, tz_offset_minutes,
                                        method_group, points_count, duration, duration_ms)
     SELECT :u, :co, gen_random_uuid(), s->>'client', s->>'server', s->>'service', s->>'operation', (s->>'time')::timestamptz,
            (s->>'tz')::int, s->>'methodGroup', (s->>'points')::int, s->>'duration', 1500
       FROM json_array_elements(:seeds::json) s`,
    { replacements: { u: username, co: company, seeds: JSON.stringify(seeds.map((s) => ({
      client: `${company}_|_${username}`, server: 'worker_1', service: 'UNIVERSAL', operation: 'run_plan_calculation',
      methodGroup: 'PLAN', points: 10, duration: 'PT1.5S', ...s,
    }))) } },
  );
}

/** The old path: the rows read by the driver in the page's order, each written by actionJson. */
async function oracle(o: { scope: string; scopeValue: string; sort: string; dir: 'ASC' | 'DESC'; offset?: number; where?: string[]; params?: unknown[]; statistics: unknown; maxId: string }) {
  const params: unknown[] = [o.scopeValue, ...(o.params ?? [])];
  // only rows that were there when the stream began: the requests' own actions arrive later (the outbox)
  const sql = `SELECT ${COLUMNS} FROM account.audit_actions
    WHERE ${[`${o.scope} = $1`, `time >= '${FROM}'::timestamptz`, `time <= '${TO}'::timestamptz`, `id <= ${o.maxId}`, ...(o.where ?? [])].join(' AND ')}
    ORDER BY ${o.sort} ${o.dir}, id ${o.dir} OFFSET ${o.offset ?? 0}`;
  const texts: string[] = [];
  for await (const rows of streamBatches<AuditRow>(sequelize, sql, params)) for (const r of rows) texts.push(actionJson(r));
  return `{"actions":[${texts.join(',')}],"statistics":${JSON.stringify(o.statistics)}}`;
}

async function streamed(token: string, query: Record<string, string | number>) {
  // every earlier call's action moved into the trail now, so that none arrives between this stream and its oracle
  await flushAudit();
  const [[{ maxId }]] = await sequelize.query('SELECT max(id)::text AS "maxId" FROM account.audit_actions') as unknown as [[{ maxId: string }]];
  const res = await agent.get('/account/audit').set('Authorization', `Bearer ${token}`)
    .query({ from: FROM, to: TO, limit: 1_000_000, ...query })
    .buffer(true).parse((response, cb) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(200);
  expect(res.headers['transfer-encoding']).toBe('chunked'); // the streamed path, not a page answered at once
  const text = (res.body as Buffer).toString('utf8');
  return { text, statistics: JSON.parse(text).statistics, maxId };
}

beforeAll(async () => {
  sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { underscored: true } });
  const defs = loadServiceDefinitions(['account']);
  for (const d of defs) await d.init(sequelize);
  const { app } = await createApp({ services: defs, sequelize, validateResponses: true });
  agent = supertest.agent(app);
  company = unique('fmtco');
  user = await newUser(company, 'USER');
  admin = await newUser(company, 'USER,ADMIN');
  const seeds: Seed[] = [];
  // plain rows over ten days, the awkward ones between them so that every sort meets them in the middle
  for (let i = 0; i < FILLER; i++) {
    seeds.push({ time: new Date(Date.parse('2021-03-01T00:00:00Z') + i * 71_000).toISOString(), tz: [0, 180, -300][i % 3], points: i % 100 });
  }
  awkwardStrings.forEach((s, i) => {
    const at = new Date(Date.parse('2021-03-02T00:00:00Z') + i * 3_001).toISOString();
    seeds.push({ time: at, tz: 0, operation: s.slice(0, 256) });
    if (i % 3 === 0) seeds.push({ time: at, tz: 60, client: s.slice(0, 256), server: s.slice(0, 256), service: i % 2 ? 'ROUTING' : 'UNIVERSAL' });
    if (s.length <= 16) seeds.push({ time: at, tz: -60, duration: s, methodGroup: i % 2 ? 'ROUTE' : 'PLAN' });
  });
  awkwardTimes.forEach(([time, tz], i) => seeds.push({ time, tz, points: [0, -1, 2_147_483_647, -2_147_483_648, 7][i % 5] }));
  await insert(user.username, seeds);
  await insert(admin.username, [
    { time: '2021-03-03 12:00:00+00', tz: 0, operation: 'admin\u2028row' },
    { time: '0001-01-01 00:00:00+00', tz: -1, operation: 'admin far row' },
  ]);
}, 120_000);

afterAll(async () => {
  await sequelize.close();
});

const SORTS: Array<[string, string]> = [
  ['time', 'time'], ['username', 'username'], ['company_key', 'company_key'], ['service', 'service'], ['operation', 'operation'],
  ['method_group', 'method_group'], ['points_count', 'points_count'], ['duration', 'duration_ms'],
];

describe('the streamed audit body is byte for byte the Node serialiser\'s', () => {
  it.each(SORTS.flatMap(([field, column]) => (['ASC', 'DESC'] as const).map((dir) => [field, column, dir] as const)))(
    'a user\'s actions sorted by %s (%s) %s',
    async (field, column, dir) => {
      const { text, statistics, maxId } = await streamed(user.token, { sort_field: field, sort_direction: dir });
      expect(statistics.filter.total).toBeGreaterThan(FILLER);
      expect(text).toBe(await oracle({ scope: 'username', scopeValue: user.username, sort: column, dir, statistics, maxId }));
    },
    60_000,
  );

  it('with the service and method group filters and an offset', async () => {
    const { text, statistics, maxId } = await streamed(user.token, { service_name: 'UNIVERSAL', method_group: 'PLAN', offset: 7, sort_direction: 'DESC' });
    expect(text).toBe(await oracle({
      scope: 'username', scopeValue: user.username, sort: 'time', dir: 'DESC', offset: 7,
      where: ['service = $2', 'method_group = $3'], params: ['UNIVERSAL', 'PLAN'], statistics, maxId,
    }));
  }, 60_000);

  it('with an operation filter', async () => {
    // the plain rows' operation: the stream path (more than 10000 rows) with a third filter
    const { text, statistics, maxId } = await streamed(user.token, { operation_id: 'run_plan_calculation', sort_field: 'points_count' });
    expect(text).toBe(await oracle({
      scope: 'username', scopeValue: user.username, sort: 'points_count', dir: 'ASC', where: ['operation = $2'], params: ['run_plan_calculation'], statistics, maxId,
    }));
  }, 60_000);

  it.each(['ASC', 'DESC'] as const)('at a deep offset (the day seek), %s', async (dir) => {
    const { text, statistics, maxId } = await streamed(user.token, { offset: 1500, sort_direction: dir });
    expect(text).toBe(await oracle({ scope: 'username', scopeValue: user.username, sort: 'time', dir, offset: 1500, statistics, maxId }));
  }, 60_000);

  it('an ADMIN\'s company scope', async () => {
    const { text, statistics, maxId } = await streamed(admin.token, { sort_field: 'operation' });
    expect(statistics.filter.total).toBeGreaterThan(FILLER + 2);
    expect(text).toBe(await oracle({ scope: 'company_key', scopeValue: company, sort: 'operation', dir: 'ASC', statistics, maxId }));
  }, 60_000);
});

describe('rows PostgreSQL does not write (far times, offsets of 100 hours or more)', () => {
  it('are read back with the driver and written by actionJson, in place, also beyond the years a request can ask for', async () => {
    const who = unique('far');
    await insert(who, [
      ...awkwardTimes.map(([time, tz]) => ({ time, tz })),
      { time: '0044-03-15 12:00:00+00 BC', tz: 0 }, { time: '0001-01-01 00:00:00+00 BC', tz: 90 }, { time: '12000-06-01 00:00:00.25+00', tz: -90 },
      { time: '99999-01-01 00:00:00+00', tz: 0 }, { time: '2020-01-01 00:00:00+00', tz: -6000, operation: 'fallback "quoted" \u2028 😀' },
    ]);
    const inner = `SELECT ${COLUMNS}, time AS k, id, ${STREAM_EXTRA_COLUMNS} FROM account.audit_actions WHERE username = $1 ORDER BY time, id`;
    const got: string[] = [];
    let query: StreamQuery | undefined;
    let fastRows = 0;
    for await (const batch of streamBatches<unknown[]>(sequelize, streamActionsSql(inner, 's.k, s.id'), [who], 7, { rowMode: 'array', onQuery: (q) => { query = q; } })) {
      fastRows += batch.filter((r) => (r[0] as string).startsWith('{')).length;
      got.push(...await streamedActionsJson(batch, query!));
    }
    const want: string[] = [];
    for await (const rows of streamBatches<AuditRow>(sequelize, `SELECT ${COLUMNS} FROM account.audit_actions WHERE username = $1 ORDER BY time, id`, [who])) {
      for (const r of rows) want.push(actionJson(r));
    }
    expect(want).toHaveLength(awkwardTimes.length + 5);
    expect(got.join(',')).toBe(want.join(','));
    // both kinds were met: some rows written by PostgreSQL, the far ones by Node
    expect(fastRows).toBeGreaterThan(5);
    expect(fastRows).toBeLessThan(want.length - 10);
    expect(want.join(',')).toContain('"time":"+012000-05-31T22:30:00.250-01:30"');
    expect(want.join(',')).toContain('"time":"0000-12-31T23:30:00-00:30"');
  });
});

/** where PostgreSQL writes a row's text (stored or not): local time in 0001..9999 five days from either end, |offset| < 100 h */
const LOW = Date.parse('0001-01-06T00:00:00Z');
const HIGH = Date.parse('9999-12-26T00:00:00Z');
const writable = (r: AuditRow) => r.time.getTime() >= LOW && r.time.getTime() < HIGH && Math.abs(r.tz_offset_minutes) < 6000;

type StoredRow = AuditRow & { action_json: string | null };

/** rows with their stored text, read through the driver as the oracle reads them */
async function storedRows(where: string, params: unknown[]): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  for await (const rows of streamBatches<StoredRow>(sequelize, `SELECT ${COLUMNS}, action_json FROM account.audit_actions WHERE ${where} ORDER BY id`, params)) out.push(...rows);
  return out;
}

/** each row's stored text is actionJson's where PostgreSQL writes the row, NULL elsewhere; answers [stored, NULL] counts */
function expectStoredTexts(rows: StoredRow[]): [number, number] {
  let stored = 0;
  for (const r of rows) {
    const { action_json: text, ...row } = r;
    if (writable(row)) {
      stored++;
      expect({ id: row.trace_code, text }).toEqual({ id: row.trace_code, text: actionJson(row) });
    } else {
      expect({ id: row.trace_code, text }).toEqual({ id: row.trace_code, text: null });
    }
  }
  return [stored, rows.length - stored];
}

/** characters, not UTF-16 units: varchar(n) counts characters, and a cut emoji would not be valid JSON */
const cut = (s: string, n: number) => Array.from(s).slice(0, n).join('');

describe('the stored text (account.audit_actions.action_json)', () => {
  it('is actionJson of the row as inserted, or NULL where PostgreSQL does not write the row', async () => {
    // the fixture (plain rows, awkward strings in some fields, every awkward time) and the far rows of the suite above
    expectStoredTexts(await storedRows('company_key = $1', [company]));
    const [stored, none] = expectStoredTexts(await storedRows('username IN ($1, $2)', [user.username, admin.username]));
    expect(stored).toBeGreaterThan(FILLER);
    expect(none).toBe(awkwardTimes.filter(([time, tz]) => {
      const at = Date.parse(time.replace(' ', 'T').replace(/\+00$/, 'Z'));
      return !(at >= LOW && at < HIGH && Math.abs(tz) < 6000);
    }).length + 1); // + the ADMIN's far row

    // every string field awkward at once (the user and company too), over every awkward time and offset, and each
    // string once more at a plain time
    const co = unique('jsonco');
    const rows = awkwardStrings.flatMap((s, i) => [awkwardTimes[i % awkwardTimes.length], ['2022-02-02 02:02:02+00', 0] as const].map(([time, tz]) => ({
      username: cut(`u${s}`, 256), company_key: cut(`${co}${s}`, 256), client: cut(s, 256), server: cut(`${s}${s}`, 256),
      service: cut(s, 32), operation: cut(s, 256), method_group: cut(s, 32), duration: cut(s, 16), time, tz, points: [0, -1, 2_147_483_647, -2_147_483_648, 7][i % 5],
    })));
    await sequelize.query(
      `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, tz_offset_minutes,
                                          method_group, points_count, duration, duration_ms)
       SELECT s->>'username', s->>'company_key', gen_random_uuid(), s->>'client', s->>'server', s->>'service', s->>'operation',
              (s->>'time')::timestamptz, (s->>'tz')::int, s->>'method_group', (s->>'points')::int, s->>'duration', 0
         FROM json_array_elements(:rows::json) s`,
      { replacements: { rows: JSON.stringify(rows) } },
    );
    const read = await storedRows('left(company_key, $2) = $1', [co, co.length]);
    expect(read).toHaveLength(rows.length);
    const [awkwardStored, awkwardNone] = expectStoredTexts(read);
    expect(awkwardStored).toBeGreaterThan(awkwardStrings.length + 60);
    expect(awkwardNone).toBeGreaterThan(10);
    // the escaped form was written, not only the plain one
    const texts = read.map((r) => r.action_json).join('\n');
    for (const part of ['"operation":"a\\"b\\\\c"', '"duration":"\\t\\r\\n\\b\\f"', '"client":"c\\u001fx"', '"server":"line\u2028sepline\u2028sep"', '"method_group":"😀 emoji 🧪"']) {
      expect(texts).toContain(part);
    }
  });

  it('is written again by every update of the row, whatever the update sets it to', async () => {
    const who = unique('upd');
    await insert(who, [{ time: '2022-01-01 00:00:00+00', tz: 0 }]);
    const only = async () => {
      const rows = await storedRows('username = $1', [who]);
      expect(rows).toHaveLength(1);
      return rows[0];
    };
    const before = await only();
    expect(before.action_json).toBe(actionJson(before));
    expect(before.action_json).toContain('"time":"2022-01-01T00:00:00Z"');

    const update = (set: string, replacements: Record<string, unknown> = {}) =>
      sequelize.query(`UPDATE account.audit_actions SET ${set} WHERE username = :who`, { replacements: { who, ...replacements } });
    await update(`operation = :op, time = '2022-06-30 23:59:59.5+00', tz_offset_minutes = -571, points_count = -3`, { op: 'new "op" \\ \u2028 \u0007 😀' });
    const changed = await only();
    expect(changed.action_json).toBe(actionJson(changed));
    expect(changed.action_json).toContain('"operation":"new \\"op\\" \\\\ \u2028 \\u0007 😀"');
    expect(changed.action_json).toContain('"time":"2022-06-30T14:28:59.500-09:31"');

    await update(`action_json = '{"forged":true}'`);
    expect((await only()).action_json).toBe(actionJson(changed));

    await update('tz_offset_minutes = 6000'); // no longer written by PostgreSQL
    expect((await only()).action_json).toBeNull();
    await update('tz_offset_minutes = 5999');
    const back = await only();
    expect(back.action_json).toBe(actionJson(back));
    expect(back.action_json).toContain('"time":"2022-07-05T03:58:59.500+99:59"');
  });
});

/** an update no trigger sees (session_replication_role = replica): how rows written before the migration look */
async function withoutTriggers(sql: string, replacements: Record<string, unknown>) {
  await sequelize.transaction(async (transaction) => {
    await sequelize.query('SET LOCAL session_replication_role = replica', { transaction });
    await sequelize.query(sql, { replacements, transaction });
  });
}

async function storedCounts(): Promise<{ stored: number; none: number }> {
  const [[row]] = await sequelize.query(
    `SELECT count(action_json)::int AS stored, (count(*) - count(action_json))::int AS none FROM account.audit_actions WHERE company_key = :co`,
    { replacements: { co: company } },
  ) as unknown as [[{ stored: number; none: number }]];
  return row;
}

// after the suites above: these change the fixture's stored texts
describe('rows without stored text (written before the migration)', () => {
  it('stream byte-identically when no row has it', async () => {
    await withoutTriggers('UPDATE account.audit_actions SET action_json = NULL WHERE company_key = :co', { co: company });
    expect((await storedCounts()).stored).toBe(0);
    for (const [field, column, dir] of [['time', 'time', 'ASC'], ['operation', 'operation', 'DESC'], ['duration', 'duration_ms', 'ASC']] as const) {
      const { text, statistics, maxId } = await streamed(user.token, { sort_field: field, sort_direction: dir });
      expect(text).toBe(await oracle({ scope: 'username', scopeValue: user.username, sort: column, dir, statistics, maxId }));
    }
    const { text, statistics, maxId } = await streamed(admin.token, { offset: 1500, sort_direction: 'DESC' });
    expect(text).toBe(await oracle({ scope: 'company_key', scopeValue: company, sort: 'time', dir: 'DESC', offset: 1500, statistics, maxId }));
  }, 120_000);

  it('stream mixed with rows that have it byte-identically, and as the paged answers write them', async () => {
    // no text anywhere, then every other row written again by an update the trigger sees: the other half keeps none
    await withoutTriggers('UPDATE account.audit_actions SET action_json = NULL WHERE company_key = :co', { co: company });
    await sequelize.query('UPDATE account.audit_actions SET points_count = points_count WHERE company_key = :co AND id % 2 = 0', { replacements: { co: company } });
    const counts = await storedCounts();
    expect(counts.stored).toBeGreaterThan(FILLER / 2 - 100);
    expect(counts.none).toBeGreaterThan(FILLER / 2);
    expectStoredTexts(await storedRows('company_key = $1 AND action_json IS NOT NULL', [company]));

    for (const [field, column, dir] of [['time', 'time', 'DESC'], ['operation', 'operation', 'ASC'], ['points_count', 'points_count', 'DESC']] as const) {
      const { text, statistics, maxId } = await streamed(user.token, { sort_field: field, sort_direction: dir });
      expect(text).toBe(await oracle({ scope: 'username', scopeValue: user.username, sort: column, dir, statistics, maxId }));
    }
    const { text, statistics, maxId } = await streamed(admin.token, { sort_field: 'operation', sort_direction: 'DESC' });
    expect(text).toBe(await oracle({ scope: 'company_key', scopeValue: company, sort: 'operation', dir: 'DESC', statistics, maxId }));

    // the paged path (toActionWire and JSON.stringify, pages of at most 10000) writes the same actions; the period holds
    // plain rows only (the paged answers are checked against the spec, which the awkward ones are not meant to pass)
    // and none of the calls' own actions, so that the three answers hold the same rows
    const query = { from: '2021-03-02T00:10:00Z', to: '2021-03-31T00:00:00Z', sort_field: 'points_count', sort_direction: 'DESC' };
    const whole = await streamed(user.token, query);
    const actions = (body: string) => body.slice('{"actions":['.length, body.lastIndexOf('],"statistics":'));
    const pages: string[] = [];
    for (const offset of [0, 10_000]) {
      const res = await agent.get('/account/audit').set('Authorization', `Bearer ${user.token}`).query({ ...query, limit: 10_000, offset });
      expect(res.status).toBe(200);
      expect(res.headers['transfer-encoding']).toBeUndefined(); // answered at once
      pages.push(actions(res.text));
    }
    expect(whole.statistics.filter.total).toBeGreaterThan(10_000);
    expect(actions(whole.text)).toBe(pages.join(','));
  }, 120_000);
});
