import { MSG } from '../../handlers/sm/_errors';
import { instantOf, occurrences, wallClock } from '../../handlers/sm/_recurrence';
import { BASE, HOUR, smHarness, window, world, type Harness } from './_fixtures';

describe('recurrence: wall-clock times in an IANA zone across DST', () => {
  it('02:30 Europe/Berlin every Sunday: CET, the skipped hour moved forward, then CEST', async () => {
    const start = Date.parse('2026-03-22T02:30:00+01:00');
    const occ = (await occurrences('FREQ=WEEKLY;BYDAY=SU;COUNT=3', 'Europe/Berlin', start, start + HOUR)).map(([s, e]) => [new Date(s).toISOString(), e - s]);
    expect(occ).toEqual([
      ['2026-03-22T01:30:00.000Z', HOUR], // 02:30 CET
      ['2026-03-29T01:30:00.000Z', HOUR], // 02:30 does not exist that night: 03:30 CEST
      ['2026-04-05T00:30:00.000Z', HOUR], // 02:30 CEST
    ]);
  });
  it('09:00 America/New_York daily over the November change', async () => {
    const start = Date.parse('2026-10-31T09:00:00-04:00');
    expect((await occurrences('FREQ=DAILY;COUNT=3', 'America/New_York', start, start + HOUR)).map(([s]) => new Date(s).toISOString()))
      .toEqual(['2026-10-31T13:00:00.000Z', '2026-11-01T14:00:00.000Z', '2026-11-02T14:00:00.000Z']);
  });
  it('wall clock and instant are inverse outside transitions', () => {
    const t = Date.parse('2026-07-01T12:00:00Z');
    expect(instantOf(wallClock(t, 'Asia/Kolkata'), 'Asia/Kolkata')).toBe(t);
  });
});

describe('recurring modes over HTTP (x-rrule, x-timezone)', () => {
  let h: Harness;
  let w: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    h = await smHarness();
    w = await world(h);
  });
  afterAll(() => h.close());

  const ask = (ci: number, at: number) => h.call('get', `/api/public/sm/v1/x-config-items/${ci}/maintenance`, {
    token: w.alice.token, query: { at: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });

  it('an hourly series: in maintenance during occurrences only; Active during one, its start fixed while it runs', async () => {
    const first = window(-0.5, 0.25); // 45 minutes, started half an hour ago
    const res = await h.call('post', BASE, { token: w.alice.token, body: { ...first, configItems: [{ id: 2 }], 'x-rrule': 'FREQ=HOURLY;INTERVAL=2;COUNT=5', 'x-timezone': 'Europe/Berlin' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ 'x-rrule': 'FREQ=HOURLY;INTERVAL=2;COUNT=5', 'x-timezone': 'Europe/Berlin', configItems: [{ state: 'Active' }] });
    const start = Date.parse(first.dateStart);
    expect((await ask(2, start + 10 * 60_000)).body.modeIds).toEqual([res.body.id]);
    expect((await ask(2, start + HOUR)).body.modeIds).toEqual([]); // between the first and second occurrences
    expect((await ask(2, start + 2 * HOUR + 60_000)).body.modeIds).toEqual([res.body.id]);
    expect((await ask(2, start + 10 * HOUR)).body.modeIds).toEqual([]); // after the fifth

    // the first occurrence is over once its end passes: move the clock by rewriting the series an hour back
    const past = { dateStart: new Date(start - HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z'), dateEnd: new Date(start - HOUR + 45 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    const moved = await h.call('put', `${BASE}/${res.body.id}`, { token: w.alice.token, body: { ...past, configItems: [{ id: 2 }], 'x-rrule': 'FREQ=HOURLY;INTERVAL=2;COUNT=5' } });
    expect(moved).toMatchObject({ status: 400, body: { message: MSG.startedCannotMoveStart } }); // an occurrence is under way
  });

  it('between occurrences (first passed) the series is Pending, editable, and its entries show the next occurrence', async () => {
    const first = window(-3, -2.5);
    const res = await h.call('post', BASE, { token: w.alice.token, body: { ...first, configItems: [{ id: 3 }], 'x-rrule': 'FREQ=HOURLY;INTERVAL=4;COUNT=3' } });
    expect(res.status).toBe(201);
    expect(res.body.configItems[0].state).toBe('Pending');
    expect(Date.parse(res.body.configItems[0].dateStart)).toBe(Date.parse(first.dateStart) + 4 * HOUR);
    expect(res.body['x-timezone']).toBe('UTC');
    const edited = await h.call('patch', `${BASE}/${res.body.id}`, { token: w.alice.token, body: { title: 'weekly db', 'x-rrule': 'FREQ=HOURLY;INTERVAL=4;COUNT=4' } });
    expect(edited).toMatchObject({ status: 200, body: { title: 'weekly db', 'x-rrule': 'FREQ=HOURLY;INTERVAL=4;COUNT=4' } });
    const cancelled = await h.call('patch', `${BASE}/${res.body.id}`, { token: w.alice.token, body: { cancel: true } });
    expect(cancelled.body.configItems[0].state).toBe('Cancelled');
    expect((await ask(3, Date.parse(first.dateStart) + 60_000)).body.modeIds).toEqual([res.body.id]); // the past stays
    expect((await ask(3, Date.parse(first.dateStart) + 4 * HOUR + 60_000)).body.modeIds).toEqual([]);
  });

  it('a series whose last occurrence is over cannot be created; a bad rule or zone is a wrong model; null makes it single', async () => {
    expect(await h.call('post', BASE, { token: w.alice.token, body: { ...window(-5, -4), configItems: [{ id: 2 }], 'x-rrule': 'FREQ=HOURLY;COUNT=2' } }))
      .toMatchObject({ status: 400, body: { message: MSG.endInPast } });
    expect(await h.call('post', BASE, { token: w.alice.token, body: { ...window(1, 2), configItems: [{ id: 2 }], 'x-rrule': 'FREQ=SOMETIMES' } }))
      .toMatchObject({ status: 400, body: { message: MSG.wrongModel, bodyFields: { 'x-rrule': expect.any(Array) } } });
    expect(await h.call('post', BASE, { token: w.alice.token, body: { ...window(1, 2), configItems: [{ id: 2 }], 'x-rrule': 'FREQ=DAILY', 'x-timezone': 'Mars/Olympus' } }))
      .toMatchObject({ status: 400, body: { message: MSG.wrongModel, bodyFields: { 'x-timezone': ['is not an IANA time zone'] } } });
    const series = await h.call('post', BASE, { token: w.alice.token, body: { ...window(1, 2), configItems: [{ id: 2 }], 'x-rrule': 'FREQ=DAILY;COUNT=3' } });
    const single = await h.call('patch', `${BASE}/${series.body.id}`, { token: w.alice.token, body: { 'x-rrule': null } });
    expect(single.status).toBe(200);
    expect(single.body).not.toHaveProperty('x-rrule');
    const [[occ]] = await h.sequelize.query('SELECT count(*)::int AS n FROM sm.mode_occurrences WHERE mode_id = :id', { replacements: { id: series.body.id } });
    expect(occ).toEqual({ n: 1 });
  });

  it('a rule the library cannot expand in time, or refuses, is a wrong model; the server keeps answering meanwhile', async () => {
    const at = { dateStart: '2031-07-09T10:56:17+03:00', dateEnd: '2031-07-12T10:56:17+03:00' };
    for (const rule of [
      'FREQ=HOURLY;INTERVAL=24;BYHOUR=1', // the library's loop never reaches 01:00 from 07:56 UTC in steps of 24 hours
      'FREQ=MINUTELY;INTERVAL=60;BYMINUTE=1',
      'FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30', // no such day: seconds of ten years searched
      'FREQ=DAILY;BYSETPOS=400', 'FREQ=DAILY;BYSETPOS=0', // out of the library's range
    ]) {
      const ticks: number[] = [];
      const timer = setInterval(() => ticks.push(Date.now()), 50);
      const t0 = Date.now();
      const res = await h.call('post', BASE, { token: w.alice.token, body: { ...at, title: 'r', configItems: [{ id: 2 }], 'x-rrule': rule } });
      clearInterval(timer);
      expect({ rule, status: res.status, body: res.body }).toMatchObject({ rule, status: 400, body: { message: MSG.wrongModel, bodyFields: { 'x-rrule': expect.any(Array) } } });
      // the event loop was never held: no gap between the ticks much above their period
      const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
      expect(Math.max(0, ...gaps, ticks.length ? ticks[0] - t0 : 0)).toBeLessThan(1000);
    }
    const series = await h.call('post', BASE, { token: w.alice.token, body: { ...at, title: 'r', configItems: [{ id: 2 }], 'x-rrule': 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29' } });
    expect(series.status).toBe(201); // leap days only: a few occurrences in ten years
    const [[occ]] = await h.sequelize.query('SELECT count(*)::int AS n FROM sm.mode_occurrences WHERE mode_id = :id', { replacements: { id: series.body.id } });
    expect(occ).toEqual({ n: 4 }); // the first window and 2032, 2036, 2040
  });
});
