/**
 * Recurring windows (extension): an RFC 5545 RRULE read by the `rrule` library over "floating" wall-clock times, each
 * occurrence's wall-clock start placed in the IANA zone with Intl (so 02:30 every Sunday stays 02:30 across DST; a
 * wall-clock time the zone skips moves forward by the gap), every occurrence lasting as long as the first. The first
 * MAX_OCCURRENCES occurrences, within HORIZON_YEARS of the first, are materialised.
 *
 * The library's expansion runs in a worker thread (_recurrence-worker.js) with a deadline of RULE_BUDGET_MS: a rule
 * whose expansion never ends inside the library (FREQ=HOURLY;INTERVAL=24;BYHOUR=1 from 10:56) or takes longer than
 * that (a rule that occurs on no day: FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30) is a 400 naming x-rrule, and the
 * server's event loop never waits for it. Results are memoised per (rule, zone, start) for the rest of a write.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { RRule } from 'rrule';
import { ApiError } from '../../lib/errors';
import { MSG } from './_errors';

export const MAX_OCCURRENCES = 1000;
export const HORIZON_YEARS = 10;
/** how long the expansion of one rule may take before the rule is refused */
export const RULE_BUDGET_MS = 1000;
const WORKER = path.join(__dirname, '_recurrence-worker.js');

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
  try {
    new RRule({ ...options, dtstart: new Date(0) }); // the library's own checks of its parts (BYSETPOS 1..366, ...)
  } catch (e) {
    throw ruleError('x-rrule', `is not a usable RRULE: ${(e as Error).message}`);
  }
  return options;
}

/** The rule's occurrences as floating wall-clock ms from dtstart, expanded by the library in a worker, or a 400. */
function expand(rule: string, dtstart: number, until: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER);
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    const timer = setTimeout(() => done(() => reject(ruleError('x-rrule',
      `its occurrences could not be worked out within ${RULE_BUDGET_MS} ms (a rule that never, or very rarely, matches)`))), RULE_BUDGET_MS);
    worker.once('message', (m: { dates?: number[]; failed?: string }) => done(() => {
      if (m.dates) resolve(m.dates);
      else reject(ruleError('x-rrule', `is not a usable RRULE: ${m.failed}`));
    }));
    worker.once('error', (e) => done(() => reject(e)));
    worker.once('exit', (code) => done(() => reject(new Error(`recurrence worker exited with code ${code}`))));
    worker.postMessage({ rule: rule.replace(/^RRULE:/i, ''), dtstart, until, max: MAX_OCCURRENCES });
  });
}

/** recent expansions (pure results: the same rule, zone and start always give the same occurrences) */
const memo = new Map<string, Promise<number[]>>();
const MEMO_SIZE = 64;


/** The occurrences [start, end) of a series whose first window is [startMs, endMs); a 400 for a rule that cannot be expanded. */
export async function occurrences(rule: string, zone: string, startMs: number, endMs: number): Promise<Array<[number, number]>> {
  parseRule(rule);
  const duration = endMs - startMs;
  const dtstart = wallClock(startMs, zone);
  const until = new Date(dtstart);
  until.setUTCFullYear(until.getUTCFullYear() + HORIZON_YEARS);
  const key = JSON.stringify([rule, dtstart, until.getTime()]);
  let dates = memo.get(key);
  if (!dates) {
    dates = expand(rule, dtstart, until.getTime());
    memo.set(key, dates);
    dates.catch(() => memo.delete(key));
    if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
  }
  const out: Array<[number, number]> = (await dates).map((d) => {
    const s = instantOf(d, zone);
    return [s, s + duration];
  });
  if (!out.length || out[0][0] !== startMs) out.unshift([startMs, endMs]); // the first window is always dateStart..dateEnd
  return out;
}
