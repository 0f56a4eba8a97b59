/**
 * Audit actions of the service's own calls. A call's action is inserted into account.audit_outbox in the request's
 * own unit of work (it commits with the call's work; a failed call's action is written before its error answer), so
 * an answered call is never missing from the trail, whatever happens to the process after. A background job of every
 * server process moves outbox rows into account.audit_actions in batches (claimed with SKIP LOCKED, so processes
 * never move one row twice), which keeps the audit_counts triggers off the request path. The trail is therefore
 * complete but read a few milliseconds late (AUDIT_FLUSH_MS).
 */
import { QueryTypes, type CreationAttributes } from 'sequelize';
import { rawQuery } from '../../lib/db/raw';
import { batcher } from '../../lib/db/batch';
import { ambientTransaction, outsideUnitOfWork } from '../../lib/db/unit-of-work';
import type { JobSpec } from '../../lib/jobs';
import { accountDb, type AuditAction } from '../../models/account';
import { accountSettings } from './_settings';

type Row = CreationAttributes<AuditAction>;
const COLUMNS = ['username', 'company_key', 'trace_code', 'client', 'server', 'service', 'operation', 'time',
  'tz_offset_minutes', 'method_group', 'points_count', 'duration', 'duration_ms'];
const BATCH = 1000;

const TYPES = ['text', 'text', 'uuid', 'text', 'text', 'text', 'text', 'timestamptz', 'int', 'text', 'int', 'text', 'float8'];

function values(row: Row): unknown[] {
  const r = { tzOffsetMinutes: 0, pointsCount: 0, duration: 'PT0S', durationMs: 0, ...row };
  return [r.username, r.companyKey, r.traceCode, r.client, r.server, r.service, r.operation, r.time, r.tzOffsetMinutes,
    r.methodGroup, r.pointsCount, r.duration, r.durationMs];
}

/**
 * Outside a unit of work (a databaseFree operation's call) the actions of concurrent calls are written together
 * (lib/db/batch.ts): one statement and one commit for every call that arrived while the previous batch was being
 * written, each row under its own guard. A call is answered only after its batch has committed.
 */
const batch = batcher<{ row: Row; guard?: string }, boolean>(async (items) => {
  const columns = TYPES.map((type, j) => `$${j + 1}::${type}[]`).join(', ');
  const guards = items.some((i) => i.guard)
    ? `WHERE CASE v.ord ${items.map((i, k) => `WHEN ${k + 1} THEN ${i.guard ?? 'true'}`).join(' ')} END`
    : '';
  const rows = items.map((i) => values(i.row));
  const result = await rawQuery<{ ord: string }>(accountDb(),
    `WITH v AS (SELECT * FROM unnest(${columns}) WITH ORDINALITY AS v(${COLUMNS.join(', ')}, ord)),
     ok AS MATERIALIZED (SELECT * FROM v ${guards}),
     ins AS (INSERT INTO account.audit_outbox (${COLUMNS.join(', ')}) SELECT ${COLUMNS.join(', ')} FROM ok ORDER BY ord)
     SELECT ord FROM ok`,
    TYPES.map((_, j) => rows.map((r) => r[j])));
  const written = new Set(result.rows.map((r) => Number(r.ord)));
  return items.map((_, k) => written.has(k + 1));
}, { max: 200 });

/**
 * Write the action in the ambient unit of work, or, outside one, in the next batch (autocommitted). With `guard` (an
 * SQL boolean, lib/db/unit-of-work.ts guardPrincipal) the row is written only while the guard holds, in the same
 * statement: false when it did not (the caller's credentials changed meanwhile), true otherwise.
 */
export async function recordAction(row: Row, guard?: string): Promise<boolean> {
  if (!ambientTransaction()) return batch({ row, guard });
  // straight through the driver (lib/db/raw.ts): this statement is on every account call's path
  const result = await rawQuery(accountDb(),
    `INSERT INTO account.audit_outbox (${COLUMNS.join(', ')})
     SELECT $1, $2, $3::uuid, $4, $5, $6, $7, $8::timestamptz, $9::int, $10, $11::int, $12, $13::float8
     ${guard ? `WHERE ${guard}` : ''}`,
    values(row));
  return result.rowCount === 1;
}

/** Move up to `limit` outbox rows into the trail, oldest first; answers how many moved. */
export async function moveOutbox(limit = BATCH): Promise<number> {
  const rows = await outsideUnitOfWork(() => accountDb().query<{ n: number }>(
    `WITH moved AS (
       DELETE FROM account.audit_outbox WHERE id IN (
         SELECT id FROM account.audit_outbox ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED)
       RETURNING *
     ), ins AS (
       INSERT INTO account.audit_actions (${COLUMNS.join(', ')})
       SELECT ${COLUMNS.join(', ')} FROM moved ORDER BY id
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM ins`,
    { replacements: { limit }, type: QueryTypes.SELECT },
  ));
  return rows[0]?.n ?? 0;
}

/** Move everything that is in the outbox now (shutdown, tests, admin commands). */
export async function flushAudit(): Promise<void> {
  while ((await moveOutbox()) > 0) { /* next batch */ }
}

export const auditJob = (): JobSpec => ({
  name: 'account-audit-outbox',
  mode: 'every-process',
  get everyMs() { return accountSettings.values.AUDIT_FLUSH_MS; },
  async run(signal) {
    while (!signal.aborted && (await moveOutbox()) === BATCH) { /* a full batch: more may be waiting */ }
  },
});
