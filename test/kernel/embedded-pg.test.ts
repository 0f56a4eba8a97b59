/**
 * The embedded cluster is shared by every process on one data directory: a second user attaches to the running
 * postmaster, and a release stops it only when nobody else is connected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { pidAlive as alive, startEmbedded } from '../../lib/embedded-pg';

const pidOf = (dir: string) => Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('embedded PostgreSQL', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-embedded-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates a cluster once, never on 5432, shares it, and stops with its last user', async () => {
    const first = await startEmbedded(dir);
    const port = Number(new URL(first.url).port);
    expect(port).not.toBe(5432);
    expect(fs.statSync(path.join(dir, 'superuser-password')).mode & 0o077).toBe(0);
    const second = await startEmbedded(dir);
    expect(second.url).toBe(first.url);
    const pid = pidOf(dir);

    await first.release(); // the second user holds its lease, though it has no query open: keeps running
    expect(alive(pid)).toBe(true);
    const c = new Client({ connectionString: second.url });
    await c.connect();
    expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await c.end();
    await second.release();
    expect(alive(pid)).toBe(false);

    const again = await startEmbedded(dir); // existing data directory: started, not re-initialised
    const c2 = new Client({ connectionString: again.url });
    await c2.connect();
    expect((await c2.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'conformant'")).rows[0].n).toBe(1);
    await c2.end();
    await again.release();
  });
});
