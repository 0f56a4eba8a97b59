/**
 * Usage per local day, service and method group, from the audit trail. points_per_day sums every action's points;
 * unique_points_per_day counts each trace code once (its largest points), so retries of one process count once.
 */
import { QueryTypes } from 'sequelize';
import { accountDb, type User } from '../../models/account';

export interface UsageRow { date: string; service: string; method_group: string; unique_points: number; points: number }

/**
 * The rows of the local days from..to (YYYY-MM-DD, inclusive). The day bounds are computed by PostgreSQL, which holds
 * every date of 0001..9999 in any timezone (JavaScript's Date would need care before year 100 and across year 0).
 */
export async function usageRows(user: User, from: string, to: string): Promise<UsageRow[]> {
  return accountDb().query<UsageRow>(
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
    { replacements: { u: user.username, tz: user.timezone, from, to }, type: QueryTypes.SELECT },
  ).then((rows) => rows.map((r) => ({ ...r, unique_points: Number(r.unique_points), points: Number(r.points) })));
}
