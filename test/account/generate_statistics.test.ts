/** GET /account/statistics */
import { flushAudit } from '../../handlers/account/_audit';
import { dayPeriod } from '../../handlers/account/_period';
import { usageDatesJson, usageRows, type UsageRow } from '../../handlers/account/_statistics';
import { withUnitOfWork } from '../../lib/db/unit-of-work';
import { User } from '../../models/account';
import { conformance } from '../support/harness';
import { accountHarness, createUser, expectTracedError, recordEvents, usageEvent, type Harness, type TestUser, roomyDefaultQuota } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });
roomyDefaultQuota();

const URL = '/account/statistics';
const DAY = 86_400_000;

/** local YYYY-MM-DD of an instant for a timezone of whole hours east of UTC */
const localDate = (at: Date, tz: number) => new Date(at.getTime() + tz * 3_600_000).toISOString().slice(0, 10);
/** UTC instant (ISO) of local date `date` at `hhmm` in timezone tz */
const localInstant = (date: string, tz: number, hhmm = '12:00') => new Date(Date.parse(`${date}T${hhmm}:00Z`) - tz * 3_600_000).toISOString();
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

const MAX_DATES = 3653;
const REFUSAL = `the period holds usage on more than ${MAX_DATES} days, more than one answer lists; ask for a shorter period`;

type Dates = { date: string; services: { service: string; methods: { method_group: string; unique_points_per_day: number; points_per_day: number }[] }[] }[];

/**
 * The oracle: the answer as the handler built it before PostgreSQL wrote the body (docs/performance.md, stop 18),
 * nested objects from usageRows' rows, or the refusal where it threw. Kept here as it was.
 */
function builtBody(username: string, rows: UsageRow[]): { username: string; dates: Dates } | 'refused' {
  const dates: Dates = [];
  for (const r of rows) {
    let day = dates[dates.length - 1];
    if (day?.date !== r.date) {
      if (dates.length === MAX_DATES) return 'refused';
      dates.push((day = { date: r.date, services: [] }));
    }
    let svc = day.services[day.services.length - 1];
    if (svc?.service !== r.service) day.services.push((svc = { service: r.service, methods: [] }));
    svc.methods.push({ method_group: r.method_group, unique_points_per_day: r.unique_points, points_per_day: r.points });
  }
  return { username, dates };
}

/** What the old handler answered for an explicit period: usageRows in the caller's tenant scope, as a request reads. */
async function oracle(u: TestUser, query: { from: string; to: string }) {
  await flushAudit(); // the logins' and earlier calls' actions are in the trail before either side reads it
  const user = (await User.findOne({ where: { username: u.username } }))!;
  const period = dayPeriod(query, user.timezone);
  const rows = period.empty ? [] : await withUnitOfWork(h.sequelize, { tenant: user.companyKey }, () => usageRows(user, period.from, period.to));
  return builtBody(u.username, rows);
}

describe('generate_statistics', () => {
  it('lists usage per day, service and method group, summing points and counting a trace code once', async () => {
    const u = await createUser(h);
    const retried = crypto.randomUUID();
    await recordEvents([
      usageEvent(u, { time: '2024-02-05T09:00:00Z', points_count: 10, code: retried }),
      usageEvent(u, { time: '2024-02-05T10:00:00Z', points_count: 30, code: retried }), // a retry of the same process
      usageEvent(u, { time: '2024-02-05T11:00:00Z', points_count: 5 }),
      usageEvent(u, { time: '2024-02-05T12:00:00Z', points_count: 7, method_group: 'ACTUALIZE' }),
      usageEvent(u, { time: '2024-02-05T13:00:00Z', points_count: 100, service: 'ROUTING', method_group: 'MATRIX', operation: 'run_matrix' }),
      usageEvent(u, { time: '2024-02-06T08:00:00Z', points_count: 3 }),
      usageEvent(u, { time: '2024-02-06T09:00:00Z', points_count: 4 }),
    ]);
    const res = await h.call('get', URL, { token: u.token, query: { from: '2024-02-01', to: '2024-02-29' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      username: u.username,
      dates: [
        { date: '2024-02-05', services: [
          { service: 'ROUTING', methods: [{ method_group: 'MATRIX', unique_points_per_day: 100, points_per_day: 100 }] },
          { service: 'UNIVERSAL', methods: [
            { method_group: 'ACTUALIZE', unique_points_per_day: 7, points_per_day: 7 },
            { method_group: 'PLAN', unique_points_per_day: 35, points_per_day: 45 },
          ] },
        ] },
        { date: '2024-02-06', services: [
          { service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 7, points_per_day: 7 }] },
        ] },
      ],
    });
  });

  it('counts a trace code once per day with its largest points, whatever the order of recording', async () => {
    const u = await createUser(h);
    const code = crypto.randomUUID();
    await recordEvents([
      usageEvent(u, { time: '2023-07-10T09:00:00Z', points_count: 50, code }),
      usageEvent(u, { time: '2023-07-10T09:05:00Z', points_count: 20, code }),
      usageEvent(u, { time: '2023-07-10T09:10:00Z', points_count: 20, code }),
      // the same process on the next day counts again on that day
      usageEvent(u, { time: '2023-07-11T09:00:00Z', points_count: 8, code }),
    ]);
    const res = await h.call('get', URL, { token: u.token, query: { from: '2023-07-10', to: '2023-07-11' } });
    expect(res.status).toBe(200);
    expect(res.body.dates).toEqual([
      { date: '2023-07-10', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 50, points_per_day: 90 }] }] },
      { date: '2023-07-11', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 8, points_per_day: 8 }] }] },
    ]);
  });

  it('counts days in the account\'s timezone', async () => {
    const east = await createUser(h, { timezone: 3 });
    const west = await createUser(h, { timezone: -5 });
    await recordEvents([
      usageEvent(east, { time: '2024-02-04T22:30:00Z', points_count: 11 }), // 2024-02-05 01:30 at +3
      usageEvent(east, { time: '2024-02-04T20:59:59Z', points_count: 2 }), // 2024-02-04 23:59:59 at +3
      usageEvent(west, { time: '2024-02-05T03:00:00Z', points_count: 13 }), // 2024-02-04 22:00 at -5
      usageEvent(west, { time: '2024-02-05T05:00:00Z', points_count: 1 }), // 2024-02-05 00:00 at -5
    ]);
    const e = await h.call('get', URL, { token: east.token, query: { from: '2024-02-04', to: '2024-02-05' } });
    expect(e.status).toBe(200);
    expect(e.body.dates).toEqual([
      { date: '2024-02-04', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 2, points_per_day: 2 }] }] },
      { date: '2024-02-05', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 11, points_per_day: 11 }] }] },
    ]);
    // the period's bounds are local days too: 2024-02-05 alone excludes 2024-02-04 23:59:59 local
    const only5 = await h.call('get', URL, { token: east.token, query: { from: '2024-02-05', to: '2024-02-05' } });
    expect(only5.body.dates.map((d: { date: string }) => d.date)).toEqual(['2024-02-05']);
    expect(only5.body.dates[0].services[0].methods[0].points_per_day).toBe(11);

    const w = await h.call('get', URL, { token: west.token, query: { from: '2024-02-04', to: '2024-02-05' } });
    expect(w.status).toBe(200);
    expect(w.body.dates).toEqual([
      { date: '2024-02-04', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 13, points_per_day: 13 }] }] },
      { date: '2024-02-05', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 1, points_per_day: 1 }] }] },
    ]);
  });

  it('treats from and to as inclusive days', async () => {
    const u = await createUser(h);
    await recordEvents([
      usageEvent(u, { time: '2022-03-09T23:59:59Z', points_count: 1 }),
      usageEvent(u, { time: '2022-03-10T00:00:00Z', points_count: 2 }),
      usageEvent(u, { time: '2022-03-12T23:59:59.999Z', points_count: 3 }),
      usageEvent(u, { time: '2022-03-13T00:00:00Z', points_count: 4 }),
    ]);
    const res = await h.call('get', URL, { token: u.token, query: { from: '2022-03-10', to: '2022-03-12' } });
    expect(res.status).toBe(200);
    expect(res.body.dates.map((d: { date: string; services: { methods: { points_per_day: number }[] }[] }) => [d.date, d.services[0].methods[0].points_per_day]))
      .toEqual([['2022-03-10', 2], ['2022-03-12', 3]]);
    const one = await h.call('get', URL, { token: u.token, query: { from: '2022-03-13', to: '2022-03-13' } });
    expect(one.status).toBe(200);
    expect(one.body.dates).toEqual([{ date: '2022-03-13', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 4, points_per_day: 4 }] }] }]);
  });

  it('defaults to the first day of the current month up to yesterday, today excluded', async () => {
    const tz = 5;
    // fix "today" as the service will see it; start again (new account) on the rare crossing of local midnight
    for (let attempt = 0; attempt < 3; attempt++) {
      const u = await createUser(h, { timezone: tz });
      const now = new Date();
      const today = localDate(now, tz);
      const yesterday = addDays(today, -1);
      const firstOfMonth = `${today.slice(0, 8)}01`;
      const lastMonth = addDays(firstOfMonth, -1);
      const events = [
        usageEvent(u, { time: now.toISOString(), points_count: 1000 }), // today: never by default
        usageEvent(u, { time: localInstant(yesterday, tz, '23:30'), points_count: 20 }),
        usageEvent(u, { time: localInstant(firstOfMonth, tz, '00:00'), points_count: 300 }),
        usageEvent(u, { time: localInstant(lastMonth, tz, '23:59'), points_count: 4000 }), // last month: never by default
      ];
      await recordEvents(events);
      const res = await h.call('get', URL, { token: u.token });
      if (localDate(new Date(), tz) !== today) continue;
      expect(res.status).toBe(200);
      // the same rule as the spec: [first day of this month, yesterday], empty on the 1st
      const expected: Record<string, number> = {};
      for (const [date, points] of [[yesterday, 20], [firstOfMonth, 300]] as const) {
        if (date >= firstOfMonth && date <= yesterday) expected[date] = (expected[date] ?? 0) + points;
      }
      const got = Object.fromEntries(res.body.dates.map((d: { date: string; services: { service: string; methods: { points_per_day: number }[] }[] }) => {
        expect(d.services).toHaveLength(1);
        expect(d.services[0].service).toBe('UNIVERSAL');
        return [d.date, d.services[0].methods[0].points_per_day];
      }));
      expect(got).toEqual(expected);
      expect(res.body.dates.map((d: { date: string }) => d.date)).not.toContain(today);
      if (today.endsWith('-01')) expect(res.body.dates).toEqual([]);
      return;
    }
    throw new Error('local midnight crossed on every attempt');
  });

  it('with only one bound uses the default for the other; an empty period by default answers no dates', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2021-06-15T10:00:00Z', points_count: 9 })]);
    // to before the default from: empty, not a 400
    const onlyTo = await h.call('get', URL, { token: u.token, query: { to: '2021-06-30' } });
    expect(onlyTo.status).toBe(200);
    expect(onlyTo.body).toEqual({ username: u.username, dates: [] });
    // from in the future, to by default: empty as well
    const future = await h.call('get', URL, { token: u.token, query: { from: addDays(localDate(new Date(), 0), 5) } });
    expect(future.status).toBe(200);
    expect(future.body).toEqual({ username: u.username, dates: [] });
    // from in the past with the default to (yesterday) covers the event
    const fromOnly = await h.call('get', URL, { token: u.token, query: { from: '2021-06-01' } });
    expect(fromOnly.status).toBe(200);
    expect(fromOnly.body.dates[0]).toEqual({ date: '2021-06-15', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 9, points_per_day: 9 }] }] });
  });

  it('answers only days with usage, and no dates for a period without any', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2020-01-01T12:00:00Z', points_count: 1 }), usageEvent(u, { time: '2020-01-31T12:00:00Z', points_count: 1 })]);
    const res = await h.call('get', URL, { token: u.token, query: { from: '2020-01-01', to: '2020-01-31' } });
    expect(res.body.dates.map((d: { date: string }) => d.date)).toEqual(['2020-01-01', '2020-01-31']);
    const empty = await h.call('get', URL, { token: u.token, query: { from: '2020-01-02', to: '2020-01-30' } });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ username: u.username, dates: [] });
  });

  it('never includes another account\'s usage, even of a colleague for an ADMIN', async () => {
    const admin = await createUser(h, { roles: 'ADMIN' });
    const colleague = await createUser(h, { companyKey: admin.companyKey });
    const stranger = await createUser(h);
    await recordEvents([
      usageEvent(admin, { time: '2024-05-05T10:00:00Z', points_count: 1 }),
      usageEvent(colleague, { time: '2024-05-05T10:00:00Z', points_count: 20 }),
      usageEvent(colleague, { time: '2024-05-06T10:00:00Z', points_count: 20 }),
      usageEvent(stranger, { time: '2024-05-05T10:00:00Z', points_count: 300 }),
    ]);
    const a = await h.call('get', URL, { token: admin.token, query: { from: '2024-05-01', to: '2024-05-31' } });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ username: admin.username, dates: [
      { date: '2024-05-05', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 1, points_per_day: 1 }] }] },
    ] });
    const s = await h.call('get', URL, { token: stranger.token, query: { from: '2024-05-01', to: '2024-05-31' } });
    expect(s.body.dates).toEqual([
      { date: '2024-05-05', services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: 300, points_per_day: 300 }] }] },
    ]);
  });

  it('accepts a period of any length the schema allows, from 0001-01-01 to 9999-12-31', async () => {
    const u = await createUser(h, { timezone: -12 });
    await recordEvents([
      usageEvent(u, { time: '2009-12-31T12:00:00Z', points_count: 6 }),
      usageEvent(u, { time: '0001-01-01T12:00:00-12:00', points_count: 2 }), // the first local day there is
      usageEvent(u, { time: '9999-12-31T23:59:59.999-12:00', points_count: 3 }), // the last one
    ]);
    const line = (date: string, n: number) => ({ date, services: [{ service: 'UNIVERSAL', methods: [{ method_group: 'PLAN', unique_points_per_day: n, points_per_day: n }] }] });
    for (const query of <Record<string, string>[]>[{ from: '2000-01-01', to: '2010-01-01' }, { from: '1900-01-01', to: '2024-01-01' }]) {
      const res = await h.call('get', URL, { token: u.token, query });
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      expect(res.body.dates).toEqual([line('2009-12-31', 6)]);
    }
    const all = await h.call('get', URL, { token: u.token, query: { from: '0001-01-01', to: '9999-12-31' } });
    expect(all.status).toBe(200);
    const usage = (dates: { services: { service: string }[] }[]) => dates.filter((d) => d.services[0].service === 'UNIVERSAL'); // not the login's ACCOUNT line
    expect(usage(all.body.dates)).toEqual([line('0001-01-01', 2), line('2009-12-31', 6), line('9999-12-31', 3)]);
    const open = await h.call('get', URL, { token: u.token, query: { from: '0001-01-01' } }); // to defaults to yesterday
    expect(open.status).toBe(200);
    expect(usage(open.body.dates)).toEqual([line('0001-01-01', 2), line('2009-12-31', 6)]);
  });

  it('refuses, naming to, a period whose usage covers more days than one answer lists (3653)', async () => {
    const u = await createUser(h);
    const day = (i: number) => new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    await recordEvents(Array.from({ length: 3654 }, (_, i) => usageEvent(u, { time: `${day(i)}T12:00:00Z`, points_count: 1 })));
    const fits = await h.call('get', URL, { token: u.token, query: { from: day(0), to: day(3652) } });
    expect(fits.status).toBe(200);
    expect(fits.body.dates).toHaveLength(3653);
    expect(fits.raw.toString('utf8')).toBe(JSON.stringify(await oracle(u, { from: day(0), to: day(3652) })));
    const res = await h.call('get', URL, { token: u.token, query: { from: day(0), to: day(3653) } });
    expect(res.status).toBe(400);
    expectTracedError(res, 'generate_statistics');
    expect(res.body.message).toMatch(/3653/);
    // the same refusal as the object-building handler's, word for word
    expect(await oracle(u, { from: day(0), to: day(3653) })).toBe('refused');
    expect(Object.keys(res.body).sort()).toEqual(['message', 'tracedata']);
    expect(res.body.message).toBe(REFUSAL);
  });

  it('answers an explicit from after an explicit to as an empty period, not a 400', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2024-02-05T12:00:00Z', points_count: 4 }), usageEvent(u, { time: '2024-02-06T12:00:00Z', points_count: 5 })]);
    const res = await h.call('get', URL, { token: u.token, query: { from: '2024-02-06', to: '2024-02-05' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ username: u.username, dates: [] });
  });

  it('refuses malformed dates with 400', async () => {
    const u = await createUser(h);
    for (const query of <Record<string, string>[]>[{ from: '2024-13-01' }, { to: 'yesterday' }, { from: '2024-02-30' }, { to: '2024-2-5' }, { from: '2024-02-05T00:00:00Z' }, { from: '' }]) {
      const res = await h.call('get', URL, { token: u.token, query });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expectTracedError(res, 'generate_statistics');
    }
  });

  it('answers 401 without a valid token', async () => {
    for (const token of [undefined, 'not.a.jwt']) {
      const res = await h.call('get', URL, { token, query: { from: '2024-02-01', to: '2024-02-29' } });
      expect(res.status).toBe(401);
      expectTracedError(res, 'generate_statistics');
      expect(res.body.tracedata.client).toBe('anonymous');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });
});

describe('generate_statistics: the body PostgreSQL writes', () => {
  /** The answer is the old handler's, byte for byte (JSON.stringify of its object), and conforms to the spec. */
  async function expectAsBuilt(u: TestUser, query: { from: string; to: string }) {
    const expected = await oracle(u, query);
    const res = await h.call('get', URL, { token: u.token, query });
    expect({ query, status: res.status }).toEqual({ query, status: 200 });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    // the kernel checks a raw body's media type only: the body against the schema here (h.call does it too)
    expect(conformance(h.loaded, 'get', URL, res)).toEqual([]);
    expect(res.body).toEqual(expected);
    expect(res.raw.toString('utf8')).toBe(JSON.stringify(expected));
    return res;
  }

  it('answers what the object-building handler answered, over services, method groups, companies and a timezone', async () => {
    const u = await createUser(h, { timezone: 5 });
    const colleague = await createUser(h, { companyKey: u.companyKey, timezone: 5 });
    const retried = crypto.randomUUID();
    const groups: Array<[service: string, methodGroup: string]> = [
      ['UNIVERSAL', 'PLAN'], ['UNIVERSAL', 'ACTUALIZE'], ['ROUTING', 'MATRIX'], ['ROUTING', 'ROUTE'], ['PACKER', 'PACK'], ['STUDIO', 'VALIDATE'],
    ];
    const events: object[] = [];
    // six local days around a new year at +5, each with a different subset of the groups, some actions at the edges of
    // the local day (19:00 UTC is local midnight)
    for (let d = 0; d < 6; d++) {
      const date = addDays('2023-12-29', d);
      groups.forEach(([service, method_group], g) => {
        if ((d + g) % 3 === 0) return;
        const operation = service === 'ROUTING' ? 'run_matrix' : 'run_plan_calculation';
        events.push(usageEvent(u, { time: localInstant(date, 5, '00:00'), points_count: 10 * d + g, service, method_group, operation }));
        events.push(usageEvent(u, { time: localInstant(date, 5, '23:59'), points_count: g + 1, service, method_group, operation }));
      });
      events.push(usageEvent(u, { time: localInstant(date, 5, '12:00'), points_count: 40 + d, code: retried })); // one process, retried daily
      events.push(usageEvent(u, { time: localInstant(date, 5, '12:30'), points_count: 7, code: retried }));
      events.push(usageEvent(colleague, { time: localInstant(date, 5, '12:00'), points_count: 1000 })); // never the caller's
    }
    await recordEvents(events);
    // actions under the caller's name in another company (as before a move between companies): not in this tenant's answer
    await h.sequelize.query(
      `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, method_group, points_count)
       VALUES (:u, :c, gen_random_uuid(), :c || '_|_' || :u, 'worker_1', 'UNIVERSAL', 'run_plan_calculation', '2023-12-31T12:00:00Z', 'PLAN', 5000)`,
      { replacements: { u: u.username, c: `${u.companyKey}_old` } });

    const all = await expectAsBuilt(u, { from: '2023-12-29', to: '2024-01-03' });
    expect(all.body.dates).toHaveLength(6);
    expect(JSON.stringify(all.body)).not.toMatch(/5000|1000/);
    const services = new Set(all.body.dates.flatMap((d: { services: { service: string }[] }) => d.services.map((s) => s.service)));
    expect([...services].sort()).toEqual(['PACKER', 'ROUTING', 'STUDIO', 'UNIVERSAL']);
    await expectAsBuilt(u, { from: '2023-12-31', to: '2024-01-01' }); // a period inside the data
    await expectAsBuilt(u, { from: '2024-01-03', to: '2024-01-03' }); // its last day alone
    await expectAsBuilt(u, { from: '0001-01-01', to: '2023-12-29' }); // a far from up to the first day
    await expectAsBuilt(u, { from: '2024-01-04', to: '9999-12-31' }); // after the data: no dates
    await expectAsBuilt(u, { from: '2024-01-02', to: '2024-01-01' }); // from after to: no dates
  });

  it('answers an account without usage in the period with no dates, and the name as JSON text', async () => {
    const u = await createUser(h);
    const res = await expectAsBuilt(u, { from: '2020-01-01', to: '2020-12-31' });
    expect(res.raw.toString('utf8')).toBe(`{"username":"${u.username}","dates":[]}`);
  });

  it('prints sums as exact integers: at the schema\'s bounds through the API, beyond 2^53 in the SQL itself', async () => {
    const u = await createUser(h);
    const user = (await User.findOne({ where: { username: u.username } }))!;
    // straight into the roll-up (built for the account's timezone at creation): sums this large would take millions
    // of recorded actions
    const put = (day: string, methodGroup: string, points: string, uniquePoints: string) => h.sequelize.query(
      `INSERT INTO account.usage_days (username, tz, day, service, method_group, company_key, points, unique_points)
       VALUES (:u, :tz, :day, 'UNIVERSAL', :m, :c, :p, :up)`,
      { replacements: { u: u.username, tz: user.timezone, day, m: methodGroup, c: u.companyKey, p: points, up: uniquePoints } });
    await put('2022-05-01', 'PLAN', '10000000', '0');
    const res = await h.call('get', URL, { token: u.token, query: { from: '2022-05-01', to: '2022-05-01' } });
    expect(res.status).toBe(200);
    expect(res.raw.toString('utf8')).toBe(`{"username":"${u.username}","dates":[{"date":"2022-05-01","services":[{"service":"UNIVERSAL","methods":[`
      + '{"method_group":"PLAN","unique_points_per_day":0,"points_per_day":10000000}]}]}]}');
    // beyond what the schema admits (an answer holding them would be a drift): numeric sums print every digit, where
    // float8 text would round 2^53 + 1 and write 1e+18 forms
    await put('2022-05-02', 'PLAN', '9007199254740993', '4611686018427387904');
    await put('2022-05-02', 'TRACE', '-12', '1000000000000000000');
    const { json } = await withUnitOfWork(h.sequelize, { tenant: u.companyKey }, () => usageDatesJson(user, '2022-05-02', '2022-05-02'));
    expect(json).toBe('[{"date":"2022-05-02","services":[{"service":"UNIVERSAL","methods":['
      + '{"method_group":"PLAN","unique_points_per_day":4611686018427387904,"points_per_day":9007199254740993},'
      + '{"method_group":"TRACE","unique_points_per_day":1000000000000000000,"points_per_day":-12}]}]}]');
  });

  it('is checked against the schema: the check catches a body off it', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2021-09-09T12:00:00Z', points_count: 3 })]);
    const res = await expectAsBuilt(u, { from: '2021-09-01', to: '2021-09-30' });
    const off = structuredClone(res.body);
    off.dates[0].services[0].methods[0].points_per_day = '3';
    expect(conformance(h.loaded, 'get', URL, { ...res, body: off })).toEqual([expect.stringMatching(/body off schema/)]);
  });
});
