/** The one place where account models meet wire names. */
import type { components } from '../../generated/account';
import type { User } from '../../models/account';
import { isoWithOffset } from './_trace';

type Schemas = components['schemas'];

export function toInfoWire(u: User): Schemas['account_info'] {
  return {
    username: u.username,
    name: u.name,
    email: u.email,
    phone: u.phone,
    company_key: u.companyKey,
    timezone: u.timezone,
  };
}

/** A row of account.audit_actions as selected by the audit query (snake_case columns). */
export interface AuditRow {
  username: string; company_key: string; trace_code: string; client: string; server: string; service: string;
  operation: string; time: Date; tz_offset_minutes: number; method_group: string; points_count: number; duration: string;
}

export function toActionWire(r: AuditRow): Schemas['audit_action'] {
  return {
    username: r.username,
    company_key: r.company_key,
    tracedata: {
      code: r.trace_code,
      client: r.client,
      server: r.server,
      service: r.service as Schemas['service_name'],
      operation: r.operation,
      time: isoWithOffset(r.time, r.tz_offset_minutes),
    },
    method_group: r.method_group as Schemas['method_group'],
    statistics: { points_count: r.points_count, duration: r.duration },
  };
}

const q = JSON.stringify;

/**
 * JSON.stringify(toActionWire(r)), written out for the audit stream (a million rows): the same text, key order and
 * escaping (every string goes through JSON.stringify), without building the nested objects first.
 */
export function actionJson(r: AuditRow): string {
  return `{"username":${q(r.username)},"company_key":${q(r.company_key)},"tracedata":{"code":${q(r.trace_code)},` +
    `"client":${q(r.client)},"server":${q(r.server)},"service":${q(r.service)},"operation":${q(r.operation)},` +
    `"time":${q(isoWithOffset(r.time, r.tz_offset_minutes))}},"method_group":${q(r.method_group)},` +
    `"statistics":{"points_count":${q(r.points_count)},"duration":${q(r.duration)}}}`;
}

/**
 * The audit stream's rows as JSON text written by PostgreSQL, so that Node neither parses nor serialises a row.
 * `streamActionsSql(inner, order)` wraps a query selecting the audit COLUMNS (in `AuditRow`'s order) plus its sort key
 * and tie-breaker, then STREAM_EXTRA_COLUMNS, and keeps its order (`order`). Each row of the result is one text:
 * exactly `actionJson(row)` (it starts with `{`), or, for a row PostgreSQL cannot write identically, a JSON array of
 * its columns' texts (it starts with `[`), which `streamedActionsJson` sends back to PostgreSQL to read them as the
 * driver reads the columns (the same type parsers, so the same Date) and writes with `actionJson`.
 *
 * Most rows carry that text already: account.audit_actions.action_json, set from the row's own columns by a trigger in
 * the statement that writes the row (migration 20261202-0403, whose expression is its own: a migration must not change
 * with this file), and sent as it is (about 1 µs a row in PostgreSQL instead of 4). Rows without it (written before
 * that migration, or out of the range below) are written here as they were before it; the local time and the escape
 * test are computed for those rows only. PostgreSQL writes a row when its local time lies in the years 0001..9999,
 * five days from either end (where `toISOString` writes other year forms) and its offset is below 100 hours.
 * Identical text:
 * - strings: PostgreSQL's JSON escaping (`to_json(text)`) is JSON.stringify's for every character text can hold
 *   (\b \f \n \r \t \" \\ as such, other characters below U+0020 as \u00xx, lowercase, nothing else escaped: not
 *   U+007F, U+2028 or U+2029, nor any non-ASCII); a row none of whose strings holds one of those is written with
 *   plain quotes, the same text without the eight calls;
 * - the time: `isoWithOffset`, i.e. the local date-time `YYYY-MM-DDTHH:MM:SS`, `.mmm` when the milliseconds are not
 *   zero (microseconds truncated, as the driver's date parser does), then `Z` or `±HH:MM`;
 * - `points_count` an int4 (its decimal text), the uuid `trace_code` in its canonical lowercase text.
 * test/account/read_audit.stream-format.test.ts proves both texts, stored and written here, equal `actionJson`.
 */
const AUDIT_FIELDS: Array<keyof AuditRow> = ['username', 'company_key', 'trace_code', 'client', 'server', 'service',
  'operation', 'time', 'tz_offset_minutes', 'method_group', 'points_count', 'duration'];
const STRING_FIELDS = ['username', 'company_key', 'client', 'server', 'service', 'operation', 'method_group', 'duration'];

function actionJsonSql(str: (column: string) => string): string {
  return `'{"username":' || ${str('s.username')} || ',"company_key":' || ${str('s.company_key')}`
    + ` || ',"tracedata":{"code":"' || s.trace_code::text || '","client":' || ${str('s.client')}`
    + ` || ',"server":' || ${str('s.server')} || ',"service":' || ${str('s.service')}`
    + ` || ',"operation":' || ${str('s.operation')} || ',"time":"'`
    + ` || CASE WHEN right(s.t, 4) = '.000' THEN left(s.t, 19) ELSE s.t END`
    + ` || CASE WHEN s.tz_offset_minutes = 0 THEN 'Z' ELSE CASE WHEN s.tz_offset_minutes < 0 THEN '-' ELSE '+' END`
    + ` || lpad((abs(s.tz_offset_minutes) / 60)::text, 2, '0') || ':' || lpad((abs(s.tz_offset_minutes) % 60)::text, 2, '0') END`
    + ` || '"},"method_group":' || ${str('s.method_group')} || ',"statistics":{"points_count":' || s.points_count::text`
    + ` || ',"duration":' || ${str('s.duration')} || '}}'`;
}

const OK = `time >= TIMESTAMPTZ '0001-01-06 00:00:00+00' AND time < TIMESTAMPTZ '9999-12-26 00:00:00+00'`
  + ` AND tz_offset_minutes BETWEEN -5999 AND 5999`;
/** the local time to the millisecond, for the rows without stored text that PostgreSQL writes; NULL for the others */
const LOCAL_TEXT = `CASE WHEN action_json IS NULL AND ${OK} THEN to_char((time AT TIME ZONE 'UTC') + tz_offset_minutes * INTERVAL '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS') END`;
/** whether a string needs JSON escapes (a character below U+0020, a quote or a backslash), for the rows without stored text */
const NEEDS_ESCAPE = `CASE WHEN action_json IS NULL THEN (${STRING_FIELDS.join(' || ')}) ~ '[\\x01-\\x1f"\\\\]' END`;

/**
 * the columns the inner query of `streamActionsSql` selects after the audit COLUMNS and its sort columns: the stored
 * text, and what writing a row without it needs (the inner query is evaluated for every row, so its work is guarded:
 * a row with stored text pays two null tests)
 */
export const STREAM_EXTRA_COLUMNS = `action_json AS stored, ${LOCAL_TEXT} AS t, ${NEEDS_ESCAPE} AS esc`;

export function streamActionsSql(inner: string, order: string): string {
  const fast = `CASE WHEN s.esc THEN ${actionJsonSql((c) => `to_json(${c})::text`)} ELSE ${actionJsonSql((c) => `'"' || ${c} || '"'`)} END`;
  const columns = AUDIT_FIELDS.map((f) => (f === 'time' ? 's.time::text' : f === 'trace_code' ? 's.trace_code::text' : `s.${f}`)).join(', ');
  return `SELECT CASE WHEN s.stored IS NOT NULL THEN s.stored WHEN s.t IS NOT NULL THEN ${fast} ELSE json_build_array(${columns})::text END AS json`
    + ` FROM (${inner}) s ORDER BY ${order}`;
}

/** reads the columns of `streamActionsSql`'s arrays back with their own types (the driver parses them as it does the table's) */
const READ_BACK = `SELECT ${AUDIT_FIELDS.map((f, i) => `(e->>${i})${({ trace_code: '::uuid', time: '::timestamptz', tz_offset_minutes: '::int4', points_count: '::int4' } as Record<string, string>)[f] ?? ''} AS ${f}`).join(', ')}
  FROM json_array_elements($1::json) WITH ORDINALITY AS x(e, n) ORDER BY n`;

/** rows per text of `streamedActionsJson`: V8 joins strings of tens of kilobytes several times faster than megabytes */
const ROWS_PER_TEXT = 128;

/**
 * A batch of `streamActionsSql` rows (array row mode) as the JSON texts of its actions, in texts of ROWS_PER_TEXT
 * actions joined by commas; `query` runs on the stream's connection, only for a batch that holds rows PostgreSQL did
 * not write.
 */
export async function streamedActionsJson(rows: unknown[][], query: <R>(text: string, values?: unknown[]) => Promise<R[]>): Promise<string[]> {
  const texts = new Array<string>(rows.length);
  const others: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const text = rows[i][0] as string;
    texts[i] = text;
    if (text.charCodeAt(0) !== 123 /* { */) others.push(i);
  }
  if (others.length) {
    const read = await query<AuditRow>(READ_BACK, [`[${others.map((i) => texts[i]).join(',')}]`]);
    others.forEach((i, n) => { texts[i] = actionJson(read[n]); });
  }
  const out: string[] = [];
  for (let i = 0; i < texts.length; i += ROWS_PER_TEXT) out.push(texts.slice(i, i + ROWS_PER_TEXT).join(','));
  return out;
}
