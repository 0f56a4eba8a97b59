/**
 * As root, a cluster kept outside its DATA_DIR (the postgres user cannot enter the DATA_DIR) is deleted by a later
 * start once nobody can use it, and only then: a DATA_DIR removed from a temporary directory, or wiped and made
 * again, loses its old cluster; a DATA_DIR moved elsewhere keeps it and adopts it at its next start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbedded } from '../../lib/embedded-pg';

const isRoot = process.getuid?.() === 0;
const baseOf = (dataDir: string) => path.dirname(fs.readlinkSync(path.join(dataDir, 'pg')));
/** older than the grace period that protects a cluster being made */
const age = (base: string) => {
  const past = new Date(Date.now() - 5 * 60_000);
  fs.utimesSync(base, past, past);
};
async function startAndStop(dataDir: string, sql?: string): Promise<unknown[]> {
  const h = await startEmbedded(dataDir);
  const c = new Client({ connectionString: h.url });
  await c.connect();
  try {
    return sql ? (await c.query(sql)).rows : [];
  } finally {
    await c.end();
    await h.release();
  }
}

(isRoot ? describe : describe.skip)('relocated embedded clusters', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-orphans-'));
  // a place that is not a temporary directory, private like a home: the user's home folder (the project itself may
  // live in a temporary directory, as CI's clone in `mktemp -d` does)
  const home = fs.mkdtempSync(path.join(os.homedir(), '.conformant-orphans-'));
  const trigger = path.join(tmp, 'trigger', '.data'); // any start collects
  afterAll(async () => {
    // clusters of DATA_DIRs outside temporary directories are kept when those go: delete this test's own
    for (const dataDir of [path.join(home, 'wiped', '.data'), path.join(home, 'after', '.data')]) {
      try {
        fs.rmSync(baseOf(dataDir), { recursive: true, force: true });
      } catch {
        /* not made */
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('deletes the cluster of a DATA_DIR removed from a temporary directory', async () => {
    const dataDir = path.join(tmp, 'gone', '.data');
    await startAndStop(dataDir);
    const base = baseOf(dataDir);
    expect(base.startsWith(tmp)).toBe(false);
    fs.rmSync(path.dirname(dataDir), { recursive: true });
    await startAndStop(trigger);
    expect(fs.existsSync(base)).toBe(true); // made a moment ago: protected
    age(base);
    await startAndStop(trigger);
    expect(fs.existsSync(base)).toBe(false);
  });

  it('deletes the old cluster of a DATA_DIR wiped and made again, keeps the new one', async () => {
    const dataDir = path.join(home, 'wiped', '.data');
    await startAndStop(dataDir);
    const old = baseOf(dataDir);
    fs.rmSync(dataDir, { recursive: true });
    await startAndStop(dataDir);
    const fresh = baseOf(dataDir);
    expect(fresh).not.toBe(old);
    age(old);
    age(fresh);
    await startAndStop(trigger);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
  });

  it('keeps the cluster of a DATA_DIR moved elsewhere, which finds its data at the next start', async () => {
    const before = path.join(home, 'before');
    await startAndStop(path.join(before, '.data'), 'CREATE TABLE kept (n int)');
    const base = baseOf(path.join(before, '.data'));
    const after = path.join(home, 'after');
    fs.renameSync(before, after);
    age(base);
    await startAndStop(trigger);
    expect(fs.existsSync(base)).toBe(true);
    const rows = await startAndStop(path.join(after, '.data'), "SELECT to_regclass('public.kept') IS NOT NULL AS present");
    expect(rows).toEqual([{ present: true }]);
    expect(fs.readFileSync(path.join(base, 'data-dir'), 'utf8').trim()).toBe(fs.realpathSync(path.join(after, '.data')));
  });
});
