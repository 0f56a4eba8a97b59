/** GET /account/statistics */
import { accountHarness, createUser, expectTracedError, recordEvents, usageEvent, type Harness, roomyDefaultQuota } from './_fixtures';

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
    const res = await h.call('get', URL, { token: u.token, query: { from: day(0), to: day(3653) } });
    expect(res.status).toBe(400);
    expectTracedError(res, 'generate_statistics');
    expect(res.body.message).toMatch(/3653/);
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
