/** umzug over models/migrations; names are stored without extension so tsx and compiled runs agree. */
import path from 'node:path';
import { Sequelize, QueryInterface } from 'sequelize';
import { Umzug, SequelizeStorage } from 'umzug';
import { projectRoot } from './config';

export type Migration = (params: { context: QueryInterface }) => Promise<void>;

export function migrator(sequelize: Sequelize) {
  return new Umzug<QueryInterface>({
    migrations: {
      glob: ['models/migrations/*.{ts,js}', { cwd: projectRoot, ignore: ['**/*.d.ts'] }],
      resolve: ({ name, path: file, context }) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(file!) as { up: Migration; down?: Migration };
        return {
          name: path.basename(name, path.extname(name)),
          up: () => mod.up({ context }),
          down: () => (mod.down ? mod.down({ context }) : Promise.resolve()),
        };
      },
    },
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, schema: 'public', tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

/** Apply pending migrations under an advisory lock, so concurrent start-ups do not race. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const LOCK = 72_091_431;
  return sequelize.transaction(async (t) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(:k)', { replacements: { k: LOCK }, transaction: t });
    const done = await migrator(sequelize).up();
    return done.map((m) => m.name);
  });
}
