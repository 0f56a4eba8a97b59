/**
 * npm start (scripts/start.js): the program compiled once per version of its sources into .build/<hash>/, and the
 * compiled server answering like the one run through tsx: services, handlers, migrations and the front door's own
 * files found from the compiled tree, data files from the project.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../lib/config';
import { freePort } from '../../lib/ports';

const run = promisify(execFile);
const START = path.join(projectRoot, 'scripts', 'start.js');

describe('scripts/start.js', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('compiles the sources into .build/<hash of the sources>/ once; the same sources name the same build', async () => {
    const first = (await run(process.execPath, [START, '--build'], { cwd: projectRoot })).stdout.trim();
    expect(first).toMatch(/^\.build\/[0-9a-f]{16}$/);
    const dir = path.join(projectRoot, first);
    for (const f of ['scripts/server.js', 'lib/config.js', 'lib/app.js', 'handlers/account/service.js', 'models/migrations/20261123-0001-account.js']) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    // a worker's script (plain JavaScript) is copied beside the modules that start it
    expect(fs.readFileSync(path.join(dir, 'handlers/account/_convert-worker.js'), 'utf8'))
      .toBe(fs.readFileSync(path.join(projectRoot, 'handlers/account/_convert-worker.js'), 'utf8'));
    // no TypeScript is left to compile at run time
    expect(fs.readdirSync(path.join(dir, 'lib')).filter((f) => f.endsWith('.ts'))).toEqual([]);
    const again = (await run(process.execPath, [START, '--build'], { cwd: projectRoot })).stdout.trim();
    expect(again).toBe(first);
  }, 60_000);

  it('runs the compiled server (compiling it first): every service answers, handlers and the front door\'s files are found, SIGTERM stops it', async () => {
    // this version's build removed: the server compiles it itself, and no compiler process stays beside it
    const build = (await run(process.execPath, [START, '--build'], { cwd: projectRoot })).stdout.trim();
    fs.rmSync(path.join(projectRoot, build), { recursive: true, force: true });
    const port = await freePort();
    child = spawn(process.execPath, [START], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL, PORT: String(port), HOST: '127.0.0.1', SERVICES: 'account,b2b,sm', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 60_000;
    while (!/"msg":"listening"/.test(out)) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`the compiled server did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).not.toMatch(/running through tsx/);
    expect(fs.existsSync(path.join(projectRoot, build, 'scripts', 'server.js'))).toBe(true);
    const children = fs.readdirSync(`/proc/${child.pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${child!.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    expect(children).toEqual([]);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/account/system/version`)).status).toBe(200);
    // a handler that needs the database: the documented 401 for unknown credentials
    const login = await fetch(`${base}/account/token/generation`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: `nobody_${Date.now()}`, password: 'wrong-password-1' }),
    });
    expect(login.status).toBe(401);
    await login.arrayBuffer();
    const landing = await (await fetch(`${base}/`, { headers: { Accept: 'text/html' } })).text();
    for (const svc of ['account', 'b2b', 'sm']) expect(landing).toContain(`/docs/${svc}`);
    // the front door's own script is read from the project (lib/front-door), not looked for in the compiled tree
    const asset = await fetch(`${base}/docs/_assets/docs.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe(fs.readFileSync(path.join(projectRoot, 'lib/front-door/docs.js'), 'utf8'));
    const spec = await fetch(`${base}/specs/sm.json`);
    expect(spec.status).toBe(200);
    expect(((await spec.json()) as { openapi: string }).openapi).toBe('3.0.3');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});
