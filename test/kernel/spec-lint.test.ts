/**
 * redocly.yaml's rule/no-ambiguous-regex-classes: a schema pattern may not use \w \W \s \S \d \D \b \B, which mean
 * ASCII in ECMA-262 (our validator) and Unicode in Python, Java and .NET validators. Run with the real Redocly CLI.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const RULE = 'rule/no-ambiguous-regex-classes';

interface Problem { ruleId: string; location: { pointer: string }[] }

/** One file a run: with several, the JSON format prints one document each. */
function lint(file: string): Promise<{ code: number; problems: Problem[] }> {
  return new Promise((resolve, reject) => {
    execFile(path.join(root, 'node_modules', '.bin', 'redocly'), ['lint', '--config', 'redocly.yaml', '--format', 'json', file],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      (err, stdout) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        try {
          resolve({ code, problems: JSON.parse(stdout.slice(stdout.indexOf('{'))).problems });
        } catch (e) {
          reject(new Error(`redocly answered no JSON (exit ${code}): ${stdout.slice(0, 500)} ${(e as Error).message}`));
        }
      });
  });
}
const fixture = (name: string) => path.join('test', 'kernel', 'fixtures', name);
const pointers = (problems: Problem[]) => [...new Set(problems.filter((p) => p.ruleId === RULE).map((p) => p.location[0].pointer))].sort();

describe('spec lint: no ambiguous regex classes', () => {
  it('fails on every pattern that uses \\w, \\d, \\s or \\b, in parameters and component schemas', async () => {
    const res = await lint(fixture('lint-ambiguous-classes.yaml'));
    expect(res.code).not.toBe(0);
    expect(pointers(res.problems)).toEqual([
      '#/components/schemas/thing/properties/escaped/pattern', // \\\b: an escaped backslash, then \b
      '#/components/schemas/thing/properties/label/pattern',
      '#/paths/~1things~1{name}/get/parameters/0/schema/pattern',
      '#/paths/~1things~1{name}/get/parameters/1/schema/pattern',
    ]);
  }, 60_000);

  it('passes the same spec with its classes spelled out (an escaped backslash followed by w is no class)', async () => {
    const res = await lint(fixture('lint-spelled-out-classes.yaml'));
    expect(pointers(res.problems)).toEqual([]);
    expect(res.code).toBe(0);
  }, 60_000);

  it('passes every spec of the project', async () => {
    for (const spec of ['account.yaml', 'b2b.yaml']) {
      const res = await lint(path.join('spec', spec));
      expect({ spec, ambiguous: pointers(res.problems) }).toEqual({ spec, ambiguous: [] });
    }
  }, 60_000);
});
