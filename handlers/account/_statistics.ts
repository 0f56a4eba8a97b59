/**
 * Usage per local day, service and method group. points_per_day sums every action's points; unique_points_per_day
 * counts each trace code once (its largest points), so retries of one process count once. Both come from the daily
 * roll-up account.usage_days, kept exact by triggers on the audit trail and built for one timezone per user
 * (models/migrations/20261202-0402-account-usage-days.ts): ten years are ~44,000 rows instead of a million actions.
 */
import { rawQuery } from '../../lib/db/raw';
import { accountDb, type User } from '../../models/account';

export interface UsageRow { date: string; service: string; method_group: string; unique_points: number; points: number }

/**
 * The rows of the local days from..to (YYYY-MM-DD, inclusive) in the user's timezone, ordered by date, service and
 * method group; only days with usage. The first statement rebuilds the roll-up when it was built for another timezone
 * (the account's changed) or invalidated; otherwise it is one primary-key lookup. Dates are compared as PostgreSQL
 * dates (0001..9999 and beyond), never as JavaScript Dates. Sums travel as float8, exact below 2^53 and parsed by pg
 * as numbers.
 */
export async function usageRows(user: User, from: string, to: string): Promise<UsageRow[]> {
  const db = accountDb();
  await rawQuery(db, 'SELECT account.usage_days_build($1, $2)', [user.username, user.timezone]);
  const { rows } = await rawQuery<UsageRow>(db,
    `SELECT to_char(day, 'YYYY-MM-DD') AS date, service, method_group,
            sum(unique_points)::float8 AS unique_points, sum(points)::float8 AS points
       FROM account.usage_days
      WHERE username = $1 AND tz = $2 AND day BETWEEN $3::date AND $4::date
      GROUP BY day, service, method_group
      ORDER BY day, service, method_group`,
    [user.username, user.timezone, from, to]);
  return rows;
}
