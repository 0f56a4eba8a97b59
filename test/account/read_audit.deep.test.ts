/**
 * GET /account/audit at deep offsets sorted by time (issue 13): whole UTC months and days are skipped by their
 * trigger-kept counts (account.audit_month_counts, audit_day_counts), and every page is exactly the page a plain OFFSET
 * over the trail gives, ascending and descending, with periods that cut days and months in the middle, for a user and
 * for an ADMIN's company. seekDay itself is checked against the day and offset SQL finds, so a seek that gave up (and
 * left the plain offset to walk) would fail too.
 */
import { QueryTypes } from 'sequelize';
import { accountHarness, createUser, type Harness, type TestUser } from './_fixtures';
import { seekDay } from '../../handlers/account/_audit-seek';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

/** n actions of the user, spread over `days` UTC days from `start` (uneven: every 7th minute, some hours denser) */
async function seed(u: TestUser, n: number, start: string, days: number): Promise<void> {
  await h.sequelize.query(
    `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, method_group)
     SELECT :u, :c, gen_random_uuid(), :c || '_|_' || :u, 'seed', 'UNIVERSAL', 'op' || (i % 5), 
            CAST(:start AS timestamptz) + make_interval(mins => (i * 7919) % (:days * 1440)) + make_interval(secs => i % 3),
            'PLAN'
       FROM generate_series(1, :n) AS i`,
    { replacements: { u: u.username, c: u.companyKey, start, days, n } },
  );
}

/** the page a plain OFFSET gives (the reference), as trace codes */
async function reference(where: string, repl: Record<string, unknown>, dir: 'ASC' | 'DESC', offset: number, limit: number): Promise<string[]> {
  const rows = await h.sequelize.query<{ trace_code: string }>(
    `SELECT trace_code FROM account.audit_actions WHERE ${where} ORDER BY time ${dir}, id ${dir} OFFSET :offset LIMIT :limit`,
    { replacements: { ...repl, offset, limit }, type: QueryTypes.SELECT });
  return rows.map((r) => r.trace_code);
}

const page = async (u: TestUser, query: Record<string, string | number>) => {
  const res = await h.call('get', '/account/audit', { token: u.token, query });
  expect(res.status).toBe(200);
  return { codes: (res.body.actions as Array<{ tracedata: { code: string } }>).map((a) => a.tracedata.code), total: res.body.statistics.filter.total as number };
};

describe('deep offsets sorted by time', () => {
  let u: TestUser;
  let admin: TestUser;
  beforeAll(async () => {
    u = await createUser(h);
    admin = await createUser(h, { companyKey: u.companyKey, roles: 'USER,ADMIN' });
    await seed(u, 6000, '2024-01-03T05:00:00Z', 9);
    await seed(admin, 1500, '2024-01-01T00:00:00Z', 12);
  });

  it('keeps the day counts equal to the trail', async () => {
    const [{ bad }] = await h.sequelize.query<{ bad: number }>(
      `SELECT count(*)::int AS bad FROM (
         SELECT 'u:' || username AS scope, (time AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM account.audit_actions
          WHERE company_key = :c GROUP BY 1, 2
         UNION ALL
         SELECT 'c:' || company_key, (time AT TIME ZONE 'UTC')::date, count(*) FROM account.audit_actions WHERE company_key = :c GROUP BY 1, 2
       ) t FULL JOIN (SELECT scope, day, n FROM account.audit_day_counts WHERE company_key = :c AND n <> 0) d USING (scope, day)
       WHERE t.n IS DISTINCT FROM d.n`,
      { replacements: { c: u.companyKey }, type: QueryTypes.SELECT });
    expect(bad).toBe(0);
  });

  const periods: Array<[string, string]> = [
    ['2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z'], // covers everything
    ['2024-01-04T13:17:00Z', '2024-01-10T08:00:00.5Z'], // cuts days at both ends
  ];
  for (const [from, to] of periods) {
    for (const dir of ['ASC', 'DESC'] as const) {
      it(`${from}..${to} ${dir}: the same pages as a plain OFFSET, for the user and the company`, async () => {
        for (const [who, where] of [[u, 'username = :u'], [admin, 'company_key = :c']] as const) {
          const repl = { u: who.username, c: who.companyKey, from, to };
          const cond = `${where} AND time >= CAST(:from AS timestamptz) AND time <= CAST(:to AS timestamptz)`;
          const total = Number((await h.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM account.audit_actions WHERE ${cond}`,
            { replacements: repl, type: QueryTypes.SELECT }))[0].n);
          expect(total).toBeGreaterThan(1500);
          for (const offset of [999, 1000, 1234, Math.floor(total / 2), total - 250, total - 1, total]) {
            const got = await page(who, { from, to, sort_field: 'time', sort_direction: dir, offset, limit: 100 });
            expect(got.total).toBe(total);
            expect(got.codes).toEqual(await reference(cond, repl, dir, offset, 100));
          }
        }
      });
    }
  }

  it('follows deletions (the counts go down with the trail)', async () => {
    await h.sequelize.query(`DELETE FROM account.audit_actions WHERE username = :u AND time < '2024-01-06T00:00:00Z'`, { replacements: { u: u.username } });
    const from = '2024-01-01T00:00:00Z';
    const to = '2024-02-01T00:00:00Z';
    const cond = `username = :u AND time >= CAST(:from AS timestamptz) AND time <= CAST(:to AS timestamptz)`;
    const got = await page(u, { from, to, sort_field: 'time', offset: 2000, limit: 50 });
    expect(got.codes).toEqual(await reference(cond, { u: u.username, from, to }, 'ASC', 2000, 50));
  });
});

describe('deep offsets over months', () => {
  let u: TestUser;
  let admin: TestUser;
  const DAY = 86_400_000;
  beforeAll(async () => {
    u = await createUser(h);
    admin = await createUser(h, { companyKey: u.companyKey, roles: 'USER,ADMIN' });
    await seed(u, 8000, '2023-11-15T07:00:00Z', 200);
    await seed(admin, 3000, '2023-10-01T00:00:00Z', 150);
  });

  const monthsMatchTrail = async () => {
    const [{ bad }] = await h.sequelize.query<{ bad: number }>(
      `SELECT count(*)::int AS bad FROM (
         SELECT 'u:' || username AS scope, date_trunc('month', time AT TIME ZONE 'UTC')::date AS month, count(*) AS n
           FROM account.audit_actions WHERE company_key = :c GROUP BY 1, 2
         UNION ALL
         SELECT 'c:' || company_key, date_trunc('month', time AT TIME ZONE 'UTC')::date, count(*) FROM account.audit_actions
          WHERE company_key = :c GROUP BY 1, 2
       ) t FULL JOIN (SELECT scope, month, n FROM account.audit_month_counts WHERE company_key = :c AND n <> 0) m USING (scope, month)
       WHERE t.n IS DISTINCT FROM m.n`,
      { replacements: { c: u.companyKey }, type: QueryTypes.SELECT });
    return bad;
  };

  it('keeps the month counts equal to the trail', async () => {
    expect(await monthsMatchTrail()).toBe(0);
  });

  const periods: Array<[string, string]> = [
    ['2023-01-01T00:00:00Z', '2025-01-01T00:00:00Z'], // covers everything: whole months only, between partial edges
    ['2023-12-10T13:17:00Z', '2024-04-20T08:00:00.5Z'], // cuts days and months at both ends
    ['2024-01-03T00:00:00Z', '2024-02-27T23:59:59.999Z'], // across one month's end, no whole month
    ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'], // one whole month, the end day partial (its first instant)
  ];

  /** where a page at `offset` starts, by SQL: the UTC day of its first row and how many rows of that day precede it */
  async function expected(cond: string, repl: Record<string, unknown>, dir: 'ASC' | 'DESC', offset: number) {
    const [row] = await h.sequelize.query<{ day: number; before: string }>(
      `WITH first AS (SELECT floor(extract(epoch FROM time) / 86400)::int AS day FROM account.audit_actions WHERE ${cond}
                       ORDER BY time ${dir}, id ${dir} OFFSET :offset LIMIT 1)
       SELECT day, (SELECT count(*) FROM account.audit_actions WHERE ${cond} AND
                    ${dir === 'ASC' ? "time < to_timestamp(day * 86400.0)" : "time >= to_timestamp((day + 1) * 86400.0)"}) AS before
         FROM first`,
      { replacements: { ...repl, offset }, type: QueryTypes.SELECT });
    return { dayStart: row.day * DAY, offset: offset - Number(row.before) };
  }

  for (const [from, to] of periods) {
    for (const dir of ['ASC', 'DESC'] as const) {
      it(`${from}..${to} ${dir}: seekDay lands on the right day, and the pages are a plain OFFSET's`, async () => {
        for (const [who, where, scopeKey] of [[u, 'username = :u', 'u:'], [admin, 'company_key = :c', 'c:']] as const) {
          const repl = { u: who.username, c: who.companyKey, from, to };
          const cond = `${where} AND time >= CAST(:from AS timestamptz) AND time <= CAST(:to AS timestamptz)`;
          const total = Number((await h.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM account.audit_actions WHERE ${cond}`,
            { replacements: repl, type: QueryTypes.SELECT }))[0].n);
          expect(total).toBeGreaterThan(1000);
          const offsets = [...new Set([1000, Math.floor(total / 3), Math.floor(total / 2), total - 500, total - 1].filter((o) => o >= 1000 && o < total))];
          expect(offsets.length).toBeGreaterThan(0);
          for (const offset of offsets) {
            const seek = await seekDay({
              scope: where === 'username = :u' ? 'username = $1' : 'company_key = $1',
              scopeValue: where === 'username = :u' ? who.username : who.companyKey,
              scopeKey: scopeKey + (scopeKey === 'u:' ? who.username : who.companyKey),
              from: Date.parse(from), to: Date.parse(to), offset, descending: dir === 'DESC',
            });
            const want = await expected(cond, repl, dir, offset);
            // undefined only where the page starts in the walk's first, partial day
            if (seek === undefined) {
              const edgeDay = Math.floor(Date.parse(dir === 'ASC' ? from : to) / DAY) * DAY;
              expect(want.dayStart).toBe(edgeDay);
            } else {
              expect(seek).toEqual(want);
            }
            const got = await page(who, { from, to, sort_field: 'time', sort_direction: dir, offset, limit: 100 });
            expect(got.total).toBe(total);
            expect(got.codes).toEqual(await reference(cond, repl, dir, offset, 100));
          }
        }
      });
    }
  }

  it('follows deletions across months', async () => {
    await h.sequelize.query(`DELETE FROM account.audit_actions WHERE username = :u AND time >= '2024-01-15T00:00:00Z' AND time < '2024-03-02T00:00:00Z'`,
      { replacements: { u: u.username } });
    expect(await monthsMatchTrail()).toBe(0);
    const from = '2023-01-01T00:00:00Z';
    const to = '2025-01-01T00:00:00Z';
    const cond = `username = :u AND time >= CAST(:from AS timestamptz) AND time <= CAST(:to AS timestamptz)`;
    for (const offset of [2500, 4000]) {
      const got = await page(u, { from, to, sort_field: 'time', offset, limit: 50 });
      expect(got.codes).toEqual(await reference(cond, { u: u.username, from, to }, 'ASC', offset, 50));
    }
  });
});
