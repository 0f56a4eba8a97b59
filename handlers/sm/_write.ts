/** What create, PUT and PATCH share: reading the body's instants, and the rules on a mode's window. */
import { ApiError } from '../../lib/errors';
import { MSG, rule } from './_errors';
import { parseInstant, type Instant } from './_instant';

/** An instant of the body; one that names no real moment (Feb 30th) is a body off its model, naming the field. */
export function bodyInstant(field: string, text: string): Instant {
  const i = parseInstant(text);
  if (!i) {
    throw new ApiError('validation', MSG.wrongModel, { fields: [{ location: 'body', field, message: 'must be an existing date and time' }] });
  }
  return i;
}

/** The end after the start, and after now. */
export function checkWindow(start: Instant, end: Instant, now: number): void {
  if (end.ms <= start.ms) throw rule(MSG.endBeforeStart);
  if (end.ms <= now) throw rule(MSG.endInPast);
}
