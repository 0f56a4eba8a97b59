/** What create, PUT and PATCH share: reading the body's instants, and the rules on a mode's window. */
import { ApiError } from '../../lib/errors';
import { MSG, rule } from './_errors';
import { parseInstant, type Instant } from './_instant';
import { isZone, occurrences } from './_recurrence';

/** An instant of the body; one that names no real moment (Feb 30th) is a body off its model, naming the field. */
export function bodyInstant(field: string, text: string): Instant {
  const i = parseInstant(text);
  if (!i) {
    throw new ApiError('validation', MSG.wrongModel, { fields: [{ location: 'body', field, message: 'must be an existing date and time' }] });
  }
  return i;
}

/** The recurrence of a mode: an RRULE and its zone (UTC by default), or none. */
export interface Recurrence { rrule: string | null; zone: string | null }

/** The end after the start, and after now: the first window's end, or for a series its last occurrence's. */
export async function checkWindow(start: Instant, end: Instant, now: number, rec: Recurrence = { rrule: null, zone: null }): Promise<void> {
  if (end.ms <= start.ms) throw rule(MSG.endBeforeStart);
  if (rec.zone !== null && !isZone(rec.zone)) {
    throw new ApiError('validation', MSG.wrongModel, { fields: [{ location: 'body', field: 'x-timezone', message: 'is not an IANA time zone' }] });
  }
  const last = rec.rrule ? (await occurrences(rec.rrule, rec.zone ?? 'UTC', start.ms, end.ms)).at(-1)![1] : end.ms;
  if (last <= now) throw rule(MSG.endInPast);
}
