/**
 * PostgreSQL LISTEN on a connection of its own (not a pooled one), for per-process caches that every process must drop
 * at once when a row changes: a trigger NOTIFYs at commit, and each process's listener forgets what it was told.
 *
 * A cache may only trust what it read while the listener was listening without a break: `epoch` changes at every
 * notification and whenever the connection is lost or (re)established, and `listening` is false from the loss until
 * LISTEN has been acknowledged again. A reader notes `epoch` before it reads and keeps its result only if `listening`
 * held and `epoch` is unchanged afterwards; a notification that raced with the read then simply leaves it uncached.
 * The connection comes back by itself (with a growing pause, at most `maxRetryMs`) until close(), or until the pool
 * it was made for is closed.
 */
import { Client } from 'pg';
import type { Sequelize } from 'sequelize';
import { logger } from '../logger';

export interface Listener {
  /** LISTEN is in force on a live connection */
  readonly listening: boolean;
  /** changes at every notification, loss and reconnection */
  readonly epoch: number;
  close(): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** The pool's own connection settings (its role, database, host), for a connection outside the pool. */
function clientConfig(sequelize: Sequelize) {
  const c = sequelize.config as unknown as { host?: string; port?: number | string; username?: string; password?: string; database?: string };
  return { host: c.host, port: c.port === undefined ? undefined : Number(c.port), user: c.username, password: c.password ?? undefined, database: c.database };
}

export function listen(sequelize: Sequelize, channel: string, handlers: {
  /** a notification on the channel, with its payload */
  notify(payload: string): void;
  /** the connection was lost or re-established: anything cached may be stale */
  reset(): void;
}, opts: { maxRetryMs?: number; applicationName?: string } = {}): Listener {
  if (!IDENT.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
  const maxRetryMs = opts.maxRetryMs ?? 2000;
  let listening = false;
  let epoch = 0;
  let closed = false;
  let client: Client | undefined;
  let retryMs = 50;
  let timer: NodeJS.Timeout | undefined;

  const lost = (c: Client, err?: Error) => {
    if (client !== c) return; // an old connection's late event
    client = undefined;
    listening = false;
    epoch++;
    handlers.reset();
    c.end().catch(() => undefined);
    if (closed) return;
    if (err) logger.warn({ channel, err: { message: err.message } }, 'database listener lost its connection: reconnecting');
    timer = setTimeout(connect, retryMs);
    timer.unref();
    retryMs = Math.min(maxRetryMs, retryMs * 2);
  };

  async function connect(): Promise<void> {
    timer = undefined;
    if (closed) return;
    const c = new Client({ ...clientConfig(sequelize), application_name: opts.applicationName ?? `conformant-listen-${channel}` });
    client = c;
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (msg) => {
      if (client !== c || msg.channel !== channel) return;
      epoch++;
      handlers.notify(msg.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (client !== c || closed) return;
      // anything cached before this point was read without a listener: start from nothing
      epoch++;
      handlers.reset();
      listening = true;
      retryMs = 50;
      // the connection must not keep the process alive on its own
      (c as unknown as { connection?: { stream?: { unref?(): void } } }).connection?.stream?.unref?.();
    } catch (err) {
      lost(c, err as Error);
    }
  }
  void connect();

  const listener: Listener = {
    get listening() { return listening; },
    get epoch() { return epoch; },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      listening = false;
      epoch++;
      handlers.reset();
      await c?.end().catch(() => undefined);
    },
  };
  // the listener lives as long as the pool it belongs to: closing the pool closes it (and stops its reconnecting)
  const closePool = sequelize.close.bind(sequelize);
  sequelize.close = async () => {
    await listener.close();
    return closePool();
  };
  return listener;
}
