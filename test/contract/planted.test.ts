/**
 * The contract runner against a tiny node:http server (fixtures/tiny-server.ts, spec fixtures/spec/tiny.yaml):
 * clean, it passes with zero failures; each planted defect is reported under its own check, and only there.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runContract, type RunOptions } from '../../lib/contract/runner';
import { failuresOf, renderJUnit, renderText, writeReports, type RunReport } from '../../lib/contract/report';
import { contractDir, specDir, startTiny, TOKEN, type Defect } from './fixtures/tiny-server';

const projectRoot = path.resolve(__dirname, '..', '..');

const options = (target: string, extra: Partial<RunOptions> = {}): RunOptions => ({
  projectRoot, target, specDir, services: ['tiny'],
  pluginDir: path.join(contractDir, 'services'), scenarioDir: path.join(contractDir, 'scenarios'),
  auth: { tiny: { token: TOKEN } }, budget: 8, seed: 1, ...extra,
});

async function runAgainst(defects: Defect[], extra: Partial<RunOptions> = {}): Promise<RunReport> {
  const server = await startTiny(defects);
  try {
    return await runContract(options(server.url, extra));
  } finally {
    await server.close();
  }
}

const failedChecks = (r: RunReport) => [...new Set(failuresOf(r.services.flatMap((s) => s.cases)).map((f) => f.outcome.check))].sort();
const failures = (r: RunReport) => failuresOf(r.services.flatMap((s) => s.cases));

describe('contract runner against a tiny server', () => {
  it('passes a server that keeps its spec, having run every kind of case', async () => {
    const r = await runAgainst([]);
    expect(failures(r).map((f) => `${f.record.target} ${f.outcome.check}: ${f.outcome.message}`)).toEqual([]);
    expect(r.ok).toBe(true);
    const s = r.services[0];
    expect(s.error).toBeUndefined();
    const kinds = new Set(s.cases.map((c) => c.kind));
    for (const k of ['example', 'boundary', 'generated', 'negative', 'content-type', 'malformed', 'auth', 'method', 'scenario']) expect(kinds).toContain(k);
    // every check that applies to this spec was exercised and passed at least once
    const passed = new Set(s.cases.flatMap((c) => c.outcomes.filter((o) => o.ok).map((o) => o.check)));
    for (const c of ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'response_headers_conformance',
      'positive_data_acceptance', 'negative_data_rejection', 'ignored_auth', 'unsupported_method', 'ensure_resource_availability', 'use_after_free', 'scenario_step']) {
      expect(passed).toContain(c);
    }
    expect(s.scenarios).toEqual([{ name: 'create, read, list, delete, read after delete', steps: 6, failed: 0 }]);
    expect(s.coverage.create_item.seen).toEqual(expect.objectContaining({ 201: expect.any(Number), 400: expect.any(Number), 401: expect.any(Number), 405: expect.any(Number), 415: expect.any(Number) }));
    expect(s.coverage.read_item.seen[404]).toBeGreaterThan(0);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-test-'));
    try {
      const files = writeReports(r, dir);
      expect(JSON.parse(fs.readFileSync(files.json, 'utf8')).ok).toBe(true);
      const junit = fs.readFileSync(files.junit, 'utf8');
      expect(junit).toMatch(/<testsuites name="contract" tests="\d+" failures="0"/);
      expect(junit).toMatch(/<testcase classname="tiny.create_item" name="negative_data_rejection"/);
      expect(junit).not.toMatch(/<failure/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(renderText(r)).toMatch(/PASSED: \d+ cases/);
  });

  it.each<[Defect, string[], (f: ReturnType<typeof failures>[number]) => boolean]>([
    ['edge500', ['not_a_server_error', 'positive_data_acceptance', 'status_code_conformance'],
      (f) => f.record.target === 'create_item' && f.record.kind === 'boundary' && /name at maxLength 20/.test(f.record.description)],
    ['badBody', ['response_schema_conformance'],
      (f) => (f.record.target === 'list_items' || f.record.kind === 'scenario') && /additional properties \(total\)/.test(f.outcome.message ?? '')],
    ['acceptsInvalid', ['negative_data_rejection'],
      (f) => f.record.target === 'create_item' && /size: 11, above the maximum 10/.test(f.record.description) && /answered 201/.test(f.outcome.message ?? '')],
    ['unprotected', ['ignored_auth'],
      (f) => f.record.target === 'list_items' && f.record.kind === 'auth' && /answered 200/.test(f.outcome.message ?? '')],
    ['no405', ['unsupported_method'],
      (f) => f.record.kind === 'method' && /answered 404, 405 is due/.test(f.outcome.message ?? '')],
    ['keepsDeleted', ['use_after_free'],
      (f) => f.record.kind === 'scenario' && /read after delete/.test(f.record.description) && /answered 200, expected 404/.test(f.outcome.message ?? '')],
  ])('reports a planted %s under %j, and nothing else', async (defect, checks, isTheDefect) => {
    const r = await runAgainst([defect]);
    expect(r.ok).toBe(false);
    expect(failedChecks(r)).toEqual(checks);
    const found = failures(r);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !isTheDefect(f)).map((f) => `${f.record.target} ${f.record.description}: ${f.outcome.message}`)).toEqual([]);
    expect(renderJUnit(r)).toMatch(new RegExp(`<failure message="\\d+ of \\d+ exchanges failed" type="${checks[0]}">`));
  });

  it('exits non-zero on a defect and zero on a clean server (the command line)', async () => {
    const run = promisify(execFile);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-cli-'));
    const cli = (url: string) => run(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), [
      path.join(projectRoot, 'scripts', 'contract.ts'), '--target', url, '--spec-dir', specDir, '--contract-dir', contractDir,
      '--auth', `tiny:token=${TOKEN}`, '--budget', '4', '--report-dir', dir, '--quiet',
    ], { cwd: projectRoot }).then(() => 0, (e: { code?: number; stdout?: string }) => (e.code ?? -1));
    const broken = await startTiny(['acceptsInvalid']);
    const clean = await startTiny([]);
    try {
      expect(await cli(broken.url)).toBe(1);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'contract-report.json'), 'utf8')).totals.failedChecks).toEqual({ negative_data_rejection: 1 });
      expect(fs.readFileSync(path.join(dir, 'contract-junit.xml'), 'utf8')).toMatch(/type="negative_data_rejection"/);
      expect(await cli(clean.url)).toBe(0);
    } finally {
      await broken.close();
      await clean.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('through Prism (proxy --errors): no violation on the clean server, the broken body reported by Prism', async () => {
    const clean = await runAgainst([], { viaPrism: true });
    expect(failures(clean).map((f) => `${f.record.target} ${f.outcome.check}: ${f.outcome.message}`)).toEqual([]);
    const prism = clean.services[0].prism!;
    expect(prism.violations).toBe(0);
    expect(prism.forwarded).toBeGreaterThan(50);
    // Prism refuses missing credentials and undocumented methods itself: those go straight to the target
    expect(prism.refused).toBeGreaterThan(0);
    expect(clean.services[0].cases.filter((c) => c.exchange?.via === 'prism').length).toBe(prism.forwarded);

    const broken = await runAgainst(['badBody'], { viaPrism: true });
    expect(failedChecks(broken)).toEqual(['prism_validation']);
    expect(broken.services[0].prism!.violations).toBeGreaterThan(0);
    expect(failures(broken)[0].outcome.message).toMatch(/response\.body|total/);
  }, 60_000);
});
