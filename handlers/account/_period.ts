/** Calendar periods in the user's timezone (whole hours east of UTC), as the statistics, report and audit use them. */
import { badRequest } from '../../lib/errors';
import { isDate } from '../../lib/instant';

const DAY = 86_400_000;

/** YYYY-MM-DD of the user's local day containing `at` (for instants of years 1..9999 in that timezone). */
export function localDate(at: Date, tzHours: number): string {
  return new Date(at.getTime() + tzHours * 3_600_000).toISOString().slice(0, 10);
}

/** UTC instant at which a local YYYY-MM-DD starts. */
export function startOfLocalDay(date: string, tzHours: number): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - tzHours * 3_600_000);
}

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

/**
 * The statistics/report period: from defaults to the first day of the current month, to defaults to yesterday
 * (today is never included by default). Any from and to the schema admits are taken: the cost is bounded by the
 * stored usage, and a from after to is an empty period. The dates are inclusive; the SQL turns them into instants
 * (see usageRows), so no JavaScript Date is made of a far date.
 */
export function dayPeriod(q: { from?: string; to?: string }, tzHours: number, now = new Date()) {
  for (const field of ['from', 'to'] as const) {
    const v = q[field];
    if (v !== undefined && !isDate(v)) throw badRequest(`${field} must be a date of the years 0001..9999`, [{ location: 'query', field, message: 'not a date of the years 0001..9999' }]);
  }
  const today = localDate(now, tzHours);
  const from = q.from ?? `${today.slice(0, 8)}01`;
  const to = q.to ?? addDays(today, -1);
  return { from, to, empty: from > to };
}
