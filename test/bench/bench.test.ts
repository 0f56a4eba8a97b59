/** `npm run bench -- --quick` runs every scenario end to end (figures are not judged here: timings belong to the bench). */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

it('runs every scenario and reports each row', async () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-test-')), 'result.json');
  const root = path.resolve(__dirname, '../..');
  await run(path.join(root, 'node_modules', '.bin', 'tsx'), ['scripts/bench.ts', '--quick', '--duration', '1', '--connections', '2', '--rows', '12000', '--out', out], {
    cwd: root, env: { ...process.env, DATABASE_URL: '' }, timeout: 240_000,
  });
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { results: Array<Record<string, number | string | undefined>> };
  const byRow = Object.fromEntries(result.results.map((r) => [String(r.scenario).split(' ')[0], r]));
  expect(Object.keys(byRow).sort()).toEqual(['1', '2', '3', '4', '5a', '5b', '6', '7', '8', '9a', '9b', '9c', '9d']);
  for (const k of ['1', '2', '3', '4', '5a', '5b', '9a', '9b', '9d']) {
    expect(byRow[k].rps).toBeGreaterThan(0);
    expect(byRow[k].errors).toBe(0);
    expect(byRow[k].non2xx).toBe(0);
  }
  for (const k of ['3', '4', '5a', '5b', '6', '7', '8']) expect(byRow[k].ratio).toBeGreaterThan(0);
  expect(byRow['6'].rows_per_s).toBeGreaterThan(0);
  expect(byRow['7'].status).toBe(200);
  expect(byRow['7'].bytes).toBeGreaterThan(1000);
  expect(byRow['8'].new_ms).toBeGreaterThan(0);
  expect(byRow['8'].existing_ms).toBeGreaterThan(0);
  expect(byRow['9c'].p50).toBeGreaterThan(0);
}, 300_000);
