/**
 * Rows of a query streamed from PostgreSQL through a cursor: on the connection of the request's unit of work when there
 * is one (its tenant scope applies), otherwise on a pooled connection released when the stream ends.
 */
import type { Sequelize } from 'sequelize';
import QueryStream from 'pg-query-stream';
import type { Client } from 'pg';
import { currentUnitOfWork } from '../../lib/db/unit-of-work';

interface ConnectionManager {
  getConnection(opts: { type: 'read' | 'write' }): Promise<Client>;
  releaseConnection(conn: Client): Promise<void>;
}

export async function* streamRows<T>(sequelize: Sequelize, sql: string, params: unknown[], batchSize = 1000): AsyncGenerator<T> {
  const cm = sequelize.connectionManager as unknown as ConnectionManager;
  const borrowed = (currentUnitOfWork()?.transaction as unknown as { connection?: Client } | undefined)?.connection;
  const conn = borrowed ?? await cm.getConnection({ type: 'read' });
  const stream = conn.query(new QueryStream(sql, params, { batchSize }));
  try {
    for await (const row of stream) yield row as T;
  } finally {
    stream.destroy();
    if (!borrowed) await cm.releaseConnection(conn);
  }
}
