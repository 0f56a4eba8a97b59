/**
 * Effective quotas: an account's own (set by the operators' set-quota command) or, when it has none, the default plan.
 * The default plan is one method quota whose values default to the vendor's published example (UNIVERSAL / PLAN:
 * 15 points a request, 1500 a day, 1500 a date window, 5 concurrent executions) and can be configured:
 * ACCOUNT_DEFAULT_QUOTA_SERVICE, _METHOD_GROUP, _POINTS_PER_REQUEST, _POINTS_PER_DAY, _POINTS_PER_DATE_WINDOW and
 * _MAX_CONCURRENT_EXECUTION (the last two may be empty for "not limited"). Read at each use, checked against the spec.
 */
import type { Transaction } from 'sequelize';
import { explain, specValidator } from '../../lib/spec-schemas';
import { Quota } from '../../models/account';

export interface MethodQuota {
  service: string;
  methodGroup: string;
  pointsPerRequest: number;
  pointsPerDay: number;
  pointsPerDateWindow: number | null;
  maxConcurrentExecution: number | null;
}

const PREFIX = 'ACCOUNT_DEFAULT_QUOTA_';

/** The default plan from the environment; a malformed setting is a configuration fault, named. */
export function defaultQuota(env: NodeJS.ProcessEnv = process.env): MethodQuota {
  const raw = (name: string, fallback: string) => env[PREFIX + name] ?? fallback;
  const int = (name: string, fallback: string, nullable = false): number | null => {
    const v = raw(name, fallback).trim();
    if (nullable && v === '') return null;
    if (!/^\d+$/.test(v)) throw new Error(`${PREFIX}${name} must be a whole number${nullable ? ' or empty' : ''}, not "${v}"`);
    return Number(v);
  };
  const quota: MethodQuota = {
    service: raw('SERVICE', 'UNIVERSAL'),
    methodGroup: raw('METHOD_GROUP', 'PLAN'),
    pointsPerRequest: int('POINTS_PER_REQUEST', '15')!,
    pointsPerDay: int('POINTS_PER_DAY', '1500')!,
    pointsPerDateWindow: int('POINTS_PER_DATE_WINDOW', '1500', true),
    maxConcurrentExecution: int('MAX_CONCURRENT_EXECUTION', '5', true),
  };
  const v = specValidator('account');
  const checks: [string, unknown, string][] = [
    ['service_name', quota.service, 'SERVICE'],
    ['method_quota', {
      method_group: quota.methodGroup, points_per_request: quota.pointsPerRequest, points_per_day: quota.pointsPerDay,
      points_per_date_window: quota.pointsPerDateWindow, max_concurrent_execution: quota.maxConcurrentExecution,
    }, 'METHOD_GROUP / POINTS_* / MAX_CONCURRENT_EXECUTION'],
  ];
  for (const [schema, value, names] of checks) {
    const validate = v.schema(schema);
    if (!validate(value)) throw new Error(`${PREFIX}${names}: ${explain(validate.errors)}`);
  }
  return quota;
}

/** Each user's effective quotas, sorted by service and method group; users with none of their own get the default. */
export async function effectiveQuotas(usernames: string[], transaction?: Transaction): Promise<Map<string, MethodQuota[]>> {
  const own = await Quota.findAll({ where: { username: usernames }, order: [['service', 'ASC'], ['methodGroup', 'ASC']], transaction });
  const out = new Map<string, MethodQuota[]>();
  for (const q of own) {
    if (!out.has(q.username)) out.set(q.username, []);
    out.get(q.username)!.push({
      service: q.service, methodGroup: q.methodGroup, pointsPerRequest: q.pointsPerRequest, pointsPerDay: q.pointsPerDay,
      pointsPerDateWindow: q.pointsPerDateWindow, maxConcurrentExecution: q.maxConcurrentExecution,
    });
  }
  const missing = usernames.filter((u) => !out.has(u));
  if (missing.length) {
    const plan = defaultQuota();
    for (const u of missing) out.set(u, [plan]);
  }
  return out;
}
