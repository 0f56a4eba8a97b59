/**
 * GET /account/audit (spec/account.yaml · read_audit) — a user sees its own actions, an ADMIN its whole company's.
 * Pages up to STREAM_THRESHOLD rows are answered at once; larger ones stream from a cursor straight to the socket,
 * within the stream limits of _streams.ts (per account, per process, idle reader).
 */
import { QueryTypes } from 'sequelize';
import { badRequest } from '../../lib/errors';
import { accountDb } from '../../models/account';
import { handler } from './_context';
import { parseInstant, pgInstant } from '../../lib/instant';
import { STREAM_EXTRA_COLUMNS, streamActionsSql, streamedActionsJson, toActionWire, type AuditRow } from './_mappers';
import { startOfLocalDay, localDate } from './_period';
import { streamBatches, type StreamQuery } from './_pgstream';
import { securitySettings } from './_security-settings';
import { guardedStream, takeStreamSlot } from './_streams';
import { seekDay } from './_audit-seek';

const STREAM_THRESHOLD = 10_000;
/** rows per FETCH of a stream (two batches in memory at most: about 3 MB of JSON text) */
const STREAM_BATCH = 5_000;
/** from this offset on, a page sorted by time skips whole UTC months and days by their counts (account.audit_month_counts, audit_day_counts) */
const DEEP_OFFSET = 1_000;
const DAY = 86_400_000;
const SORTABLE: Record<string, string> = {
  time: 'time', username: 'username', company_key: 'company_key', service: 'service', operation: 'operation',
  method_group: 'method_group', points_count: 'points_count', duration: 'duration_ms',
};
const COLUMNS = 'username, company_key, trace_code, client, server, service, operation, time, tz_offset_minutes, method_group, points_count, duration';

export default handler('read_audit', async ({ query }, { principal: user }) => {
  const now = new Date();
  const instant = (field: 'from' | 'to', fallback: Date): number => {
    const text = query[field];
    if (text === undefined) return fallback.getTime();
    const at = parseInstant(text);
    if ('error' in at) throw badRequest(`${field} ${at.error}`, [{ location: 'query', field, message: at.error }]);
    return at.ms;
  };
  const from = instant('from', startOfLocalDay(localDate(now, user.timezone), user.timezone));
  const to = instant('to', now);
  // a from after to is an empty period: an empty page with the totals, not an error
  const sortField = query.sort_field ?? 'time';
  const sortColumn = Object.hasOwn(SORTABLE, sortField) ? SORTABLE[sortField] : undefined; // not 'constructor' and the like
  if (!sortColumn) {
    throw badRequest(`sort_field must be one of ${Object.keys(SORTABLE).join(', ')}`, [{ location: 'query', field: 'sort_field', message: 'unknown field' }]);
  }
  const direction = query.sort_direction === 'DESC' ? 'DESC' : 'ASC';

  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const scope = user.roles.includes('ADMIN') ? `company_key = ${p(user.companyKey)}` : `username = ${p(user.username)}`;
  const filters = [scope, `time >= ${p(pgInstant(from))}::timestamptz`, `time <= ${p(pgInstant(to))}::timestamptz`];
  if (query.service_name) filters.push(`service = ${p(query.service_name)}`);
  if (query.operation_id) filters.push(`operation = ${p(query.operation_id)}`);
  if (query.method_group) filters.push(`method_group = ${p(query.method_group)}`);

  const db = accountDb();
  // the overall total is kept by triggers (account.audit_counts); the filtered one is counted, unless the filter is a
  // period that covers every action of the caller, in which case it is the overall total
  const scopeKey = user.roles.includes('ADMIN') ? `c:${user.companyKey}` : `u:${user.username}`;
  const [head] = await db.query<{ overall: string | null; first: Date | null; last: Date | null }>(
    `SELECT (SELECT n FROM account.audit_counts WHERE scope = $2) AS overall,
            (SELECT min(time) FROM account.audit_actions WHERE ${scope}) AS first,
            (SELECT max(time) FROM account.audit_actions WHERE ${scope}) AS last`,
    { bind: [params[0], scopeKey], type: QueryTypes.SELECT }, // $1 is the scope's value
  );
  const overall = Number(head.overall ?? 0);
  const periodOnly = filters.length === 3;
  const coversAll = periodOnly && (!head.first || (head.first.getTime() >= from && head.last!.getTime() <= to));
  const filtered = coversAll ? overall : Number((await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM account.audit_actions WHERE ${filters.join(' AND ')}`,
    { bind: params, type: QueryTypes.SELECT },
  ))[0].n);
  const statistics = { overall: { total: overall }, filter: { total: filtered } };
  let offset = query.offset ?? 0;
  const limit = query.limit ?? 100;
  if (sortColumn === 'time' && periodOnly && offset >= DEEP_OFFSET && offset < filtered) {
    const seek = await seekDay({ scope, scopeValue: params[0], scopeKey, from, to, offset, descending: direction === 'DESC' });
    if (seek) {
      filters.push(direction === 'ASC' ? `time >= ${p(pgInstant(seek.dayStart))}::timestamptz` : `time < ${p(pgInstant(seek.dayStart + DAY))}::timestamptz`);
      offset = seek.offset;
    }
  }
  const where = filters.join(' AND ');
  const page = `ORDER BY ${sortColumn} ${direction}, id ${direction} OFFSET ${p(offset)} LIMIT ${p(limit)}`;

  if (limit <= STREAM_THRESHOLD || statistics.filter.total - offset <= STREAM_THRESHOLD) {
    // deferred join: the offset is walked over the (scope, time, id) index alone, rows are read for the page only
    const deferredSql = `SELECT ${COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')} FROM account.audit_actions a
      JOIN (SELECT id, ${sortColumn} AS k FROM account.audit_actions WHERE ${where} ${page}) page USING (id)
      ORDER BY page.k ${direction}, a.id ${direction}`;
    const rows = await db.query<AuditRow>(deferredSql, { bind: params, type: QueryTypes.SELECT });
    return { status: 200, body: { actions: rows.map(toActionWire), statistics } };
  }
  const release = await takeStreamSlot(user.username);
  // each row's JSON text comes from PostgreSQL (_mappers.ts streamActionsSql), mostly as stored with the row
  // (action_json): one join per batch here
  const streamSql = streamActionsSql(
    `SELECT ${COLUMNS}, ${sortColumn} AS k, id, ${STREAM_EXTRA_COLUMNS} FROM account.audit_actions WHERE ${where} ${page}`,
    `s.k ${direction}, s.id ${direction}`);
  async function* json() {
    yield '{"actions":[';
    let first = true;
    let query: StreamQuery | undefined;
    for await (const batch of streamBatches<unknown[]>(db, streamSql, params, STREAM_BATCH, { rowMode: 'array', onQuery: (q) => { query = q; } })) {
      for (const text of await streamedActionsJson(batch, query!)) {
        yield first ? text : `,${text}`;
        first = false;
      }
    }
    yield `],"statistics":${JSON.stringify(statistics)}}`;
  }
  const raw = guardedStream(json(), { idleMs: securitySettings.values.ACCOUNT_STREAM_IDLE_MS, onClose: release });
  return { status: 200, body: { raw, contentType: 'application/json; charset=utf-8' } };
});
