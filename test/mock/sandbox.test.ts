/**
 * `npm run sandbox`: the real server on its own embedded database in its own directory (whatever DATABASE_URL says),
 * loaded with the demo data of fixtures/sandbox/, whose printed credentials work; a restart keeps the data, a reset
 * wipes the directory (never one that is not a sandbox's, never while a sandbox runs on it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdminCommands } from '../../lib/admin';
import { projectRoot } from '../../lib/config';
import { pidAlive } from '../../lib/embedded-pg';
import { DEMO_FILE, fixturePath, MARKER, wipeSandbox, type SandboxFixture } from '../../lib/mock/sandbox';
import { discoverSpecs } from '../../lib/spec';
import accountFixture from '../../fixtures/sandbox/account';
import b2bFixture from '../../fixtures/sandbox/b2b';
import { runScript } from './_process';

/* eslint-disable @typescript-eslint/no-explicit-any */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-test-'));
fs.chmodSync(root, 0o755); // the embedded cluster may run as the postgres user, who must reach the directory
const dir = path.join(root, 'sandbox');
const env = { PORT: '0', SERVICES: '', LOG_LEVEL: 'warn', DATABASE_URL: 'postgres://nobody:wrong@127.0.0.1:9/not_this_one' };
const postmasterPid = () => Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

afterAll(async () => {
  await wipeSandbox(dir).catch(() => undefined); // stops a cluster a failed test left running
  fs.rmSync(root, { recursive: true, force: true });
});

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
}

async function login(base: string, username: string, password: string): Promise<string> {
  const r = await json(`${base}/account/token/generation`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  expect(r.status).toBe(200);
  return r.body as string;
}

describe('npm run sandbox', () => {
  it('has a fixture for every service with an admin module, each step a known admin command with known flags', () => {
    const fixtures: Record<string, SandboxFixture> = { account: accountFixture, b2b: b2bFixture };
    for (const service of discoverSpecs()) {
      const admin = path.join(projectRoot, 'handlers', service, '_admin.ts');
      if (!fs.existsSync(admin)) continue;
      expect({ service, fixture: fs.existsSync(fixturePath(service)) }).toEqual({ service, fixture: true });
      const { commands } = require(admin) as { commands: AdminCommands }; // eslint-disable-line @typescript-eslint/no-require-imports
      const { steps } = (fixtures[service] ?? require(fixturePath(service)).default).load(new Date()); // eslint-disable-line @typescript-eslint/no-require-imports
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        expect({ service, command: step.command, known: !!commands[step.command] }).toEqual({ service, command: step.command, known: true });
        const flags = [...Object.keys(step.flags ?? {}), ...(step.file !== undefined ? ['file'] : [])];
        expect(flags.filter((f) => !commands[step.command].flags.includes(f))).toEqual([]);
      }
    }
  });

  it('--reset starts the real server on a fresh embedded database with demo data; a restart keeps the data', async () => {
    const first = runScript('scripts/sandbox.ts', ['--reset', '--data-dir', dir], env);
    let alice: { username: string; password: string };
    try {
      const [, base] = await first.line(/sandbox: ready on (http:\/\/\S+)/);
      expect(first.output()).toMatch(/demo data loaded/);
      expect(fs.existsSync(path.join(dir, MARKER))).toBe(true);
      expect(fs.existsSync(path.join(dir, 'pg', 'PG_VERSION'))).toBe(true); // its own cluster, not DATABASE_URL's
      const demo = JSON.parse(fs.readFileSync(path.join(dir, DEMO_FILE), 'utf8'));
      const account = demo.services.account;
      alice = account.users.find((u: any) => u.roles.includes('ADMIN'));
      expect(first.output()).toContain(`${alice.username} / ${alice.password}`);

      const token = await login(base, alice.username, alice.password);
      const auth = { Authorization: `Bearer ${token}` };
      const stats = await json(`${base}/account/statistics?from=${account.period.from}&to=${account.period.to}`, { headers: auth });
      expect(stats.status).toBe(200);
      expect(stats.body.dates).toHaveLength(7);
      expect(stats.body.dates[0].services.map((s: any) => s.service).sort()).toEqual(['ROUTING', 'UNIVERSAL']);
      const quota = await json(`${base}/account/quota`, { headers: auth });
      expect(quota.body.base.services.map((s: any) => s.service).sort()).toEqual(['ROUTING', 'UNIVERSAL']);
      const own = account.processes.find((p: any) => p.username === alice.username);
      const data = await fetch(`${base}/account/data/${own.code}?data_flow_type=OUTPUT`, { headers: auth });
      expect(data.status).toBe(200);
      expect(Buffer.from(await data.arrayBuffer()).subarray(0, 2).toString()).toBe('PK'); // the XLSX payload
      const colleague = account.processes.find((p: any) => p.username !== alice.username && account.users.find((u: any) => u.username === p.username).company_key === 'acme');
      const input = await json(`${base}/account/data/${colleague.code}?data_flow_type=INPUT`, { headers: auth }); // an ADMIN reads its company's
      expect(input.body).toEqual(expect.objectContaining({ orders: expect.any(Array) }));
      const other = account.processes.find((p: any) => account.users.find((u: any) => u.username === p.username).company_key !== 'acme');
      expect((await json(`${base}/account/data/${other.code}?data_flow_type=INPUT`, { headers: auth })).status).toBe(404);

      const renamed = await json(`${base}/account/info`, {
        method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: alice.username, company_key: 'acme', name: 'Renamed In Test' }),
      });
      expect(renamed.status).toBe(200);

      if (demo.services.b2b) {
        const header = /Authorization: (AR-REST [A-Za-z0-9+/=]{20,})/.exec(first.output())![1];
        const me = await json(`${base}/b2b/api/v1/user`, { headers: { Authorization: header } });
        expect(me.status).toBe(200);
        expect(me.body.data[0].uid).toBe(demo.services.b2b.users[0].uid);
      }

      const pg = postmasterPid();
      first.child.kill('SIGTERM');
      expect(await first.exit).toEqual({ code: 0, signal: null });
      expect(pidAlive(pg)).toBe(false);
    } finally {
      first.kill();
    }

    const again = runScript('scripts/sandbox.ts', ['--data-dir', dir], env);
    try {
      const [, base] = await again.line(/sandbox: ready on (http:\/\/\S+)/);
      expect(again.output()).toMatch(/demo data of /);
      const token = await login(base, alice!.username, alice!.password);
      const info = await json(`${base}/account/info`, { headers: { Authorization: `Bearer ${token}` } });
      expect(info.body.name).toBe('Renamed In Test');
      await expect(wipeSandbox(dir)).rejects.toThrow(/in use/); // not while it runs
      again.child.kill('SIGTERM');
      expect(await again.exit).toEqual({ code: 0, signal: null });
    } finally {
      again.kill();
    }
  });

  it('a reset wipes a sandbox directory and refuses any other', async () => {
    await wipeSandbox(dir); // the cluster left by the test above, stopped
    expect(fs.existsSync(dir)).toBe(false);
    const foreign = path.join(root, 'not-a-sandbox');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'precious.txt'), 'keep me');
    await expect(wipeSandbox(foreign)).rejects.toThrow(/not a sandbox directory/);
    expect(fs.readFileSync(path.join(foreign, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});
