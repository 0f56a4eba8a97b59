/**
 * npm run admin -- <service> <command> [--flags]: operator commands per service (handlers/<service>/_admin.ts),
 * against DATABASE_URL or the embedded database (attached to when a server already runs it). JSON on stdout.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { codeRoot } from '../lib/config';
import { openDatabase } from '../lib/db';
import { migrate } from '../lib/migrate';
import { loadServiceDefinitions } from '../lib/app';
import type { AdminCommands } from '../lib/admin';

class UsageError extends Error {}

async function main(argv: string[]): Promise<unknown> {
  const [service, command, ...rest] = argv;
  if (!service || !command) throw new UsageError('usage: npm run admin -- <service> <command> [--flag value ...]');
  let commands: AdminCommands;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    commands = require(path.join(codeRoot, 'handlers', service, '_admin')).commands;
  } catch {
    throw new UsageError(`unknown service "${service}"`);
  }
  const cmd = commands[command];
  if (!cmd) throw new UsageError(`unknown command "${command}" for ${service}; known: ${Object.keys(commands).join(', ')}`);
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: Object.fromEntries(cmd.flags.map((f) => [f, { type: 'string' }])), strict: true }) as {
      values: Record<string, string | undefined>;
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [def] = loadServiceDefinitions([service]);
  const db = await openDatabase();
  try {
    await migrate(db.sequelize);
    await def.init(db.sequelize);
    return await cmd.run(values, db.sequelize);
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  },
  (e) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
