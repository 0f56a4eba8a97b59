/** One Sequelize instance per process: DATABASE_URL when given, the embedded cluster otherwise. */
import { Sequelize } from 'sequelize';
import { config } from './config';
import { startEmbedded, EmbeddedHandle } from './embedded-pg';
import { logger } from './logger';

export interface Database {
  sequelize: Sequelize;
  url: string;
  close(): Promise<void>;
}

export async function openDatabase(opts: { url?: string; dataDir?: string } = {}): Promise<Database> {
  let url = opts.url ?? config.databaseUrl;
  let embedded: EmbeddedHandle | undefined;
  if (!url) {
    embedded = await startEmbedded(opts.dataDir ?? config.dataDir);
    url = embedded.url;
  }
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: config.dbPoolMax, min: 0, idle: 10_000, acquire: config.dbAcquireTimeoutMs },
    define: { underscored: true },
    // every wait on the database is bounded: connecting, each statement, a transaction left idle by a process that
    // went away; a server that stops answering altogether is bounded by the request deadline (lib/http/handle.ts)
    dialectOptions: {
      connectionTimeoutMillis: config.dbAcquireTimeoutMs,
      statement_timeout: config.dbStatementTimeoutMs,
      idle_in_transaction_session_timeout: config.requestDeadlineMs + 5_000,
    },
  });
  await sequelize.authenticate();
  logger.debug({ embedded: !!embedded }, 'database connected');
  return {
    sequelize,
    url,
    async close() {
      await sequelize.close();
      await embedded?.release();
    },
  };
}

/** Whether an error means the database is out of reach or timed out (answered 503), not a fault of the request. */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; original?: { code?: string }; parent?: { code?: string }; code?: string } | undefined;
  if (!e) return false;
  if (/^Sequelize(Connection\w*|HostNotReachable|HostNotFound|InvalidConnection|AccessDenied)?Error$/.test(e.name ?? '') && /Connection|Host/.test(e.name ?? '')) return true;
  const code = e.original?.code ?? e.parent?.code ?? e.code;
  // query_canceled (statement_timeout), admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  if (code && ['57014', '57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message ?? '');
}
