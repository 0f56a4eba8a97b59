/**
 * Audit actions of the service's own calls. A call's action is inserted into account.audit_outbox in the request's
 * own unit of work (it commits with the call's work; a failed call's action is written before its error answer), so
 * an answered call is never missing from the trail, whatever happens to the process after. A background job of every
 * server process moves outbox rows into account.audit_actions in batches (claimed with SKIP LOCKED, so processes
 * never move one row twice), which keeps the audit_counts triggers off the request path. The trail is therefore
 * complete but read a few milliseconds late (AUDIT_FLUSH_MS); an action whose transaction committed after actions
 * numbered above it had been moved, up to FULL_SCAN_MS (below) late.
 */
import { QueryTypes, type CreationAttributes } from 'sequelize';
import { rawQuery } from '../../lib/db/raw';
import { batcher } from '../../lib/db/batch';
import { ambientTransaction, outsideUnitOfWork } from '../../lib/db/unit-of-work';
import type { JobSpec } from '../../lib/jobs';
import { accountDb, type AuditAction } from '../../models/account';
import type { PrincipalCheck } from './_principals';
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

/** a guarded row is written only while its user still has the credentials its principal was cached with (_principals.ts) */
const GUARD_HOLDS = `(NOT v.guarded OR EXISTS (SELECT 1 FROM account.users u WHERE u.username = v.username
  AND u.token_epoch = v.g_epoch AND u.company_key = v.g_company AND u.roles = ARRAY(SELECT json_array_elements_text(v.g_roles))))`;
/** each row's guard beside it: whether it has one, then the token epoch, company and roles it was cached with */
const GUARD_COLUMNS = { guarded: 'bool', g_epoch: 'int8', g_company: 'text', g_roles: 'json' };

/**
 * Outside a unit of work (a databaseFree operation's call) the actions of concurrent calls are written together
 * (lib/db/batch.ts): one statement and one commit for every call that arrived while the previous batch was being
 * written, each row under its own guard. A call is answered only after its batch has committed.
 *
 * The batch is one JSON parameter, so the statement's text is the same for every batch and each connection prepares
 * it once: with the guards spliced into the text, planning cost twice the execution. JSON rather than one array per
 * column because PostgreSQL sees the length of a bound array and re-plans for it at every call (its custom plan
 * looks cheaper than the generic one); the length of a JSON document it does not estimate, so it keeps the generic plan.
 */
const BATCH_COLUMNS: Record<string, string> = { ...Object.fromEntries(COLUMNS.map((c, j) => [c, TYPES[j]])), ...GUARD_COLUMNS, ord: 'int' };
const BATCH_SQL = `WITH v AS (SELECT * FROM json_to_recordset($1::json)
     AS v(${Object.entries(BATCH_COLUMNS).map(([c, t]) => `${c} ${t}`).join(', ')})),
   ok AS MATERIALIZED (SELECT * FROM v WHERE ${GUARD_HOLDS}),
   ins AS (INSERT INTO account.audit_outbox (${COLUMNS.join(', ')}) SELECT ${COLUMNS.join(', ')} FROM ok ORDER BY ord)
   SELECT ord FROM ok`;

function guardValues(check: PrincipalCheck | undefined): unknown[] {
  return check ? [true, check.tokenEpoch, check.companyKey, check.roles] : [false, null, null, null];
}

const batch = batcher<{ row: Row; guard?: PrincipalCheck }, boolean>(async (items) => {
  const names = Object.keys(BATCH_COLUMNS);
  const rows = items.map((i, k) => {
    const all = [...values(i.row), ...guardValues(i.guard), k + 1];
    return Object.fromEntries(names.map((n, j) => [n, all[j]]));
  });
  const result = await rawQuery<{ ord: number }>(accountDb(), BATCH_SQL, [JSON.stringify(rows)], { name: 'account_audit_batch' });
  const written = new Set(result.rows.map((r) => Number(r.ord)));
  return items.map((_, k) => written.has(k + 1));
}, { max: 200 });

/**
 * Write the action in the ambient unit of work, or, outside one, in the next batch (autocommitted). With `guard` (a
 * cached principal's check, _principals.ts cachedCheck) the row is written only while the user's credentials are
 * still those the principal was cached with, in the same statement: false when they were not (the caller's password
 * changed meanwhile), true otherwise. The guard must be the row's own user's.
 */
export async function recordAction(row: Row, guard?: PrincipalCheck): Promise<boolean> {
  if (guard && guard.username !== row.username) throw new Error('recordAction: the guard is not the row user\'s');
  if (!ambientTransaction()) return batch({ row, guard });
  // straight through the driver (lib/db/raw.ts): this statement is on every account call's path
  const result = await rawQuery(accountDb(),
    `INSERT INTO account.audit_outbox (${COLUMNS.join(', ')})
     SELECT v.username, v.company_key, v.trace_code, v.client, v.server, v.service, v.operation, v.time, v.tz_offset_minutes,
            v.method_group, v.points_count, v.duration, v.duration_ms
     FROM (SELECT $1::text AS username, $2::text AS company_key, $3::uuid AS trace_code, $4::text AS client, $5::text AS server,
                  $6::text AS service, $7::text AS operation, $8::timestamptz AS time, $9::int AS tz_offset_minutes,
                  $10::text AS method_group, $11::int AS points_count, $12::text AS duration, $13::float8 AS duration_ms,
                  $14::bool AS guarded, $15::int8 AS g_epoch, $16::text AS g_company, $17::json AS g_roles) v
     WHERE ${GUARD_HOLDS}`,
    [...values(row), ...guardValues(guard).map((x, j) => (j === 3 && x ? JSON.stringify(x) : x))], { name: 'account_audit_one' });
  return result.rowCount === 1;
}

/**
 * Where this process's next move starts looking (the highest outbox id it moved): the outbox is a queue, its head a
 * run of deleted rows until autovacuum comes by (a minute, by default, some 100,000 rows at 2,000 calls a second), and
 * a scan from the start walked them all at every move. A row whose id is below the floor but that committed after rows
 * above it were moved (its transaction was still open) is found by the full scan, from the start, at least every
 * FULL_SCAN_MS: it reaches the trail at most that late.
 */
let floor = 0;
let lastFullScan = 0;
const FULL_SCAN_MS = 1000;

/**
 * Move up to `limit` outbox rows into the trail, oldest first; answers how many moved. Rows another mover holds are
 * skipped, unless `wait`: then the move waits for that mover's transaction, after which those rows are in the trail.
 */
export async function moveOutbox(limit = BATCH, opts: { full?: boolean; wait?: boolean } = {}): Promise<number> {
  const full = opts.full || Date.now() - lastFullScan >= FULL_SCAN_MS;
  if (full) lastFullScan = Date.now();
  const rows = await outsideUnitOfWork(() => accountDb().query<{ n: number; top: string | null }>(
    `WITH moved AS (
       DELETE FROM account.audit_outbox WHERE id IN (
         SELECT id FROM account.audit_outbox WHERE id > :floor ORDER BY id LIMIT :limit FOR UPDATE${opts.wait ? '' : ' SKIP LOCKED'})
       RETURNING *
     ), ins AS (
       INSERT INTO account.audit_actions (${COLUMNS.join(', ')})
       SELECT ${COLUMNS.join(', ')} FROM moved ORDER BY id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::int AS n, (SELECT max(id) FROM moved)::text AS top`,
    { replacements: { limit, floor: full ? 0 : floor }, type: QueryTypes.SELECT },
  ));
  const top = rows[0]?.top;
  if (top !== null && top !== undefined) floor = Math.max(floor, Number(top));
  return rows[0]?.n ?? 0;
}

/**
 * Move everything that is in the outbox now (shutdown, tests, admin commands): when it returns, every action that was
 * in the outbox when it began is in the trail, also those another process's (or this one's) job was moving meanwhile
 * (waited for, not skipped: skipping them returned while their move had not committed yet).
 */
export async function flushAudit(): Promise<void> {
  while ((await moveOutbox(BATCH, { full: true, wait: true })) > 0) { /* next batch */ }
}

export const auditJob = (): JobSpec => ({
  name: 'account-audit-outbox',
  mode: 'every-process',
  get everyMs() { return accountSettings.values.AUDIT_FLUSH_MS; },
  async run(signal) {
    while (!signal.aborted && (await moveOutbox()) === BATCH) { /* a full batch: more may be waiting */ }
  },
});
