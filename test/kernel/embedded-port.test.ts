/**
 * The cluster records its own port: a plain `pg_ctl start -D <cluster>` (an operator's, after a reboot) listens where
 * our processes look, never on 5432, and a recorded port someone else has taken meanwhile is replaced and recorded.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { pidAlive, startEmbedded, usableNativeDir } from '../../lib/embedded-pg';

const isRoot = process.getuid?.() === 0;
const ids = () => (isRoot
  ? {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  }
  : {});
// an operator's shell without any PG* client settings: the cluster alone decides where it listens
const plainEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
const pidFile = (cluster: string) => fs.readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8').split('\n');

describe('embedded PostgreSQL port', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-port-'));
  let pgCtl: string;
  let cluster: string;
  const plainPgCtl = (...args: string[]) =>
    execFileSync(pgCtl, [...args, '-D', cluster], { ...ids(), cwd: '/', encoding: 'utf8', env: plainEnv, stdio: 'pipe' });

  beforeAll(async () => {
    pgCtl = path.join(await usableNativeDir(), 'bin', 'pg_ctl');
  });
  afterAll(() => {
    try {
      plainPgCtl('stop', '-m', 'immediate', '-w');
    } catch {
      /* not running */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is recorded in the cluster, so that a plain pg_ctl start uses it and our processes attach to it', async () => {
    const first = await startEmbedded(dir);
    const port = Number(new URL(first.url).port);
    expect(port).not.toBe(5432);
    await first.release();
    cluster = fs.realpathSync(path.join(dir, 'pg'));
    expect(fs.existsSync(path.join(cluster, 'postmaster.pid'))).toBe(false);

    plainPgCtl('start', '-w', '-t', '60', '-l', path.join(cluster, 'server.log'));
    const [pid, , , listening] = pidFile(cluster);
    expect(Number(listening)).toBe(port);

    const attached = await startEmbedded(dir); // attaches to the postmaster the operator started
    expect(Number(new URL(attached.url).port)).toBe(port);
    const c = new Client({ connectionString: attached.url });
    await c.connect();
    expect((await c.query('SHOW port')).rows[0].port).toBe(String(port));
    await c.end();
    await attached.release();
    expect(pidAlive(Number(pid))).toBe(false);
  });

  it('moves to a free port, and records it, when the recorded one has been taken', async () => {
    const before = await startEmbedded(dir);
    const taken = Number(new URL(before.url).port);
    await before.release();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(taken, '127.0.0.1', resolve));
    try {
      const moved = await startEmbedded(dir);
      const port = Number(new URL(moved.url).port);
      expect(port).not.toBe(taken);
      expect(port).not.toBe(5432);
      await moved.release();
      plainPgCtl('start', '-w', '-t', '60', '-l', path.join(cluster, 'server.log'));
      expect(Number(pidFile(cluster)[3])).toBe(port);
      plainPgCtl('stop', '-m', 'fast', '-w');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
