/**
 * Instants as the services take them: RFC 3339 date-times (the forms ajv's `date-time` admits) read without
 * JavaScript's Date parser, which maps two-digit years to the 1900s and refuses some valid offsets, and written to
 * PostgreSQL as text it reads back exactly, years before 1 AD included (an offset can move year 0001 into 1 BC).
 * What cannot be kept exactly is refused: year 0000, a leap second, digits finer than a millisecond (unless the
 * caller only needs seconds); each service's spec says so in its patterns, so a client learns it from the spec.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface Instant {
  /** milliseconds since 1970-01-01T00:00:00Z */
  ms: number;
  /** the offset the value was written with, minutes east of UTC */
  offsetMinutes: number;
}

/** Milliseconds of a proleptic Gregorian UTC date-time; never maps years 0..99 to 1900..1999 as Date.UTC does. */
export function utcMs(year: number, month: number, day: number, h = 0, mi = 0, s = 0, milli = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, mi, s, milli);
  return d.getTime();
}

const daysIn = (year: number, month: number) => new Date(utcMs(year, month + 1, 1) - 86_400_000).getUTCDate();

/** The instant of an RFC 3339 date-time, or a reason why it cannot be kept exactly. */
export function parseInstant(text: string, opts: { toSeconds?: boolean } = {}): Instant | { error: string } {
  const m = DATE_TIME.exec(text);
  if (!m) return { error: 'is not an RFC 3339 date-time' };
  const [year, month, day, h, mi, s] = m.slice(1, 7).map(Number);
  const fraction = m[7] ?? '';
  if (year < 1) return { error: 'must be in a year from 0001 to 9999' };
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return { error: 'is not a date of the calendar' };
  if (h > 23 || mi > 59) return { error: 'is not a time of day' };
  if (s > 59) return { error: 'is a leap second, which cannot be stored' };
  if (!opts.toSeconds && /[1-9]/.test(fraction.slice(3))) return { error: 'is finer than a millisecond, which cannot be stored' };
  const oh = Number(m[9] ?? 0);
  const om = Number(m[10] ?? 0);
  if (oh > 23 || om > 59) return { error: 'has an offset beyond 23:59' };
  const offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  const milli = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return { ms: utcMs(year, month, day, h, mi, s, milli) - offsetMinutes * 60_000, offsetMinutes };
}

/** Whether the text is a YYYY-MM-DD date of the years 0001..9999. */
export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = m.slice(1).map(Number);
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Text PostgreSQL reads as exactly this instant (timestamptz), also before 1 AD and after 9999. */
export function pgInstant(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const year = y >= 1 ? pad(y, 4) : pad(1 - y, 4); // astronomical year 0 is 1 BC
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  return `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${time}+00${y >= 1 ? '' : ' BC'}`;
}

/** YYYY-MM-DD of the local day containing `ms` at `offsetMinutes` (astronomical years, so 1 BC is 0000). */
export function localDay(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const y = d.getUTCFullYear();
  return `${y < 0 ? '-' : ''}${pad(Math.abs(y), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The instant written in the given offset: seconds, milliseconds only when there are any, `+00:00` for UTC. */
export function formatInstant(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const frac = d.getUTCMilliseconds() ? `.${pad(d.getUTCMilliseconds(), 3)}` : '';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:`
    + `${pad(d.getUTCSeconds())}${frac}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
