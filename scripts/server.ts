/** npm start: every service in spec/ (or SERVICES=...) on one port; SIGINT/SIGTERM drain and stop. */
import { startServer } from '../lib/server';
import { logger } from '../lib/logger';
import { shutdownOnSignals } from '../lib/signals';

const shutdown = shutdownOnSignals((msg, signal) => logger.info({ signal }, msg));

startServer().then(
  (server) => shutdown.ready(() => server.stop()),
  (err) => {
    logger.fatal({ err: { message: (err as Error).message } }, 'start-up failed');
    console.error(`start-up failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
