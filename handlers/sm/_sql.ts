/**
 * Set queries of the sm service: positional binds built as the SQL is written, run in the request's unit of work when
 * there is one (Sequelize CLS), and rows streamed through a cursor on that same connection.
 */
import QueryStream from 'pg-query-stream';
import type { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import { currentUnitOfWork } from '../../lib/db/unit-of-work';
import { smDb } from '../../models/sm';

/** Collects bind values: `p(v)` answers its placeholder. */
export class Binds {
  readonly values: unknown[] = [];
  p(v: unknown, cast = ''): string {
    this.values.push(v);
    return `$${this.values.length}${cast}`;
  }
}

export async function select<T>(sql: string, bind: unknown[] = []): Promise<T[]> {
  return smDb().query(sql, { bind, type: QueryTypes.SELECT }) as Promise<T[]>;
}

export async function exec(sql: string, bind: unknown[] = []): Promise<void> {
  await smDb().query(sql, { bind });
}

interface ConnectionManager {
  getConnection(opts: { type: 'read' | 'write' }): Promise<Client>;
  releaseConnection(conn: Client): Promise<void>;
}

/** Rows through a cursor: on the unit of work's connection (its tenant scope applies), else on a pooled one. */
export async function* streamRows<T>(sql: string, bind: unknown[], batchSize = 500): AsyncGenerator<T> {
  const cm = smDb().connectionManager as unknown as ConnectionManager;
  const borrowed = (currentUnitOfWork()?.transaction as unknown as { connection?: Client } | undefined)?.connection;
  const conn = borrowed ?? await cm.getConnection({ type: 'read' });
  const stream = conn.query(new QueryStream(sql, bind, { batchSize }));
  try {
    for await (const row of stream) yield row as T;
  } finally {
    stream.destroy();
    if (!borrowed) await cm.releaseConnection(conn);
  }
}
