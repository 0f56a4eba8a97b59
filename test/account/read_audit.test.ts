/** GET /account/audit */
import { eventually } from '../support/harness';
import { accountHarness, count, createUser, expectTracedError, recordEvents, usageEvent, type Harness, type TestUser } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const URL = '/account/audit';

interface Action {
  username: string; company_key: string; method_group: string;
  tracedata: { code: string; client: string; server: string; service: string; operation: string; time: string };
  statistics: { points_count: number; duration: string };
}
const audit = (u: TestUser, query: Record<string, string | number> = {}) => h.call('get', URL, { token: u.token, query });
const codes = (body: { actions: Action[] }) => body.actions.map((a) => a.tracedata.code);
/** wait until the account's own calls so far (e.g. its login) are stored, so totals are stable */
const settled = (u: TestUser, n: number) => eventually(async () => expect(await count(h, 'audit_actions', 'username = :u', { u: u.username })).toBe(n));
/** an event at `base` + i minutes */
const at = (base: string, i: number) => new Date(Date.parse(base) + i * 60_000).toISOString();

describe('read_audit', () => {
  it('answers the caller\'s actions in the period with full tracedata and totals', async () => {
    const u = await createUser(h, { timezone: 3 });
    const [c1, c2, c3] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await recordEvents([
      usageEvent(u, { code: c1, time: '2023-03-01T10:00:00+03:00', points_count: 15, duration: 'PT2H12M34.3S' }),
      usageEvent(u, { code: c2, time: '2023-03-01T08:00:00Z', service: 'ROUTING', operation: 'run_routing', method_group: 'ROUTE', points_count: 0, duration: 'PT0S' }),
      usageEvent(u, { code: c3, time: '2023-03-02T10:00:00+03:00', points_count: 7 }), // outside the period
    ]);
    await settled(u, 4); // the three events and the login
    const res = await audit(u, { from: '2023-03-01T00:00:00+03:00', to: '2023-03-01T23:59:59+03:00' });
    expect(res.status).toBe(200);
    expect(res.body.statistics).toEqual({ overall: { total: 4 }, filter: { total: 2 } });
    expect(res.body.actions).toEqual([
      {
        username: u.username, company_key: u.companyKey, method_group: 'PLAN',
        tracedata: { code: c1, client: `${u.companyKey}_|_${u.username}`, server: 'worker_1', service: 'UNIVERSAL', operation: 'run_plan_calculation', time: '2023-03-01T10:00:00+03:00' },
        statistics: { points_count: 15, duration: 'PT2H12M34.3S' },
      },
      {
        username: u.username, company_key: u.companyKey, method_group: 'ROUTE',
        tracedata: { code: c2, client: `${u.companyKey}_|_${u.username}`, server: 'worker_1', service: 'ROUTING', operation: 'run_routing', time: '2023-03-01T08:00:00Z' }, // as given
        statistics: { points_count: 0, duration: 'PT0S' },
      },
    ]);
  });

  it('shows a USER its own actions and an ADMIN its whole company\'s, never another company\'s', async () => {
    const user = await createUser(h);
    const admin = await createUser(h, { roles: 'USER,ADMIN', companyKey: user.companyKey });
    const stranger = await createUser(h, { roles: 'ADMIN' });
    const base = '2023-04-04T10:00:00Z';
    const [cu, ca, cs] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await recordEvents([
      usageEvent(user, { code: cu, time: at(base, 0) }),
      usageEvent(admin, { code: ca, time: at(base, 1) }),
      usageEvent(stranger, { code: cs, time: at(base, 2) }),
    ]);
    await settled(user, 2);
    await settled(admin, 2);
    await settled(stranger, 2);
    const period = { from: at(base, -60), to: at(base, 60) };

    const company = await audit(admin, period);
    expect(company.status).toBe(200);
    expect(codes(company.body)).toEqual([cu, ca]);
    expect(company.body.actions.map((a: Action) => a.username)).toEqual([user.username, admin.username]);
    // overall: both accounts' events and logins
    expect(company.body.statistics).toEqual({ overall: { total: 4 }, filter: { total: 2 } });

    await settled(admin, 3);
    const mine = await audit(user, period);
    expect(mine.status).toBe(200);
    expect(codes(mine.body)).toEqual([cu]);
    expect(mine.body.statistics).toEqual({ overall: { total: 2 }, filter: { total: 1 } });

    const theirs = await audit(stranger, period);
    expect(codes(theirs.body)).toEqual([cs]);
    expect(theirs.body.statistics).toEqual({ overall: { total: 2 }, filter: { total: 1 } });
    expect(JSON.stringify(theirs.body)).not.toContain(user.companyKey);
  });

  it('records the service\'s own calls as ACCOUNT actions of the caller, method group NOTRACE', async () => {
    const u = await createUser(h, { timezone: 3 });
    expect((await h.call('get', '/account/info', { token: u.token })).status).toBe(200);
    await settled(u, 2);
    const first = await audit(u);
    expect(first.status).toBe(200);
    expect(first.body.actions.map((a: Action) => a.tracedata.operation)).toEqual(['run_token_generation', 'read_info']);
    for (const a of first.body.actions as Action[]) {
      expect(a).toEqual({
        username: u.username, company_key: u.companyKey, method_group: 'NOTRACE',
        tracedata: { code: expect.stringMatching(/^[0-9a-f-]{36}$/), client: `${u.companyKey}_|_${u.username}`, server: expect.stringMatching(/^\w{2,}$/), service: 'ACCOUNT', operation: a.tracedata.operation, time: expect.stringMatching(/\+03:00$/) },
        statistics: { points_count: 0, duration: expect.stringMatching(/^PT\d+(\.\d+)?S$/) },
      });
    }
    // the audit call itself is recorded too, with operation = its operationId
    await eventually(async () => {
      const again = await audit(u, { operation_id: 'read_audit' });
      expect(again.status).toBe(200);
      expect(again.body.actions.length).toBeGreaterThanOrEqual(1);
      expect(again.body.actions[0]).toEqual(expect.objectContaining({ method_group: 'NOTRACE', tracedata: expect.objectContaining({ service: 'ACCOUNT', operation: 'read_audit' }) }));
    });
    // a call refused by the operation itself (not by authentication) is attributed to the caller as well
    const bad = await audit(u, { sort_field: 'nope' });
    expect(bad.status).toBe(400);
    await eventually(async () => {
      const [rows] = await h.sequelize.query(
        "SELECT count(*)::int AS n FROM account.audit_actions WHERE username = :u AND operation = 'read_audit' AND trace_code = :c",
        { replacements: { u: u.username, c: bad.body.tracedata.code } },
      );
      expect(rows).toEqual([{ n: 1 }]);
    });
  });

  it('filters by service_name, operation_id, method_group and period; filter.total counts before paging', async () => {
    const u = await createUser(h);
    const base = '2023-05-05T10:00:00Z';
    await recordEvents([
      usageEvent(u, { time: at(base, 0), service: 'UNIVERSAL', operation: 'run_plan_calculation', method_group: 'PLAN' }),
      usageEvent(u, { time: at(base, 1), service: 'UNIVERSAL', operation: 'run_plan_calculation', method_group: 'PLAN' }),
      usageEvent(u, { time: at(base, 2), service: 'UNIVERSAL', operation: 'run_actualize_calculation', method_group: 'ACTUALIZE' }),
      usageEvent(u, { time: at(base, 3), service: 'ROUTING', operation: 'run_routing', method_group: 'ROUTE' }),
      usageEvent(u, { time: at(base, 4), service: 'ROUTING', operation: 'run_matrix', method_group: 'MATRIX' }),
      usageEvent(u, { time: at(base, 5), service: 'PACKER', operation: 'run_pack', method_group: 'PACK' }),
      usageEvent(u, { time: at(base, 600), service: 'UNIVERSAL', operation: 'run_plan_calculation', method_group: 'PLAN' }), // 10 h later
    ]);
    await settled(u, 8);
    const period = { from: at(base, 0), to: at(base, 5) };
    const ops = (body: { actions: Action[] }) => body.actions.map((a) => `${a.tracedata.service}/${a.tracedata.operation}/${a.method_group}`);

    const all = await audit(u, period);
    expect(all.body.statistics).toEqual({ overall: { total: 8 }, filter: { total: 6 } });

    await settled(u, 9); // the audit call above is an action too, and counts in the overall total
    const universal = await audit(u, { ...period, service_name: 'UNIVERSAL' });
    expect(ops(universal.body)).toEqual(['UNIVERSAL/run_plan_calculation/PLAN', 'UNIVERSAL/run_plan_calculation/PLAN', 'UNIVERSAL/run_actualize_calculation/ACTUALIZE']);
    expect(universal.body.statistics).toEqual({ overall: { total: 9 }, filter: { total: 3 } });

    const byOp = await audit(u, { ...period, operation_id: 'run_matrix' });
    expect(ops(byOp.body)).toEqual(['ROUTING/run_matrix/MATRIX']);
    expect(byOp.body.statistics.filter.total).toBe(1);

    const byGroup = await audit(u, { ...period, method_group: 'PLAN' });
    expect(byGroup.body.statistics.filter.total).toBe(2);
    const byGroupWide = await audit(u, { from: at(base, 0), to: at(base, 600), method_group: 'PLAN' });
    expect(byGroupWide.body.statistics.filter.total).toBe(3);

    const combined = await audit(u, { ...period, service_name: 'ROUTING', method_group: 'ROUTE' });
    expect(ops(combined.body)).toEqual(['ROUTING/run_routing/ROUTE']);

    const none = await audit(u, { ...period, service_name: 'STOCK' });
    expect(none.status).toBe(200);
    expect(none.body.actions).toEqual([]);
    expect(none.body.statistics.filter.total).toBe(0);

    // from and to are inclusive instants
    const edges = await audit(u, { from: at(base, 1), to: at(base, 3) });
    expect(ops(edges.body)).toEqual(['UNIVERSAL/run_plan_calculation/PLAN', 'UNIVERSAL/run_actualize_calculation/ACTUALIZE', 'ROUTING/run_routing/ROUTE']);
    // the same instants written with another offset
    const offsetForm = await audit(u, { from: '2023-05-05T13:01:00+03:00', to: '2023-05-05T05:03:00-05:00' });
    expect(ops(offsetForm.body)).toEqual(ops(edges.body));

    // a filter and paging together: the total is that of the filter, the page is cut from it
    const paged = await audit(u, { ...period, service_name: 'UNIVERSAL', offset: 1, limit: 1 });
    expect(ops(paged.body)).toEqual(['UNIVERSAL/run_plan_calculation/PLAN']);
    expect(paged.body.statistics.filter.total).toBe(3);
  });

  it('keeps overall totals in account.audit_counts, in step with inserts and deletes, per account and per company', async () => {
    const admin = await createUser(h, { roles: 'USER,ADMIN' });
    const colleague = await createUser(h, { companyKey: admin.companyKey });
    await recordEvents([usageEvent(admin), usageEvent(colleague), usageEvent(colleague)]);
    await settled(colleague, 3);
    const counter = async (scope: string) => {
      const [rows] = await h.sequelize.query('SELECT n::int AS n FROM account.audit_counts WHERE scope = :s', { replacements: { s: scope } });
      return (rows as { n: number }[])[0]?.n;
    };
    await eventually(async () => {
      expect(await counter(`u:${colleague.username}`)).toBe(await count(h, 'audit_actions', 'username = :u', { u: colleague.username }));
      expect(await counter(`c:${admin.companyKey}`)).toBe(await count(h, 'audit_actions', 'company_key = :c', { c: admin.companyKey }));
    });
    await h.sequelize.query("DELETE FROM account.audit_actions WHERE username = :u AND service = 'UNIVERSAL'", { replacements: { u: colleague.username } });
    expect(await counter(`u:${colleague.username}`)).toBe(1);

    // a period covering every action answers filter = overall; one that leaves an action out counts
    const wide = await audit(colleague, { from: '2000-01-01T00:00:00Z' });
    expect(wide.body.statistics.filter.total).toBe(wide.body.statistics.overall.total);
    await settled(colleague, 2); // its login and the call above
    const [first] = await h.sequelize.query('SELECT min(time) AS t FROM account.audit_actions WHERE username = :u', { replacements: { u: colleague.username } });
    const after = new Date(new Date((first as { t: Date }[])[0].t).getTime() + 1).toISOString();
    const narrow = await audit(colleague, { from: after });
    expect(narrow.body.statistics.filter.total).toBe(narrow.body.statistics.overall.total - 1);
  });

  it('defaults to the current local day up to now; only to given counts from the start of that day', async () => {
    const tz = -11;
    const u = await createUser(h, { timezone: tz });
    const now = Date.now();
    const startOfLocalDay = Date.parse(`${new Date(now + tz * 3_600_000).toISOString().slice(0, 10)}T00:00:00Z`) - tz * 3_600_000;
    const [before, inside, future] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await recordEvents([
      usageEvent(u, { code: before, time: new Date(startOfLocalDay - 1000).toISOString() }),
      usageEvent(u, { code: inside, time: new Date(startOfLocalDay).toISOString() }),
      usageEvent(u, { code: future, time: new Date(now + 3_600_000).toISOString() }),
    ]);
    const res = await audit(u, { method_group: 'PLAN' });
    expect(res.status).toBe(200);
    // (if local midnight passed since `now`, the default day moved on and nothing of these is listed)
    const stillToday = new Date(Date.now() + tz * 3_600_000).toISOString().slice(0, 10) === new Date(now + tz * 3_600_000).toISOString().slice(0, 10);
    expect(codes(res.body)).toEqual(stillToday ? [inside] : []);
    // only to given: from is still the start of the current local day
    const onlyTo = await audit(u, { method_group: 'PLAN', to: new Date(now + 7_200_000).toISOString() });
    expect(codes(onlyTo.body)).toEqual(stillToday ? [inside, future] : []);
    // an explicit to in the future includes the future event
    const withTo = await audit(u, { method_group: 'PLAN', from: new Date(startOfLocalDay - 60_000).toISOString(), to: new Date(now + 7_200_000).toISOString() });
    expect(codes(withTo.body)).toEqual([before, inside, future]);
  });

  it('pages with offset and limit into disjoint consecutive pages', async () => {
    const u = await createUser(h);
    const base = '2023-06-06T10:00:00Z';
    const all = Array.from({ length: 7 }, () => crypto.randomUUID());
    await recordEvents(all.map((code, i) => usageEvent(u, { code, time: at(base, i) })));
    const period = { from: at(base, 0), to: at(base, 6) };
    const pages: string[][] = [];
    for (const offset of [0, 3, 6]) {
      const res = await audit(u, { ...period, offset, limit: 3 });
      expect(res.status).toBe(200);
      expect(res.body.statistics.filter.total).toBe(7);
      pages.push(codes(res.body));
    }
    expect(pages).toEqual([all.slice(0, 3), all.slice(3, 6), all.slice(6)]);
    const past = await audit(u, { ...period, offset: 7, limit: 3 });
    expect(past.body.actions).toEqual([]);
    expect(past.body.statistics.filter.total).toBe(7);
    // the default limit is 100 and the default offset 0
    const dflt = await audit(u, period);
    expect(codes(dflt.body)).toEqual(all);
  });

  it('answers at most 100 actions by default', async () => {
    const u = await createUser(h);
    const base = '2023-06-07T10:00:00Z';
    const all = Array.from({ length: 105 }, () => crypto.randomUUID());
    await recordEvents(all.map((code, i) => usageEvent(u, { code, time: new Date(Date.parse(base) + i * 1000).toISOString() })));
    const res = await audit(u, { from: base, to: at(base, 10) });
    expect(codes(res.body)).toEqual(all.slice(0, 100));
    expect(res.body.statistics.filter.total).toBe(105);
  });

  it('sorts by sort_field in sort_direction', async () => {
    const u = await createUser(h);
    const mate = await createUser(h, { companyKey: u.companyKey });
    const admin = await createUser(h, { roles: 'ADMIN', companyKey: u.companyKey });
    const base = '2023-07-07T10:00:00Z';
    const ev = [
      { code: crypto.randomUUID(), time: at(base, 3), points_count: 30, duration: 'PT1M', service: 'ROUTING', method_group: 'ROUTE', operation: 'op_c', who: u },
      { code: crypto.randomUUID(), time: at(base, 1), points_count: 5, duration: 'P1D', service: 'UNIVERSAL', method_group: 'PLAN', operation: 'op_a', who: mate },
      { code: crypto.randomUUID(), time: at(base, 0), points_count: 100, duration: 'PT0.5S', service: 'AGRO', method_group: 'PREDICT', operation: 'op_d', who: u },
      { code: crypto.randomUUID(), time: at(base, 2), points_count: 0, duration: 'PT59S', service: 'STOCK', method_group: 'ANALYTICS', operation: 'op_b', who: mate },
    ];
    await recordEvents(ev.map(({ who, ...e }) => usageEvent(who, e)));
    const period = { from: at(base, 0), to: at(base, 3) };
    const order = (by: (e: typeof ev[number]) => string | number, dir: 1 | -1) => [...ev]
      .sort((a, b) => (by(a) < by(b) ? -dir : by(a) > by(b) ? dir : 0)).map((e) => e.code);
    const ms: Record<string, number> = { 'PT0.5S': 500, PT59S: 59_000, PT1M: 60_000, P1D: 86_400_000 };
    const cases: [string, (e: typeof ev[number]) => string | number][] = [
      ['time', (e) => e.time], ['points_count', (e) => e.points_count], ['duration', (e) => ms[e.duration]],
      ['service', (e) => e.service], ['method_group', (e) => e.method_group], ['operation', (e) => e.operation],
    ];
    for (const [field, by] of cases) {
      for (const [dir, sign] of [['ASC', 1], ['DESC', -1]] as const) {
        const res = await audit(u, { ...period, sort_field: field, sort_direction: dir });
        expect(res.status).toBe(200);
        const mine = ev.filter((e) => e.who === u).map((e) => e.code);
        expect({ field, dir, codes: codes(res.body) }).toEqual({ field, dir, codes: order(by, sign).filter((c) => mine.includes(c)) });
        const company = await audit(admin, { ...period, sort_field: field, sort_direction: dir });
        expect({ field, dir, codes: codes(company.body) }).toEqual({ field, dir, codes: order(by, sign) });
      }
    }
    const byUser = await audit(admin, { ...period, sort_field: 'username', sort_direction: 'DESC' });
    const names = byUser.body.actions.map((a: Action) => a.username);
    expect(names).toEqual([...names].sort().reverse());
    expect(new Set(names)).toEqual(new Set([u.username, mate.username]));
    // without sort_field: by time; sort_direction alone reverses it
    expect(codes((await audit(admin, period)).body)).toEqual(order((e) => e.time, 1));
    expect(codes((await audit(admin, { ...period, sort_direction: 'DESC' })).body)).toEqual(order((e) => e.time, -1));
  });

  it('keeps the order of recording for actions at the same time', async () => {
    const u = await createUser(h);
    const time = '2023-08-08T08:08:08Z';
    const all = Array.from({ length: 6 }, () => crypto.randomUUID());
    await recordEvents(all.slice(0, 3).map((code) => usageEvent(u, { code, time })));
    await recordEvents(all.slice(3).map((code) => usageEvent(u, { code, time })));
    const res = await audit(u, { from: time, to: time });
    expect(codes(res.body)).toEqual(all);
    const paged = [...codes((await audit(u, { from: time, to: time, limit: 4 })).body), ...codes((await audit(u, { from: time, to: time, offset: 4, limit: 4 })).body)];
    expect(paged).toEqual(all);
  });

  it('answers from after to (also a from in the future without to) as an empty page with the overall total', async () => {
    const u = await createUser(h);
    await recordEvents([usageEvent(u, { time: '2024-02-05T12:00:00Z' }), usageEvent(u, { time: '2024-02-06T12:00:00Z' })]);
    await settled(u, 3); // the login and the two events
    for (const query of <Record<string, string>[]>[{ from: '2024-02-06T00:00:00Z', to: '2024-02-05T23:59:59Z' }, { from: new Date(Date.now() + 86_400_000).toISOString() }]) {
      const res = await audit(u, query);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      expect(res.body.actions).toEqual([]);
      expect(res.body.statistics.filter).toEqual({ total: 0 });
      expect(res.body.statistics.overall.total).toBeGreaterThanOrEqual(3);
    }
  });

  it('takes far and odd instants as they are: years 0001 and 9999, offsets like -05:38, milliseconds', async () => {
    const u = await createUser(h, { timezone: 5 });
    const times = ['0001-01-01T00:00:00+05:38', '0001-01-01T00:00:00.001Z', '2024-02-05T10:00:00.123-05:38', '9999-12-31T23:59:59.999-12:00'];
    const ids: string[] = times.map(() => crypto.randomUUID());
    await recordEvents(times.map((time, i) => usageEvent(u, { code: ids[i], time })));
    // every instant answers with its own offset, unchanged
    const all = await audit(u, { from: '0001-01-01T00:00:00+14:00', to: '9999-12-31T23:59:59.999-14:00' });
    expect(all.status).toBe(200);
    expect(all.body.actions.filter((a: Action) => ids.includes(a.tracedata.code)).map((a: Action) => [a.tracedata.code, a.tracedata.time])).toEqual([
      [ids[0], '0001-01-01T00:00:00+05:38'], [ids[1], '0001-01-01T00:00:00.001Z'], [ids[2], '2024-02-05T10:00:00.123-05:38'], [ids[3], '9999-12-31T23:59:59.999-12:00'],
    ]);
    // bounds are inclusive to the millisecond, whatever their offset
    const edge = await audit(u, { from: '2024-02-05T15:38:00.123Z', to: '2024-02-05T10:00:00.123-05:38' });
    expect(codes(edge.body)).toEqual([ids[2]]);
    const past = await audit(u, { from: '2024-02-05T15:38:00.124Z', to: '2024-02-05T16:00:00Z' });
    expect(codes(past.body)).toEqual([]);
    const first = await audit(u, { from: '0001-01-01t00:00:00.001z', to: '0001-01-01 00:00:00.001+00' }); // forms RFC 3339 allows
    expect(codes(first.body)).toEqual([ids[1]]);
  });

  it('refuses bad parameters with 400', async () => {
    const u = await createUser(h);
    const bad: Record<string, string | number>[] = [
      { sort_field: 'name' }, { sort_field: 'points' }, { sort_field: '' }, { sort_field: 'x'.repeat(65) },
      { sort_direction: 'UP' }, { sort_direction: 'asc' },
      { limit: 0 }, { limit: 10000001 }, { limit: -1 }, { limit: 'abc' }, { limit: 1.5 },
      { offset: -1 }, { offset: 10000001 }, { offset: 'x' },
      { from: 'yesterday' }, { from: '2024-02-30T00:00:00Z' }, { to: '2024-02-05' }, { to: '2024-02-05T10:00:00' }, { from: '2024-02-05T25:00:00Z' },
      { from: '2016-12-31T23:59:60Z' }, // passes the format, but a leap second cannot be stored
      { service_name: 'NOPE' }, { service_name: 'universal' }, { method_group: 'PLANNING' }, { operation_id: 'ab' }, { operation_id: 'x'.repeat(257) },
      { from: '0000-01-01T00:00:00Z' }, { to: '2024-02-05T10:00:00.1234Z' }, // year 0000, finer than a millisecond
    ];
    for (const query of bad) {
      const res = await audit(u, query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expectTracedError(res, 'read_audit');
    }
    const unknown = await audit(u, { sort_field: 'secret_column' });
    expect(unknown.body.message).toMatch(/sort_field/);
  });

  it('answers 401 without a valid token, and records nothing', async () => {
    const u = await createUser(h);
    const refused: string[] = [];
    for (const token of [undefined, 'not.a.jwt']) {
      const res = await h.call('get', URL, { token });
      expect(res.status).toBe(401);
      expectTracedError(res, 'read_audit');
      expect(res.body.tracedata.client).toBe('anonymous');
      refused.push(res.body.tracedata.code);
    }
    // a later authenticated call's action is stored, so anything of the refused calls would be by now
    expect((await audit(u)).status).toBe(200);
    await eventually(async () => expect(await count(h, 'audit_actions', "username = :u AND operation = 'read_audit'", { u: u.username })).toBe(1));
    expect(await count(h, 'audit_actions', 'trace_code IN (:codes)', { codes: refused })).toBe(0);
  });

  it('streams a page of more than 10000 actions as valid JSON with every action in order', async () => {
    const u = await createUser(h, { timezone: 2 });
    const base = Date.parse('2022-01-01T00:00:00Z');
    const n = 10_050;
    const all = Array.from({ length: n }, () => crypto.randomUUID());
    // rows as the ingestion writes them (one statement: recording 10k events through recordUsage takes ~10 s)
    await h.sequelize.query(
      `INSERT INTO account.audit_actions (username, company_key, trace_code, client, server, service, operation, time, tz_offset_minutes,
                                          method_group, points_count, duration, duration_ms)
       SELECT :u, :co, code, :client, 'worker_1', 'UNIVERSAL', 'run_plan_calculation', to_timestamp(:base / 1000.0) + (i - 1) * interval '1 second', 120,
              'PLAN', (i - 1) % 50, 'PT1.5S', 1500
         FROM unnest(ARRAY[:codes]::uuid[]) WITH ORDINALITY AS t(code, i)
        ORDER BY i`,
      { replacements: { u: u.username, co: u.companyKey, client: `${u.companyKey}_|_${u.username}`, base, codes: all } },
    );
    const period = { from: new Date(base).toISOString(), to: new Date(base + n * 1000).toISOString() };

    const res = await audit(u, { ...period, limit: 20000 });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['transfer-encoding']).toBe('chunked'); // written as it is read, not as one buffer
    expect(res.body.statistics).toEqual({ overall: { total: n + 1 }, filter: { total: n } });
    expect(res.body.actions).toHaveLength(n);
    expect(codes(res.body)).toEqual(all);
    expect(res.body.actions[n - 1]).toEqual({
      username: u.username, company_key: u.companyKey, method_group: 'PLAN',
      tracedata: { code: all[n - 1], client: `${u.companyKey}_|_${u.username}`, server: 'worker_1', service: 'UNIVERSAL', operation: 'run_plan_calculation', time: expect.any(String) },
      statistics: { points_count: (n - 1) % 50, duration: 'PT1.5S' },
    });
    expect(Date.parse(res.body.actions[n - 1].tracedata.time)).toBe(base + (n - 1) * 1000);
    expect(res.body.actions[0].tracedata.time).toBe('2022-01-01T02:00:00+02:00'); // in the account's timezone

    // with an offset, a sort and a filter the streamed page is cut the same way
    const tail = await audit(u, { ...period, limit: 20000, offset: 30, sort_direction: 'DESC', method_group: 'PLAN' });
    expect(tail.status).toBe(200);
    expect(tail.body.statistics.filter.total).toBe(n);
    expect(codes(tail.body)).toEqual([...all].reverse().slice(30));
  });
});
