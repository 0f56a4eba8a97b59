/**
 * account.usage_days (models/migrations/20261202-0402-account-usage-days.ts) against the aggregation it replaced: the
 * statistics' SQL over account.audit_actions, kept here as the oracle, must give the same rows after every way actions
 * arrive (usage ingestion, the audit outbox, several batches, concurrent transactions) and after a timezone change.
 */
import { QueryTypes } from 'sequelize';
import { Client } from 'pg';
import { flushAudit, recordAction } from '../../handlers/account/_audit';
import { usageRows, type UsageRow } from '../../handlers/account/_statistics';
import { User } from '../../models/account';
import { accountHarness, createUser, recordEvents, usageEvent, type Harness, type TestUser, roomyDefaultQuota } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });
roomyDefaultQuota();

const FROM = '2000-01-01';
const TO = '2099-12-31';

/** The statistics' aggregation before the roll-up (handlers/account/_statistics.ts until 2026-12-02). */
async function oracle(username: string, tz: number, from = FROM, to = TO): Promise<UsageRow[]> {
  const rows = await h.sequelize.query<UsageRow>(
    `SELECT date, service, method_group, sum(max_points)::bigint AS unique_points, sum(sum_points)::bigint AS points
       FROM (SELECT to_char(time AT TIME ZONE make_interval(hours => :tz), 'YYYY-MM-DD') AS date, service, method_group,
                    trace_code, max(points_count) AS max_points, sum(points_count) AS sum_points
               FROM account.audit_actions
              WHERE username = :u
                AND time >= (CAST(:from AS date)::timestamp - make_interval(hours => :tz)) AT TIME ZONE 'UTC'
                AND time < ((CAST(:to AS date) + 1)::timestamp - make_interval(hours => :tz)) AT TIME ZONE 'UTC'
              GROUP BY 1, 2, 3, 4) per_trace
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3`,
    { replacements: { u: username, tz, from, to }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ ...r, unique_points: Number(r.unique_points), points: Number(r.points) }));
}

async function rollup(username: string, from = FROM, to = TO): Promise<UsageRow[]> {
  const user = await User.findOne({ where: { username } });
  return usageRows(user!, from, to);
}

async function state(username: string): Promise<number | null | undefined> {
  const [row] = await h.sequelize.query<{ tz: number | null }>('SELECT tz FROM account.usage_state WHERE username = :u',
    { replacements: { u: username }, type: QueryTypes.SELECT });
  return row?.tz;
}

/**
 * The roll-up read between two oracle reads of the trail. The user's own API calls (its login) reach the trail through
 * the outbox job at a moment of its own; when the trail changed between the two oracle reads, the comparison is made
 * again, so the roll-up is always judged against the trail as it was while it was read.
 */
async function bracketed(u: TestUser, tz: number, period: [string, string] = [FROM, TO]): Promise<{ expected: UsageRow[]; got: UsageRow[] }> {
  for (let attempt = 1; ; attempt++) {
    await flushAudit();
    const expected = await oracle(u.username, tz, ...period);
    const got = await rollup(u.username, ...period);
    const after = await oracle(u.username, tz, ...period);
    if (JSON.stringify(after) === JSON.stringify(expected) || attempt === 5) return { expected, got };
  }
}

/** The roll-up equals the oracle for the user's timezone, over everything and over a narrower period. */
async function expectSame(u: TestUser, tz: number, narrow?: [string, string]) {
  const all = await bracketed(u, tz);
  expect(all.expected.length).toBeGreaterThan(0);
  expect(all.got).toEqual(all.expected);
  if (narrow) {
    const part = await bracketed(u, tz, narrow);
    expect(part.got).toEqual(part.expected);
  }
}

const action = (u: TestUser, time: string, points: number, code: string, over: { service?: string; methodGroup?: string } = {}) => ({
  username: u.username, companyKey: u.companyKey, traceCode: code, client: `${u.companyKey}_|_${u.username}`, server: 'worker_1',
  service: over.service ?? 'UNIVERSAL', operation: 'run_plan_calculation', time: new Date(time), methodGroup: over.methodGroup ?? 'PLAN',
  pointsCount: points,
});

/** Raw inserts on a connection of their own (for transactions held open across another's statements). */
function insertSql(u: TestUser, rows: Array<[time: string, points: number, code: string]>) {
  return {
    text: `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, method_group, points_count)
           SELECT $1::text, $2::text, code, $2::text || '_|_' || $1::text, 'worker_1', 'UNIVERSAL', 'run_plan_calculation', t, 'PLAN', p
             FROM unnest($3::uuid[], $4::timestamptz[], $5::int[]) AS x(code, t, p)`,
    values: [u.username, u.companyKey, rows.map((r) => r[2]), rows.map((r) => r[0]), rows.map((r) => r[1])],
  };
}

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  return c;
}

/** Resolves once `pid` waits for a lock (its statement is blocked on the other transaction). */
async function waitingForLock(pid: number) {
  for (let i = 0; i < 200; i++) {
    const [row] = await h.sequelize.query<{ w: string | null }>('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = :pid',
      { replacements: { pid }, type: QueryTypes.SELECT });
    if (row?.w === 'Lock') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}

describe('usage roll-up', () => {
  it('equals the aggregation over the trail for traces across hours, days, services and retries, in several batches', async () => {
    for (const tz of [5, -7]) {
      const u = await createUser(h, { timezone: tz });
      const [long, shared, retried] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      // batch 1
      await recordEvents([
        usageEvent(u, { time: '2024-03-01T10:00:00Z', points_count: 10, code: long }),
        usageEvent(u, { time: '2024-03-01T16:30:00Z', points_count: 30, code: long }), // next local day at +8 or later
        usageEvent(u, { time: '2024-03-02T06:00:00Z', points_count: 20, code: long }), // previous local day at -7
        usageEvent(u, { time: '2024-03-01T11:00:00Z', points_count: 7, code: shared }),
        usageEvent(u, { time: '2024-03-01T11:05:00Z', points_count: 9, code: shared, method_group: 'ACTUALIZE' }),
        usageEvent(u, { time: '2024-03-01T11:10:00Z', points_count: 4, code: shared, service: 'ROUTING', method_group: 'MATRIX', operation: 'run_matrix' }),
        usageEvent(u, { time: '2024-03-01T12:00:00Z', points_count: 15, code: retried }),
        usageEvent(u, { time: '2024-03-01T12:01:00Z', points_count: 15, code: retried }),
        usageEvent(u, { time: '2024-03-01T23:30:00Z', points_count: 3 }),
      ]);
      await expectSame(u, tz);
      // batch 2: retries of those traces, lower and higher than what is there, and new ones
      await recordEvents([
        usageEvent(u, { time: '2024-03-01T13:00:00Z', points_count: 12, code: retried }), // lower: unique unchanged
        usageEvent(u, { time: '2024-03-01T18:59:00Z', points_count: 45, code: long }), // higher
        usageEvent(u, { time: '2024-03-01T11:20:00Z', points_count: 2, code: shared, method_group: 'ACTUALIZE' }),
        usageEvent(u, { time: '2024-03-03T00:00:00Z', points_count: 0, code: shared }), // zero points still list the day
        usageEvent(u, { time: '2024-03-05T04:00:00Z', points_count: 8 }),
      ]);
      await expectSame(u, tz, ['2024-03-02', '2024-03-03']);
      // batch 3: one statement with two retries of one trace, both above the earlier maximum
      await recordEvents([
        usageEvent(u, { time: '2024-03-01T12:30:00Z', points_count: 18, code: retried }),
        usageEvent(u, { time: '2024-03-01T12:40:00Z', points_count: 21, code: retried }),
      ]);
      await expectSame(u, tz);
      expect(await state(u.username)).toBe(tz);
    }
  });

  it('counts batches moved from the audit outbox like any other', async () => {
    const u = await createUser(h, { timezone: 2 });
    const code = crypto.randomUUID();
    await recordAction(action(u, '2025-01-10T21:30:00Z', 5, code));
    await recordAction(action(u, '2025-01-10T21:40:00Z', 9, code));
    await flushAudit();
    await recordAction(action(u, '2025-01-10T22:30:00Z', 7, code)); // 2025-01-11 00:30 at +2: another day
    await recordAction(action(u, '2025-01-10T21:50:00Z', 11, code));
    await recordAction(action(u, '2025-01-10T21:55:00Z', 1, crypto.randomUUID(), { service: 'PACKER', methodGroup: 'PACK' }));
    await flushAudit();
    await expectSame(u, 2);
    expect(await rollup(u.username, '2025-01-01', '2025-01-31')).toEqual([
      { date: '2025-01-10', service: 'PACKER', method_group: 'PACK', unique_points: 1, points: 1 },
      { date: '2025-01-10', service: 'UNIVERSAL', method_group: 'PLAN', unique_points: 11, points: 25 },
      { date: '2025-01-11', service: 'UNIVERSAL', method_group: 'PLAN', unique_points: 7, points: 7 },
    ]);
  });

  it('is rebuilt for the new timezone when the account\'s changes, and after actions were deleted', async () => {
    const u = await createUser(h, { timezone: 12 });
    const code = crypto.randomUUID();
    await recordEvents([
      usageEvent(u, { time: '2024-06-01T11:00:00Z', points_count: 10, code }), // 23:00 at +12, 23:00 the day before at -12
      usageEvent(u, { time: '2024-06-01T13:00:00Z', points_count: 30, code }), // next day at +12, 01:00 at -12
      usageEvent(u, { time: '2024-06-02T02:00:00Z', points_count: 6 }),
    ]);
    await expectSame(u, 12);
    await h.sequelize.query('UPDATE account.users SET timezone = -12 WHERE username = :u', { replacements: { u: u.username } });
    expect(await state(u.username)).toBe(12);
    await expectSame(u, -12);
    expect(await state(u.username)).toBe(-12);
    const [{ n }] = await h.sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM account.usage_days WHERE username = :u AND tz <> -12',
      { replacements: { u: u.username }, type: QueryTypes.SELECT });
    expect(n).toBe(0);
    // and it keeps up with new actions in the new timezone
    await recordEvents([usageEvent(u, { time: '2024-06-01T12:30:00Z', points_count: 50, code })]);
    await expectSame(u, -12);

    await h.sequelize.query("DELETE FROM account.audit_actions WHERE username = :u AND time > '2024-06-01T12:00:00Z'", { replacements: { u: u.username } });
    expect(await state(u.username)).toBeNull();
    await expectSame(u, -12);
    expect(await state(u.username)).toBe(-12);
  });

  it('loses nothing when actions arrive while the roll-up is rebuilt, whichever locks first', async () => {
    const u = await createUser(h, { timezone: 0 });
    const code = crypto.randomUUID();
    await recordEvents([usageEvent(u, { time: '2024-09-09T09:00:00Z', points_count: 10, code })]);
    const [a, b] = [await connect(), await connect()];
    try {
      const bPid = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // the rebuild first: the batch's trigger waits for it, then adds its rows in the new timezone
      await a.query('BEGIN');
      await a.query('SELECT account.usage_days_build($1, 3)', [u.username]);
      const inserting = b.query(insertSql(u, [['2024-09-09T22:00:00Z', 40, code], ['2024-09-09T20:00:00Z', 5, code]]));
      await waitingForLock(bPid);
      await a.query('COMMIT');
      await inserting;
      await h.sequelize.query('UPDATE account.users SET timezone = 3 WHERE username = :u', { replacements: { u: u.username } });
      await expectSame(u, 3);
      expect(await state(u.username)).toBe(3);

      // the batch first: the rebuild waits for it and then sees its actions
      await b.query('BEGIN');
      await b.query(insertSql(u, [['2024-09-10T01:00:00Z', 70, code], ['2024-09-11T01:00:00Z', 1, crypto.randomUUID()]]));
      const aPid = (await a.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const rebuilding = a.query('SELECT account.usage_days_build($1, -4)', [u.username]);
      await waitingForLock(aPid);
      await b.query('COMMIT');
      await rebuilding;
      await h.sequelize.query('UPDATE account.users SET timezone = -4 WHERE username = :u', { replacements: { u: u.username } });
      expect(await state(u.username)).toBe(-4);
      await expectSame(u, -4);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('counts a trace once when two concurrent batches both retry it', async () => {
    const u = await createUser(h);
    const code = crypto.randomUUID();
    const [a, b] = [await connect(), await connect()];
    try {
      const bPid = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await a.query('BEGIN');
      await a.query(insertSql(u, [['2024-10-01T08:00:00Z', 5, code]]));
      const second = b.query(insertSql(u, [['2024-10-01T09:00:00Z', 7, code]]));
      await waitingForLock(bPid);
      await a.query('COMMIT');
      await second;
      await expectSame(u, 0);
      expect(await rollup(u.username, '2024-10-01', '2024-10-01')).toEqual([{ date: '2024-10-01', service: 'UNIVERSAL', method_group: 'PLAN', unique_points: 7, points: 12 }]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('answers the statistics of a user whose roll-up was never built (actions under the name before the account)', async () => {
    const ghost: TestUser = { username: `ghost_${crypto.randomUUID().slice(0, 8)}`, companyKey: `co_${crypto.randomUUID().slice(0, 8)}`, password: '', token: '' };
    const seed = await connect();
    try {
      await seed.query(insertSql(ghost, [['2024-01-01T10:00:00Z', 4, crypto.randomUUID()]]));
    } finally {
      await seed.end();
    }
    expect(await state(ghost.username)).toBeUndefined();
    await h.sequelize.query(`INSERT INTO account.users (username, password_hash, company_key, timezone) VALUES (:u, 'x', :c, 1)`,
      { replacements: { u: ghost.username, c: ghost.companyKey } });
    expect(await state(ghost.username)).toBeNull();
    await expectSame(ghost, 1);
    expect(await state(ghost.username)).toBe(1);
  });
});
