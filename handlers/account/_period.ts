/** Calendar periods in the user's timezone (whole hours east of UTC), as the statistics, report and audit use them. */
import { badRequest } from '../../lib/errors';

const DAY = 86_400_000;
export const MAX_DAYS = 3653;

/** YYYY-MM-DD of the user's local day containing `at`. */
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
 * (today is never included by default). Answers inclusive dates and the UTC range [start, end).
 */
export function dayPeriod(q: { from?: string; to?: string }, tzHours: number, now = new Date()) {
  const today = localDate(now, tzHours);
  const from = q.from ?? `${today.slice(0, 8)}01`;
  const to = q.to ?? addDays(today, -1);
  if (q.from && q.to && from > to) throw badRequest(`from (${from}) is after to (${to})`, [{ location: 'query', field: 'from', message: 'must not be after to' }]);
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY) + 1;
  if (days > MAX_DAYS) throw badRequest(`the period spans ${days} days; at most ${MAX_DAYS} are allowed`, [{ location: 'query', field: 'to', message: `period longer than ${MAX_DAYS} days` }]);
  return { from, to, start: startOfLocalDay(from, tzHours), end: startOfLocalDay(addDays(to, 1), tzHours), empty: from > to };
}
