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
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { currentUnitOfWork, outsideUnitOfWork } from '../../lib/db/unit-of-work';

const finished = (t: Transaction) => !!(t as unknown as { finished?: string }).finished;

export async function* streamRows<T extends object>(sequelize: Sequelize, sql: string, params: unknown[], batchSize = 1000): AsyncGenerator<T> {
  const ambient = currentUnitOfWork()?.transaction;
  const own = ambient ? undefined : await outsideUnitOfWork(() => sequelize.transaction());
  const transaction = (ambient ?? own)!;
  const cursor = `stream_${crypto.randomBytes(8).toString('hex')}`;
  let declared = false;
  try {
    await sequelize.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, { bind: params, transaction });
    declared = true;
    for (;;) {
      const rows = await sequelize.query<T>(`FETCH FORWARD ${batchSize} FROM ${cursor}`, { type: QueryTypes.SELECT, transaction });
      for (const row of rows) yield row;
      if (rows.length < batchSize) break;
    }
  } finally {
    // a cursor left open by a reader that went away would only end with the transaction: close it now
    if (declared && !finished(transaction)) await sequelize.query(`CLOSE ${cursor}`, { transaction }).catch(() => undefined);
    if (own && !finished(own)) await own.rollback().catch(() => undefined);
  }
}
