/**
 * Instants the b2b service takes (active_from, active_to, dev/token's date), read by lib/instant.ts: kept exactly or
 * refused, never shifted. They are stored to the millisecond and answered as UTC stamps with four-digit years, so an
 * instant must also lie in 0001-01-01T00:00:00.000Z..9999-12-31T23:59:59.999Z once in UTC (spec/b2b.yaml, schema moment).
 */
import { parseInstant, utcMs } from '../../lib/instant';

export const FIRST_STAMP = utcMs(1, 1, 1);
export const LAST_STAMP = utcMs(9999, 12, 31, 23, 59, 59, 999);

/**
 * The instant of a date-time as a Date, or why it cannot be kept exactly. With `toSeconds` the value is only needed to
 * the second (dev/token's date), so finer digits are cut rather than refused.
 */
export function parseMoment(text: string, opts: { toSeconds?: boolean } = {}): Date | { error: string } {
  const instant = parseInstant(text, opts);
  if ('error' in instant) return instant;
  if (instant.ms < FIRST_STAMP || instant.ms > LAST_STAMP) {
    return { error: 'must lie within 0001-01-01T00:00:00.000Z..9999-12-31T23:59:59.999Z in UTC' };
  }
  return new Date(instant.ms);
}
