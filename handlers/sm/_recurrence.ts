/**
 * Recurring windows (extension): an RFC 5545 RRULE read by the `rrule` library over "floating" wall-clock times, each
 * occurrence's wall-clock start placed in the IANA zone with Intl (so 02:30 every Sunday stays 02:30 across DST; a
 * wall-clock time the zone skips moves forward by the gap), every occurrence lasting as long as the first. The first
 * MAX_OCCURRENCES occurrences, within HORIZON_YEARS of the first, are materialised.
 */
import { RRule } from 'rrule';
import { ApiError } from '../../lib/errors';
import { MSG } from './_errors';

export const MAX_OCCURRENCES = 1000;
export const HORIZON_YEARS = 10;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of an instant in a zone, as epoch milliseconds of the same fields read as UTC. */
export function wallClock(ms: number, zone: string): number {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const d = new Date(0);
  d.setUTCFullYear(Number(parts.year), Number(parts.month) - 1, Number(parts.day));
  d.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), ms - Math.floor(ms / 1000) * 1000);
  return d.getTime();
}

/** The instant at which the zone's wall clock shows `wall` (the later reading in a skipped hour). */
export function instantOf(wall: number, zone: string): number {
  const offsetAt = (t: number) => wallClock(t, zone) - t;
  let t = wall - offsetAt(wall);
  t = wall - offsetAt(t);
  return t;
}

const ruleError = (field: string, message: string) =>
  new ApiError('validation', MSG.wrongModel, { fields: [{ location: 'body', field, message }] });

/** The RRULE's options (no DTSTART of its own: the mode's dateStart is it), or a 400 naming the field. */
export function parseRule(text: string) {
  const body = text.replace(/^RRULE:/i, '');
  if (/DTSTART|TZID/i.test(body)) throw ruleError('x-rrule', 'must not hold DTSTART or TZID: the mode\'s dateStart and x-timezone are its start');
  let options;
  try {
    options = RRule.parseString(body);
  } catch (e) {
    throw ruleError('x-rrule', `is not an RFC 5545 RRULE: ${(e as Error).message}`);
  }
  if (options.freq === undefined) throw ruleError('x-rrule', 'must name FREQ');
  return options;
}

/** The occurrences [start, end) of a series whose first window is [startMs, endMs). */
export function occurrences(rule: string, zone: string, startMs: number, endMs: number): Array<[number, number]> {
  const duration = endMs - startMs;
  const dtstart = new Date(wallClock(startMs, zone));
  const until = new Date(dtstart.getTime());
  until.setUTCFullYear(until.getUTCFullYear() + HORIZON_YEARS);
  const r = new RRule({ ...parseRule(rule), dtstart });
  const out: Array<[number, number]> = [];
  r.all((d, i) => {
    if (i >= MAX_OCCURRENCES || d > until) return false;
    const s = instantOf(d.getTime(), zone);
    out.push([s, s + duration]);
    return true;
  });
  if (!out.length || out[0][0] !== startMs) out.unshift([startMs, endMs]); // the first window is always dateStart..dateEnd
  return out;
}
