/**
 * Rows of a query streamed from PostgreSQL through a cursor: on the connection of the request's unit of work when there
 * is one (its tenant scope applies), otherwise in a transaction of its own, ended when the stream ends.
 *
 * The cursor is an SQL one (DECLARE, then FETCH a batch at a time), not a protocol portal: each FETCH is a statement
 * of its own, so DB_STATEMENT_TIMEOUT_MS bounds every batch rather than the whole answer (a portal's Execute messages
 * share one statement timer until the final Sync, which cut every stream longer than the timeout), and between
 * batches the session is idle in its transaction, so PostgreSQL's idle_in_transaction_session_timeout ends a stream
 * whose reader stalled even if this process does not (lib/db.ts sets it just above the request deadline).
 */
import crypto from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { currentUnitOfWork, outsideUnitOfWork } from '../../lib/db/unit-of-work';

const finished = (t: Transaction) => !!(t as unknown as { finished?: string }).finished;

interface PgConnection { query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }> }

/**
 * The rows in batches (one FETCH each), straight through the pg driver on the transaction's connection: no per-row
 * work besides the driver's own parsing, and one await per batch rather than per row.
 */
export async function* streamBatches<T extends object>(sequelize: Sequelize, sql: string, params: unknown[], batchSize = 2000): AsyncGenerator<T[]> {
  const ambient = currentUnitOfWork()?.transaction;
  const own = ambient ? undefined : await outsideUnitOfWork(() => sequelize.transaction());
  const transaction = (ambient ?? own)!;
  const connection = (transaction as unknown as { connection: PgConnection }).connection;
  const cursor = `stream_${crypto.randomBytes(8).toString('hex')}`;
  let declared = false;
  try {
    await connection.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params);
    declared = true;
    for (;;) {
      const { rows } = await connection.query<T>(`FETCH FORWARD ${batchSize} FROM ${cursor}`);
      if (rows.length) yield rows;
      if (rows.length < batchSize) break;
    }
  } finally {
    // a cursor left open by a reader that went away would only end with the transaction: close it now
    if (declared && !finished(transaction)) await connection.query(`CLOSE ${cursor}`).catch(() => undefined);
    if (own && !finished(own)) await own.rollback().catch(() => undefined);
  }
}

export async function* streamRows<T extends object>(sequelize: Sequelize, sql: string, params: unknown[], batchSize = 1000): AsyncGenerator<T> {
  for await (const rows of streamBatches<T>(sequelize, sql, params, batchSize)) yield* rows;
}
