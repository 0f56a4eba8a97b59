/**
 * A secret generated once and kept in a service's settings table (key, value), so every process on the database
 * shares it: the first writer wins, everyone reads the stored value.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { autonomous } from './db/autonomous';

/** Committed on its own: a secret first made during a request that rolls back must still be the stored one. */
export function persistedSecret(sequelize: Sequelize, table: string, key: string, generate: () => string): Promise<string> {
  return autonomous(sequelize, (db) => store(db, table, key, generate));
}

async function store(sequelize: Sequelize, table: string, key: string, generate: () => string): Promise<string> {
  await sequelize.query(`INSERT INTO ${table} (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING`, {
    replacements: { key, value: generate() },
  });
  const rows = await sequelize.query<{ value: string }>(`SELECT value FROM ${table} WHERE key = :key`, {
    replacements: { key }, type: QueryTypes.SELECT,
  });
  return rows[0].value;
}

/** Memoise an async value, forgetting a failure so the next call tries again. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load().catch((e) => {
    value = undefined;
    throw e;
  }));
}
