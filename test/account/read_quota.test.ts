/** GET /account/quota */
import { commands } from '../../handlers/account/_admin';
import { accountHarness, createUser, expectTracedError, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const URL = '/account/quota';
const setQuota = (flags: Record<string, string | undefined>) => commands['set-quota'].run(flags, h.sequelize);

interface ServiceQuota { service: string; methods: { method_group: string }[] }
/** order-free view of the answer: services by name, methods by group (the spec fixes no order) */
const normalized = (body: { base: { services: ServiceQuota[] } }) => [...body.base.services]
  .map((s) => ({ ...s, methods: [...s.methods].sort((a, b) => a.method_group.localeCompare(b.method_group)) }))
  .sort((a, b) => a.service.localeCompare(b.service));

describe('read_quota', () => {
  it('answers the default plan (the seed\'s example values) to an account with no quota of its own', async () => {
    const u = await createUser(h);
    const res = await h.call('get', URL, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ base: { services: [{ service: 'UNIVERSAL', methods: [
      { method_group: 'PLAN', points_per_request: 15, points_per_day: 1500, points_per_date_window: 1500, max_concurrent_execution: 5 },
    ] }] } });
  });

  it('takes the default plan from the environment, read at each request', async () => {
    const u = await createUser(h);
    const saved = { ...process.env };
    Object.assign(process.env, {
      ACCOUNT_DEFAULT_QUOTA_SERVICE: 'ROUTING', ACCOUNT_DEFAULT_QUOTA_METHOD_GROUP: 'ROUTE', ACCOUNT_DEFAULT_QUOTA_POINTS_PER_REQUEST: '7',
      ACCOUNT_DEFAULT_QUOTA_POINTS_PER_DAY: '70', ACCOUNT_DEFAULT_QUOTA_POINTS_PER_DATE_WINDOW: '', ACCOUNT_DEFAULT_QUOTA_MAX_CONCURRENT_EXECUTION: '0',
    });
    try {
      const res = await h.call('get', URL, { token: u.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ base: { services: [{ service: 'ROUTING', methods: [
        { method_group: 'ROUTE', points_per_request: 7, points_per_day: 70, points_per_date_window: null, max_concurrent_execution: 0 },
      ] }] } });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('answers the quotas grouped by service, unset limits as null', async () => {
    const u = await createUser(h);
    await setQuota({ username: u.username, service: 'UNIVERSAL', 'method-group': 'PLAN', 'points-per-request': '15', 'points-per-day': '1500', 'points-per-date-window': '4500', 'max-concurrent-execution': '5' });
    await setQuota({ username: u.username, service: 'UNIVERSAL', 'method-group': 'ACTUALIZE', 'points-per-request': '0', 'points-per-day': '100' });
    await setQuota({ username: u.username, service: 'ROUTING', 'method-group': 'MATRIX', 'points-per-request': '1000000', 'points-per-day': '100000000', 'max-concurrent-execution': '0' });
    const res = await h.call('get', URL, { token: u.token });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['base']);
    expect(res.body.base.services.map((s: ServiceQuota) => s.service).sort()).toEqual(['ROUTING', 'UNIVERSAL']); // each service once
    expect(normalized(res.body)).toEqual([
      { service: 'ROUTING', methods: [
        { method_group: 'MATRIX', points_per_request: 1000000, points_per_day: 100000000, points_per_date_window: null, max_concurrent_execution: 0 },
      ] },
      { service: 'UNIVERSAL', methods: [
        { method_group: 'ACTUALIZE', points_per_request: 0, points_per_day: 100, points_per_date_window: null, max_concurrent_execution: null },
        { method_group: 'PLAN', points_per_request: 15, points_per_day: 1500, points_per_date_window: 4500, max_concurrent_execution: 5 },
      ] },
    ]);
  });

  it('answers the latest value after a quota is set again', async () => {
    const u = await createUser(h);
    await setQuota({ username: u.username, service: 'PACKER', 'method-group': 'PACK', 'points-per-request': '10', 'points-per-day': '20' });
    await setQuota({ username: u.username, service: 'PACKER', 'method-group': 'PACK', 'points-per-request': '11', 'points-per-day': '22', 'points-per-date-window': '33' });
    const res = await h.call('get', URL, { token: u.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ base: { services: [{ service: 'PACKER', methods: [
      { method_group: 'PACK', points_per_request: 11, points_per_day: 22, points_per_date_window: 33, max_concurrent_execution: null },
    ] }] } });
  });

  it('never shows another account\'s quotas, not even to an ADMIN of the same company', async () => {
    const owner = await createUser(h);
    const admin = await createUser(h, { roles: 'ADMIN', companyKey: owner.companyKey });
    const stranger = await createUser(h);
    await setQuota({ username: owner.username, service: 'STOCK', 'method-group': 'PREDICT', 'points-per-request': '7', 'points-per-day': '70' });
    await setQuota({ username: stranger.username, service: 'AGRO', 'method-group': 'PLAN', 'points-per-request': '1', 'points-per-day': '2' });

    const mine = await h.call('get', URL, { token: owner.token });
    expect(mine.status).toBe(200);
    expect(mine.body.base.services).toEqual([{ service: 'STOCK', methods: [expect.objectContaining({ method_group: 'PREDICT', points_per_request: 7 })] }]);

    const adminRes = await h.call('get', URL, { token: admin.token }); // the admin has the default plan, not the owner's
    expect(adminRes.status).toBe(200);
    expect(JSON.stringify(adminRes.body)).not.toContain('STOCK');

    const theirs = await h.call('get', URL, { token: stranger.token });
    expect(theirs.body.base.services).toEqual([{ service: 'AGRO', methods: [expect.objectContaining({ method_group: 'PLAN', points_per_request: 1 })] }]);
  });

  it('answers 401 without a valid token', async () => {
    for (const token of [undefined, 'not.a.jwt']) {
      const res = await h.call('get', URL, { token });
      expect(res.status).toBe(401);
      expectTracedError(res, 'read_quota');
      expect(res.body.tracedata.client).toBe('anonymous');
    }
  });
});
