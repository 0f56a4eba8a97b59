/** npm start: every service in spec/ (or SERVICES=...) on one port; SIGINT/SIGTERM drain and stop. */
import { startServer } from '../lib/server';
import { logger } from '../lib/logger';

startServer().then(
  (running) => {
    const onSignal = (sig: string) => {
      logger.info({ signal: sig }, 'signal received');
      running.stop().then(() => process.exit(0), (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  },
  (err) => {
    logger.fatal({ err: { message: (err as Error).message } }, 'start-up failed');
    console.error(`start-up failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
