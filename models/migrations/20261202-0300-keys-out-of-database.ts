/**
 * Keys out of the database they protect (issue 11, item 5). The account JWT secret and the b2b pass_hash key were
 * generated into account.settings and b2b.settings, where one read of the database gave the key to forge any user's
 * token or open every pass_hash. A key already stored there moves, once, to its key file (lib/keys.ts: KEYS_DIR,
 * default `<DATA_DIR>/keys`) so the tokens and ciphertexts made with it stay valid; then the row is deleted and the
 * emptied table dropped. Done here rather than at first use: the migrating role owns the tables, no request role needs
 * to read them ever again, and old processes still running (which would regenerate a key into the table) fail loudly.
 *
 * A key file that already holds another key (a second database sharing KEYS_DIR, a key restored by hand) stops the
 * migration with both named: which key the data needs is the operator's call, and nothing is deleted.
 */
import { QueryTypes } from 'sequelize';
import { ensureKeyFile, readKeyFile } from '../../lib/keys';
import type { Migration } from '../../lib/migrate';

/** table, row key, key name (lib/keys.ts) */
export const MOVED: ReadonlyArray<readonly [table: string, key: string, name: string]> = [
  ['account.settings', 'jwt_secret', 'account.jwt_secret'],
  ['b2b.settings', 'pass_hash_key', 'b2b.pass_hash_key'],
];

export const up: Migration = async ({ context }) => {
  const db = context.sequelize;
  for (const [table, key, name] of MOVED) {
    const [{ present }] = await db.query<{ present: boolean }>('SELECT to_regclass(:table) IS NOT NULL AS present',
      { replacements: { table }, type: QueryTypes.SELECT });
    if (!present) continue;
    const rows = await db.query<{ value: string }>(`SELECT value FROM ${table} WHERE key = :key FOR UPDATE`,
      { replacements: { key }, type: QueryTypes.SELECT });
    if (rows.length) {
      const stored = rows[0].value;
      const { value, file } = ensureKeyFile(name, () => stored);
      if (value !== stored) {
        throw new Error(`${table} holds the key ${key}, and the key file ${file} holds another one: the data of this ` +
          `database was made with the key in ${table}. Move ${file} away (or point KEYS_DIR elsewhere) and migrate again, ` +
          `or delete the row if that key is known to protect nothing`);
      }
      await db.query(`DELETE FROM ${table} WHERE key = :key`, { replacements: { key } });
    }
    const [{ empty }] = await db.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${table}) AS empty`,
      { type: QueryTypes.SELECT });
    // a row nobody knows of is kept, but no request role reads it any more
    await db.query(empty ? `DROP TABLE ${table}` : `REVOKE ALL ON ${table} FROM conformant_tenant`);
  }
};

/** Back into the tables, from the key files (which stay: a key file is never deleted by the program). */
export const down: Migration = async ({ context }) => {
  const db = context.sequelize;
  for (const [table, key, name] of MOVED) {
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (key varchar(64) PRIMARY KEY, value text NOT NULL)`);
    await db.query(`GRANT SELECT, INSERT ON ${table} TO conformant_tenant`);
    const value = readKeyFile(name);
    if (value !== undefined) {
      await db.query(`INSERT INTO ${table} (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING`,
        { replacements: { key, value } });
    }
  }
};
