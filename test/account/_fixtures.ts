/** Account test fixtures: users made through the admin command's own code, tokens through the real login. */
import { commands } from '../../handlers/account/_admin';
import { parseUsage, recordUsage } from '../../handlers/account/_usage';
import { harness, unique } from '../support/harness';

// New password hashes at the lowest cost the settings allow, so suites that make many users stay fast (2^17 takes about a
// second a hash); test/account/run_token_generation.test.ts checks the default cost and the rehash at login.
process.env.ACCOUNT_PASSWORD_SCRYPT_N ??= '16384';

export type Harness = Awaited<ReturnType<typeof harness>>;

export const accountHarness = () => harness(['account']);

export interface TestUser { username: string; password: string; companyKey: string; token: string }

export async function createUser(h: Harness, opts: { roles?: string; timezone?: number; companyKey?: string; name?: string; email?: string; phone?: string } = {}): Promise<TestUser> {
  const username = unique('user');
  const password = `pw-${unique()}`;
  const companyKey = opts.companyKey ?? unique('co');
  await commands['create-user'].run({
    username, password, 'company-key': companyKey, roles: opts.roles, timezone: opts.timezone?.toString(),
    name: opts.name, email: opts.email, phone: opts.phone,
  }, h.sequelize);
  const res = await h.call('post', '/account/token/generation', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { username, password, companyKey, token: res.body as string };
}

/** Record usage events (NDJSON lines as objects) through the ingestion path of the admin command. */
export async function recordEvents(events: object[]) {
  return recordUsage(parseUsage(events.map((e) => JSON.stringify(e)).join('\n')));
}

export function usageEvent(user: { username: string; companyKey: string }, over: Record<string, unknown> = {}) {
  return {
    tracedata: {
      code: (over.code as string) ?? crypto.randomUUID(),
      client: `${user.companyKey}_|_${user.username}`,
      server: 'worker_1',
      service: (over.service as string) ?? 'UNIVERSAL',
      operation: (over.operation as string) ?? 'run_plan_calculation',
      time: (over.time as string) ?? new Date().toISOString(),
    },
    method_group: (over.method_group as string) ?? 'PLAN',
    points_count: (over.points_count as number) ?? 10,
    duration: (over.duration as string) ?? 'PT1.5S',
    ...(over.payloads ? { payloads: over.payloads } : {}),
  };
}

/** Rows in a table of the account schema, for "nothing was written" assertions. */
export async function count(h: Harness, table: string, where = 'true', replacements: Record<string, unknown> = {}): Promise<number> {
  const [rows] = await h.sequelize.query(`SELECT count(*)::int AS n FROM account.${table} WHERE ${where}`, { replacements });
  return (rows as { n: number }[])[0].n;
}

/** The shape every account error body must have (the spec check runs too; this pins the meaning). */
export function expectTracedError(res: { body: any }, operation: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(res.body.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT', operation }));
  expect(res.body.tracedata.code).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof res.body.message).toBe('string');
}

/**
 * For suites about usage figures rather than quotas: while they run, the default plan (handlers/account/_quota.ts,
 * read from the environment at each use) allows any amount, so their events are never refused.
 */
export function roomyDefaultQuota() {
  const keys = ['ACCOUNT_DEFAULT_QUOTA_POINTS_PER_REQUEST', 'ACCOUNT_DEFAULT_QUOTA_POINTS_PER_DAY'] as const;
  const saved = keys.map((k) => process.env[k]);
  beforeAll(() => {
    process.env.ACCOUNT_DEFAULT_QUOTA_POINTS_PER_REQUEST = '1000000';
    process.env.ACCOUNT_DEFAULT_QUOTA_POINTS_PER_DAY = '100000000';
  });
  afterAll(() => keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i]))));
}
