/**
 * umzug over models/migrations; names are stored without extension so tsx and compiled runs agree.
 *
 * Start-up pays for migrations only when some are pending: one query compares the files' names with those recorded in
 * public.schema_migrations, and when every file is recorded nothing else runs (no lock, no transaction, no migration
 * module loaded). Otherwise the migrations run under the advisory lock, which re-reads what is pending, so concurrent
 * start-ups still apply each migration once. A module is loaded only when its migration runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { QueryTypes, Sequelize, QueryInterface } from 'sequelize';
import type { Umzug as UmzugType } from 'umzug';
import { codeRoot } from './config';

export type Migration = (params: { context: QueryInterface }) => Promise<void>;

const DIR = path.join(codeRoot, 'models', 'migrations');

export function migrator(sequelize: Sequelize): UmzugType<QueryInterface> {
  // loaded only when migrations run: umzug brings its command-line parser along (about 0.2 s of every start-up)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Umzug, SequelizeStorage } = require('umzug') as typeof import('umzug');
  return new Umzug<QueryInterface>({
    migrations: {
      glob: ['models/migrations/*.{ts,js}', { cwd: codeRoot, ignore: ['**/*.d.ts'] }],
      resolve: ({ name, path: file, context }) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const load = () => require(file!) as { up: Migration; down?: Migration };
        return {
          name: path.basename(name, path.extname(name)),
          up: () => load().up({ context }),
          down: () => {
            const mod = load();
            return mod.down ? mod.down({ context }) : Promise.resolve();
          },
        };
      },
    },
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, schema: 'public', tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

/** The migrations in models/migrations, by stored name (no extension). */
export function migrationNames(): string[] {
  return [...new Set(fs.readdirSync(DIR)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.basename(f, path.extname(f))))].sort();
}

/** True when every migration file is recorded as applied (one query; false when the table does not exist yet). */
export async function nothingPending(sequelize: Sequelize): Promise<boolean> {
  const names = migrationNames();
  const rows = await sequelize.query<{ missing: number }>(
    `SELECT CASE WHEN to_regclass('public.schema_migrations') IS NULL THEN -1
            ELSE (SELECT count(*)::int FROM unnest(ARRAY[:names]::text[]) AS n(name)
                   WHERE NOT EXISTS (SELECT 1 FROM public.schema_migrations s WHERE s.name = n.name)) END AS missing`,
    { replacements: { names: names.length ? names : [''] }, type: QueryTypes.SELECT },
  ).catch(() => [{ missing: -1 }]);
  return rows[0]?.missing === 0 && names.length > 0;
}

/** Apply pending migrations under an advisory lock, so concurrent start-ups do not race. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  if (await nothingPending(sequelize)) return [];
  const LOCK = 72_091_431;
  return sequelize.transaction(async (t) => {
    // the lock's transaction waits, idle, while the migrations run on other connections: a long migration (an index
    // over millions of rows) must not have it ended by idle_in_transaction_session_timeout (lib/db.ts)
    await sequelize.query('SET LOCAL idle_in_transaction_session_timeout = 0', { transaction: t });
    await sequelize.query('SELECT pg_advisory_xact_lock(:k)', { replacements: { k: LOCK }, transaction: t });
    const done = await migrator(sequelize).up();
    return done.map((m) => m.name);
  });
}
