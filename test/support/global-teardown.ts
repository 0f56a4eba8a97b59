import fs from 'node:fs';
import { Client } from 'pg';

export default async function globalTeardown() {
  const state = (globalThis as Record<string, unknown>).__conformantTestDb as
    { release?: () => Promise<void>; dropUrl?: string; dbName?: string; dir?: string } | undefined;
  if (!state) return;
  if (state.release) await state.release();
  if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
  if (state.dropUrl && state.dbName) {
    const admin = new Client({ connectionString: state.dropUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${state.dbName} WITH (FORCE)`);
    await admin.end();
  }
}
