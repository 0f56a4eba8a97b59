/**
 * npm start: every service in spec/ (or SERVICES=...) on one port; SIGINT/SIGTERM drain and stop.
 *
 * Without DATABASE_URL the embedded PostgreSQL is started first, and the program (the services, their dependencies)
 * is loaded while PostgreSQL's own programs run: initdb on a new data directory, the postmaster's start on an
 * existing one. Only lib/config, lib/logger, lib/signals and lib/embedded-pg are loaded before that.
 */
import { config } from '../lib/config';
import { startEmbedded, type EmbeddedHandle } from '../lib/embedded-pg';
import { logger } from '../lib/logger';
import { shutdownOnSignals } from '../lib/signals';

const shutdown = shutdownOnSignals((msg, signal) => logger.info({ signal }, msg));

function failed(err: unknown): never {
  logger.fatal({ err: { message: (err as Error).message } }, 'start-up failed');
  console.error(`start-up failed: ${(err as Error).message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  let embedded: Promise<EmbeddedHandle> | undefined;
  if (!config.databaseUrl) {
    let busy!: () => void;
    const waiting = new Promise<void>((resolve) => (busy = resolve));
    // the cluster gone for good: exit, so that a supervisor restarts the process rather than it answering 503s forever
    embedded = startEmbedded(config.dataDir, { onLost: () => process.exit(1), onBusy: busy });
    embedded.then(busy, busy); // a failure is reported by startServer, which awaits the same promise
    await waiting;
  }
  // required here, not imported above: loading it is the work done while PostgreSQL starts (and a require, not an
  // import(), so that `node --require tsx/cjs` runs this file as well as `node --import tsx`)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startServer } = require('../lib/server') as typeof import('../lib/server');
  const server = await startServer({ embedded });
  shutdown.ready(() => server.stop());
}

main().catch(failed);
