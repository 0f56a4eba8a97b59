/**
 * Instants as the product writes them ("2021-07-09T10:56:17+03:00"): read exactly (years 0001..9999, milliseconds)
 * into epoch milliseconds and the offset they were given in, and written back in that offset.
 */
const FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:\d{2})$/;

export interface Instant { ms: number; offset: number }

/** The instant, or undefined when the text is not one (a calendar date that does not exist, an offset over 23:59). */
export function parseInstant(text: string): Instant | undefined {
  const m = FORM.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const frac = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  date.setUTCHours(h, mi, s, frac);
  return { ms: date.getTime() - offset * 60_000, offset };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The instant in its offset: seconds, milliseconds only when there are any; UTC (given as Z) as +00:00. */
export function formatInstant(ms: number, offset: number): string {
  const d = new Date(ms + offset * 60_000);
  const frac = d.getUTCMilliseconds() ? `.${pad(d.getUTCMilliseconds(), 3)}` : '';
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:` +
    `${pad(d.getUTCSeconds())}${frac}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
