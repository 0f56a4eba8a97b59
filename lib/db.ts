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
    pool: { max: config.dbPoolMax, min: 0, idle: 10_000 },
    define: { underscored: true },
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
