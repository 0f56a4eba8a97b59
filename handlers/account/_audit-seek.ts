/**
 * Deep pages of GET /account/audit sorted by time (read_audit.ts): where the page starts, found from the counts of
 * actions per UTC month and day that triggers keep (migrations 20261202-0401 and -0404), so that only the rows of one
 * day are walked through the index instead of every row before the offset.
 */
import { QueryTypes } from 'sequelize';
import { pgInstant } from '../../lib/instant';
import { accountDb } from '../../models/account';

const DAY = 86_400_000;

/** the day number (days since 1970-01-01) of the first day of the UTC month `day` lies in, or of the next month */
function monthStart(day: number, next = false): number {
  const d = new Date(day * DAY);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + (next ? 1 : 0), 1) / DAY;
}

/**
 * Where a deep page sorted by time starts: the UTC day its first row lies in, and the offset left inside that day.
 * The rows before it are the partial first day of the period (counted through the index, at most a day's entries),
 * then the whole days up to the first whole UTC month, the whole months (account.audit_month_counts), and the whole
 * days after the last whole month (account.audit_day_counts), all kept by triggers and read in one query; descending,
 * the same from the end. When the page lands inside a whole month, a second query reads that month's day counts.
 * Undefined when the period spans fewer than three days (nothing to skip) or the counts do not add up (the plain
 * offset is walked then).
 */
export async function seekDay(o: { scope: string; scopeValue: unknown; scopeKey: string; from: number; to: number; offset: number; descending: boolean }):
  Promise<{ dayStart: number; offset: number } | undefined> {
  const fromDay = Math.floor(o.from / DAY);
  const toDay = Math.floor(o.to / DAY);
  if (toDay - fromDay < 2) return undefined;
  // whole days are fromDay + 1 .. toDay - 1; whole months [firstMonth, endMonths) among them, possibly none; the days
  // before the first whole month ($9 ends them) and from the end of the last one are counted one by one
  const firstMonth = monthStart(fromDay + 1) === fromDay + 1 ? fromDay + 1 : monthStart(fromDay + 1, true);
  const endMonths = Math.max(firstMonth, monthStart(toDay));
  const order = o.descending ? 'DESC' : 'ASC';
  // the partial day at the start of the walk: [from, end of its day) ascending, [start of its day, to] descending
  const edge = o.descending
    ? `time >= $3::timestamptz AND time <= $4::timestamptz`
    : `time >= $3::timestamptz AND time < $4::timestamptz`;
  const epoch = `DATE '1970-01-01'`;
  // each segment: [its first day, the day after its last, its count]
  const [row] = await accountDb().query<{ edge: string; segments: Array<[number, number, string]> }>(
    `SELECT (SELECT count(*) FROM account.audit_actions WHERE ${o.scope} AND ${edge}) AS edge,
            (SELECT coalesce(json_agg(json_build_array(s, e, n) ORDER BY s ${order}), '[]') FROM (
               SELECT day - ${epoch} AS s, day - ${epoch} + 1 AS e, n FROM account.audit_day_counts
                WHERE scope = $2 AND ((day > ${epoch} + $5::int AND day < ${epoch} + $9::int)
                                   OR (day >= ${epoch} + $8::int AND day < ${epoch} + $6::int))
               UNION ALL
               SELECT month - ${epoch}, (month + interval '1 month')::date - ${epoch}, n FROM account.audit_month_counts
                WHERE scope = $2 AND month >= ${epoch} + $7::int AND month < ${epoch} + $8::int
             ) segments) AS segments`,
    {
      bind: [o.scopeValue, o.scopeKey,
        pgInstant(o.descending ? toDay * DAY : o.from), pgInstant(o.descending ? o.to : (fromDay + 1) * DAY), fromDay, toDay,
        firstMonth, endMonths, Math.min(firstMonth, toDay)],
      type: QueryTypes.SELECT,
    },
  );
  let skipped = Number(row.edge);
  if (o.offset < skipped) return undefined; // the page starts in the first partial day: nothing to skip
  for (const [s, e, n] of row.segments) {
    if (skipped + Number(n) <= o.offset) {
      skipped += Number(n);
      continue;
    }
    if (e - s === 1) return { dayStart: s * DAY, offset: o.offset - skipped };
    // inside a whole month: its days
    const days = await accountDb().query<{ d: number; n: string }>(
      `SELECT day - ${epoch} AS d, n FROM account.audit_day_counts
        WHERE scope = $1 AND day >= ${epoch} + $2::int AND day < ${epoch} + $3::int ORDER BY day ${order}`,
      { bind: [o.scopeKey, s, e], type: QueryTypes.SELECT },
    );
    for (const { d, n: dn } of days) {
      if (skipped + Number(dn) > o.offset) return { dayStart: d * DAY, offset: o.offset - skipped };
      skipped += Number(dn);
    }
    return undefined; // the month's days do not add up to its count
  }
  // past every whole day: the page starts in the partial day at the other end of the period
  return { dayStart: (o.descending ? fromDay : toDay) * DAY, offset: o.offset - skipped };
}
