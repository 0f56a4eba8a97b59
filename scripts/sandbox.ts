/**
 * npm run sandbox [-- --reset] [--data-dir DIR] [--database-url URL]: the real server on its own embedded database
 * (default .data/sandbox, or SANDBOX_DATA_DIR) loaded once with demo data from fixtures/sandbox/; prints the demo
 * credentials. PORT (8080), HOST and SERVICES as for npm start; DATABASE_URL is ignored unless given as a flag.
 */
import { shutdownOnSignals } from '../lib/signals';
import { parseArgs } from 'node:util';
import { config } from '../lib/config';
import { logger } from '../lib/logger';
import { defaultSandboxDir, startSandbox } from '../lib/mock/sandbox';

const HELP = `usage: npm run sandbox -- [--reset] [--data-dir DIR] [--database-url URL]
  --reset             stop the sandbox's database, wipe its directory and load the demo data again
  --data-dir DIR      the sandbox's directory (default .data/sandbox, or SANDBOX_DATA_DIR)
  --database-url URL  use this PostgreSQL instead of the embedded one (DATABASE_URL is ignored otherwise)
env: PORT (8080), HOST (127.0.0.1), SERVICES (every spec in spec/), LOG_LEVEL`;

async function main() {
  const { values } = parseArgs({
    options: {
      reset: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);

  const sandbox = await startSandbox({
    dataDir: values['data-dir'] ?? (process.env.SANDBOX_DATA_DIR || defaultSandboxDir()),
    reset: values.reset,
    databaseUrl: values['database-url'],
    port,
    host: process.env.HOST || '127.0.0.1',
    progress: (line) => process.stderr.write(`sandbox: ${line}\n`),
  });
  shutdownOnSignals((msg, signal) => logger.info({ signal }, msg)).ready(() => sandbox.stop());

  const out = [
    '',
    `sandbox: ${sandbox.loaded ? 'demo data loaded' : `demo data of ${sandbox.demo.loaded_at}`} in ${sandbox.dataDir}`
      + (values['database-url'] ? ' (database from --database-url)' : '') + '; `npm run sandbox -- --reset` starts over',
    ...sandbox.lines,
    `sandbox: ready on ${sandbox.url}` + (config.docs ? ` (the services, their references and specs: ${sandbox.url}/)` : ''),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err) => {
  console.error(`sandbox: start-up failed: ${(err as Error).message}`);
  process.exit(1);
});
