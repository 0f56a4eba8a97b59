/**
 * Usage per local day, service and method group. points_per_day sums every action's points; unique_points_per_day
 * counts each trace code once (its largest points), so retries of one process count once. Both come from the daily
 * roll-up account.usage_days, kept exact by triggers on the audit trail and built for one timezone per user
 * (models/migrations/20261202-0402-account-usage-days.ts): ten years are ~44,000 rows instead of a million actions.
 */
import type { Sequelize } from 'sequelize';
import { rawQuery } from '../../lib/db/raw';
import { accountDb, type User } from '../../models/account';

export interface UsageRow { date: string; service: string; method_group: string; unique_points: number; points: number }

/**
 * Makes the user's roll-up the one for their timezone: a rebuild when it was built for another timezone (the
 * account's changed) or invalidated; otherwise one primary-key lookup. A statement of its own: a statement reading
 * usage_days takes its snapshot before any function it calls rebuilds them.
 */
async function buildRollup(db: Sequelize, user: User): Promise<void> {
  await rawQuery(db, 'SELECT account.usage_days_build($1, $2)', [user.username, user.timezone]);
}

/**
 * The roll-up rows of the local days from..to (YYYY-MM-DD, inclusive), one per company of the user's. Ordered as the
 * primary key is (after username and tz), so the planner reads them in the index's order and groups them as they
 * come; without the order it chose a hash aggregate and a sort after it (it puts the groups at about the number of
 * days, several times too few): a third of the statement's time over ten years. Dates are compared as PostgreSQL
 * dates (0001..9999 and beyond), never as JavaScript Dates.
 */
const PERIOD_ROWS = `
  SELECT day, service, method_group, unique_points, points FROM account.usage_days
   WHERE username = $1 AND tz = $2 AND day BETWEEN $3::date AND $4::date
   ORDER BY day, service, method_group`;

/**
 * The rows of the local days from..to in the user's timezone, ordered by date, service and method group; only days
 * with usage. Sums travel as float8, exact below 2^53 and parsed by pg as numbers.
 */
export async function usageRows(user: User, from: string, to: string): Promise<UsageRow[]> {
  const db = accountDb();
  await buildRollup(db, user);
  const { rows } = await rawQuery<UsageRow>(db,
    `SELECT to_char(day, 'YYYY-MM-DD') AS date, service, method_group,
            sum(unique_points)::float8 AS unique_points, sum(points)::float8 AS points
       FROM (${PERIOD_ROWS}) u
      GROUP BY day, service, method_group
      ORDER BY day, service, method_group`,
    [user.username, user.timezone, from, to]);
  return rows;
}

/**
 * The same figures as the statistics' `dates` array, written by PostgreSQL as JSON text, and the number of days it
 * lists. Ten years of the bench's account are ~22,000 lines: parsing them in Node, building the nested objects and
 * serialising them took half of an answer's time; PostgreSQL writes the text in one pass over the grouped lines.
 *
 * Each line (in date, service, method group order; n counts them) writes its method's object, preceded by what its
 * position opens: the first line of a day closes the previous day (unless it is the first) and opens a day and its
 * first service; the first line of another service within a day closes the previous service and opens that one;
 * any other line writes a comma. The last line's day and service are closed at the end. Strings go through to_json
 * (JSON escaping); sums are numeric, printed as plain digits whatever their size. string_agg orders by n itself:
 * an aggregate's input order is not otherwise guaranteed.
 */
export async function usageDatesJson(user: User, from: string, to: string): Promise<{ days: number; json: string }> {
  const db = accountDb();
  await buildRollup(db, user);
  const { rows: [row] } = await rawQuery<{ days: number; json: string }>(db,
    `SELECT count(*) FILTER (WHERE l.new_day)::int AS days,
            '[' || coalesce(string_agg(
              CASE WHEN l.new_day THEN CASE WHEN l.n = 1 THEN '' ELSE ']}]},' END || '{"date":"' || to_char(l.day, 'YYYY-MM-DD')
                                      || '","services":[{"service":' || to_json(l.service) || ',"methods":['
                   WHEN l.new_service THEN ']},{"service":' || to_json(l.service) || ',"methods":['
                   ELSE ',' END
              || '{"method_group":' || to_json(l.method_group) || ',"unique_points_per_day":' || l.unique_points
              || ',"points_per_day":' || l.points || '}', '' ORDER BY l.n) || ']}]}', '') || ']' AS json
       FROM (SELECT g.*, row_number() OVER w AS n,
                    g.day IS DISTINCT FROM lag(g.day) OVER w AS new_day,
                    g.service IS DISTINCT FROM lag(g.service) OVER w AS new_service
               FROM (SELECT day, service, method_group, sum(unique_points) AS unique_points, sum(points) AS points
                       FROM (${PERIOD_ROWS}) u
                      GROUP BY day, service, method_group) g
             WINDOW w AS (ORDER BY g.day, g.service, g.method_group)) l`,
    [user.username, user.timezone, from, to]);
  return row;
}
