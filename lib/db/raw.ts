/**
 * One statement straight through the pg driver, for the few statements on every request's path (the account audit
 * write) where Sequelize's query building (replacement parsing, option cloning, result shaping) costs more than the
 * statement itself. It joins the ambient unit of work like a Sequelize query (its connection, its transaction, its
 * tenant), takes a pooled connection of its own outside one (autocommitted), and throws inside a databaseFree handler.
 * Parameters are bound ($1, $2, ...), never spliced into the text.
 */
import type { QueryResult, QueryResultRow } from 'pg';
import type { Sequelize } from 'sequelize';
import { ambientTransaction } from './unit-of-work';

interface PgConnection {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  query<R extends QueryResultRow>(config: { name?: string; text: string; values?: unknown[] }): Promise<QueryResult<R>>;
}
interface ConnectionManager {
  getConnection(options?: object): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): void | Promise<void>;
}

/**
 * `opts.name` makes it a prepared statement: each connection parses and plans the text once, under that name, and
 * later calls only bind and execute (for a statement whose text is the same at every call; a name must never be
 * reused for another text).
 */
export async function rawQuery<R extends QueryResultRow = QueryResultRow>(sequelize: Sequelize, text: string, values: unknown[] = [],
  opts: { name?: string } = {}): Promise<QueryResult<R>> {
  const query = { name: opts.name, text, values };
  const transaction = ambientTransaction() as unknown as { connection?: PgConnection } | undefined;
  if (transaction?.connection) return transaction.connection.query<R>(query);
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const connection = await manager.getConnection();
  try {
    return await connection.query<R>(query);
  } finally {
    await manager.releaseConnection(connection);
  }
}
