/**
 * One database per test run: a fresh database on DATABASE_URL's server when one is given, otherwise a fresh embedded
 * cluster in a temporary directory. Migrated once here; workers find it through DATABASE_URL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Sequelize } from 'sequelize';
import { startEmbedded } from '../../lib/embedded-pg';
import { migrate } from '../../lib/migrate';

export default async function globalSetup() {
  process.env.NODE_ENV = 'test';
  // account passwords hashed at scrypt N=2^14 in tests (the default 2^17 has its own tests): users are made by the hundred
  process.env.ACCOUNT_PASSWORD_SCRYPT_N ??= '16384';
  // generated keys of the run go to a folder of its own, never the project's .data/keys
  process.env.KEYS_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-test-keys-'));
  const state: { release?: () => Promise<void>; dropUrl?: string; dbName?: string; dir?: string } = {};
  let url: string;
  if (process.env.DATABASE_URL) {
    const base = new URL(process.env.DATABASE_URL);
    const name = `conformant_test_${process.pid}_${Date.now()}`;
    const admin = new Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    base.pathname = `/${name}`;
    url = base.toString();
    state.dropUrl = process.env.DATABASE_URL;
    state.dbName = name;
  } else {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-test-'));
    const handle = await startEmbedded(state.dir);
    url = handle.url;
    state.release = handle.release;
  }
  const sequelize = new Sequelize(url, { logging: false });
  await migrate(sequelize);
  await sequelize.close();
  process.env.DATABASE_URL = url;
  (globalThis as Record<string, unknown>).__conformantTestDb = state;
}
