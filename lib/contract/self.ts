/**
 * --self: our own server (lib/server.ts) on a fresh embedded PostgreSQL in a temporary DATA_DIR, whatever
 * DATABASE_URL says, unless a database URL is given explicitly; admin commands run in-process against its database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdminCommands } from '../admin';
import type { AdminRunner } from './plugin';

export interface SelfServer {
  url: string;
  tmpDir: string;
  admin(service: string): AdminRunner;
  stop(): Promise<void>;
}

export async function startSelf(opts: { services: string[]; databaseUrl?: string; projectRoot: string }): Promise<SelfServer> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-contract-'));
  // PostgreSQL runs as its own user when we are root: it must be able to pass through to the cluster directory
  fs.chmodSync(tmpDir, 0o711);
  const saved = process.env.DATABASE_URL;
  if (!opts.databaseUrl) delete process.env.DATABASE_URL;
  let running: Awaited<ReturnType<typeof import('../server').startServer>>;
  try {
    const { startServer } = await import('../server');
    running = await startServer({
      port: 0, host: '127.0.0.1', services: opts.services, databaseUrl: opts.databaseUrl, dataDir: path.join(tmpDir, 'data'),
    });
  } catch (e) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
  return {
    url: running.url,
    tmpDir,
    admin: (service) => async (command, flags) => {
      let commands: AdminCommands;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        commands = require(path.join(opts.projectRoot, 'handlers', service, '_admin')).commands;
      } catch (e) {
        throw new Error(`service ${service} has no admin commands (handlers/${service}/_admin.ts): ${(e as Error).message}`);
      }
      const cmd = commands[command];
      if (!cmd) throw new Error(`${service} has no admin command "${command}" (known: ${Object.keys(commands).join(', ')})`);
      return cmd.run(flags, running.db.sequelize);
    },
    async stop() {
      try {
        await running.stop();
      } finally {
        fs.rmSync(tmpDir, { recursive: true, force: true });
      }
    },
  };
}
