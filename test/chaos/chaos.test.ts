/**
 * `npm run chaos` as CI runs it, on its quick scenarios (3 oversized body, 5 U+0000, 7 huge JSON): real server
 * processes on a fresh embedded cluster of its own (DATABASE_URL is never used), a table on stdout, JSON with --json,
 * exit 0 only when every row passes. The full run (all ten) is a step of .ci/run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function chaos(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'chaos', '--', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Report { rows: { id: number; fault: string; expected: string; observed: string; pass: boolean }[]; machine: string; date: string }

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-chaos-test-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('runs scenarios 3, 5 and 7 against started servers: a passing row each, the table, exit 0', async () => {
  const json = path.join(dir, 'quick.json');
  const r = await chaos(['--only', '3,5,7', '--json', json, '--quiet']);
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
  expect(report.rows.map((row) => [row.id, row.pass, row.observed])).toEqual([
    [3, true, expect.stringMatching(/account PUT \/account\/info: 413, Connection: close, service's body, then (end|close)/)],
    [5, true, expect.stringMatching(/^account: 400, .*b2b: 400 .*groups stored 0$/)],
    [7, true, expect.stringMatching(/nested 9 MB: 400 in \d+ ms; 300k elements: 400 in \d+ ms/)],
  ]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('| fault | expected | observed | result |');
  expect(r.stdout.split('\n').filter((l) => /^\| \d+\. .* \| pass \|$/.test(l))).toHaveLength(3);
  expect(r.stdout).toMatch(/3 passed, 0 failed/);
  // nothing of the run is left: no temporary directory of its own
  expect(r.stderr).not.toMatch(/kept /);
}, 180_000);

it('reports a scenario whose expectation the server breaks as FAIL and exits 1', async () => {
  // a body limit below scenario 7's bodies: they are refused 413 before their shape is judged, not the 400 it expects
  const r = await chaos(['--only', '7', '--quiet'], { BODY_LIMIT_BYTES: '1000' });
  expect(r.stdout).toMatch(/\| 7\. .*nested 9 MB: 413 .* \| FAIL \|/);
  expect(r.stdout).toMatch(/0 passed, 1 failed/);
  expect(r.code).toBe(1);
}, 180_000);

it('refuses an unknown scenario number with the usage and exit 2', async () => {
  const r = await chaos(['--only', '3,42']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--only: unknown scenario 42/);
  expect(r.stdout).toBe('');
}, 60_000);
