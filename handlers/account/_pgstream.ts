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

interface PgConnection {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  query<R>(config: { text: string; rowMode?: 'array' }): Promise<{ rows: R[] }>;
}

/** a query on the stream's own connection, in its transaction (queued behind a FETCH in flight) */
export type StreamQuery = <R>(text: string, values?: unknown[]) => Promise<R[]>;

/**
 * The rows in batches (one FETCH each), straight through the pg driver on the transaction's connection: no per-row
 * work besides the driver's own parsing, and one await per batch rather than per row. The next batch is asked for
 * before the current one is handed out, so PostgreSQL writes it while the consumer works (at most two batches are
 * held); `rowMode: 'array'` gives each row as an array of its columns instead of an object; `onQuery` receives a
 * StreamQuery, for a consumer that needs more from the database while it reads (same snapshot rules as the request).
 */
export async function* streamBatches<T extends object>(sequelize: Sequelize, sql: string, params: unknown[], batchSize = 2000,
  opts: { rowMode?: 'array'; onQuery?: (query: StreamQuery) => void } = {}): AsyncGenerator<T[]> {
  const ambient = currentUnitOfWork()?.transaction;
  const own = ambient ? undefined : await outsideUnitOfWork(() => sequelize.transaction());
  const transaction = (ambient ?? own)!;
  const connection = (transaction as unknown as { connection: PgConnection }).connection;
  const cursor = `stream_${crypto.randomBytes(8).toString('hex')}`;
  let declared = false;
  opts.onQuery?.(async <R>(text: string, values?: unknown[]) => (await connection.query<R>(text, values)).rows);
  try {
    await connection.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params);
    declared = true;
    const fetch = () => {
      const p = connection.query<T>({ text: `FETCH FORWARD ${batchSize} FROM ${cursor}`, rowMode: opts.rowMode });
      p.catch(() => undefined); // a prefetch nobody awaits (the reader went away) must not be an unhandled rejection
      return p;
    };
    let next = fetch();
    for (;;) {
      const { rows } = await next;
      const more = rows.length === batchSize;
      if (more) next = fetch();
      if (rows.length) yield rows;
      if (!more) break;
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
