/**
 * Instants the b2b service takes (active_from, active_to, dev/token's date): RFC 3339 date-times in the forms the
 * spec's validator admits, read without JavaScript's Date parser (which maps years 0..99 to the 1900s and refuses
 * hour-only offsets). Kept exactly or refused, never shifted: they are stored to the millisecond and answered as UTC
 * stamps with four-digit years, so an instant must lie in 0001-01-01T00:00:00.000Z..9999-12-31T23:59:59.999Z, have
 * no digits finer than a millisecond, and not be a leap second (spec/b2b.yaml, schema moment).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;

function utcMs(year: number, month: number, day: number, h: number, mi: number, s: number, milli: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, years 0..99 stay themselves
  d.setUTCHours(h, mi, s, milli);
  return d.getTime();
}

export const FIRST_STAMP = utcMs(1, 1, 1, 0, 0, 0, 0);
export const LAST_STAMP = utcMs(9999, 12, 31, 23, 59, 59, 999);

/**
 * The instant of a date-time as a Date, or why it cannot be kept exactly. With `toSeconds` the value is only needed to
 * the second (dev/token's date), so finer digits are cut rather than refused.
 */
export function parseMoment(text: string, opts: { toSeconds?: boolean } = {}): Date | { error: string } {
  const m = DATE_TIME.exec(text);
  if (!m) return { error: 'is not an RFC 3339 date-time' };
  const [year, month, day, h, mi, s] = m.slice(1, 7).map(Number);
  const fraction = m[7] ?? '';
  const lastDay = new Date(utcMs(year, month + 1, 1, 0, 0, 0, 0) - 86_400_000).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || h > 23 || mi > 59) return { error: 'is not a moment of the calendar' };
  if (s > 59) return { error: 'is a leap second, which cannot be stored' };
  if (!opts.toSeconds && /[1-9]/.test(fraction.slice(3))) return { error: 'is finer than a millisecond, which cannot be stored' };
  const oh = Number(m[9] ?? 0);
  const om = Number(m[10] ?? 0);
  if (oh > 23 || om > 59) return { error: 'has an offset beyond 23:59' };
  const offset = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  const ms = utcMs(year, month, day, h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0'))) - offset * 60_000;
  if (ms < FIRST_STAMP || ms > LAST_STAMP) return { error: 'must lie within 0001-01-01T00:00:00.000Z..9999-12-31T23:59:59.999Z in UTC' };
  return new Date(ms);
}
