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
import { CLASS_LABEL } from '../../lib/contract/cases';
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
      'security_headers', 'positive_data_acceptance', 'negative_data_rejection', 'ignored_auth', 'unsupported_method', 'ensure_resource_availability', 'use_after_free', 'scenario_step']) {
      expect(passed).toContain(c);
    }
    expect(s.scenarios).toEqual([{ name: 'create, read, list, delete, read after delete', steps: 6, failed: 0 }]);
    expect(s.coverage.create_item.seen).toEqual(expect.objectContaining({ 201: expect.any(Number), 400: expect.any(Number), 401: expect.any(Number), 405: expect.any(Number), 415: expect.any(Number) }));
    expect(s.coverage.read_item.seen[404]).toBeGreaterThan(0);
    // every defect class found by outside testing was generated, and the clean server passes each
    const ofClass = (label: string) => s.cases.filter((c) => c.description.startsWith(`[${label}] `));
    for (const label of Object.values(CLASS_LABEL)) expect([label, ofClass(label).length > 0]).toEqual([label, true]);
    const described = (label: string) => ofClass(label).map((c) => `${c.target} ${c.kind} ${c.description} -> ${c.exchange?.status}`);
    expect(described('U+0000')).toEqual(expect.arrayContaining([
      'create_item negative [U+0000] body note: U+0000 inside the string -> 400',
      'list_items negative [U+0000] query q: U+0000 inside the string -> 400',
      'list_items negative [U+0000] header X-Label: U+0000 inside the string -> 400',
    ]));
    expect(described('control characters')).toEqual(expect.arrayContaining([
      'create_item boundary [control characters] body note: U+0001 U+001F U+007F U+0085 U+2028 inside the string -> 201',
      'list_items boundary [control characters] query q: U+0001 U+001F U+007F U+0085 U+2028 inside the string -> 200',
    ]));
    // the pattern ^[a-z ]+$ (u flag) takes neither control nor non-ASCII characters: no such case for name
    expect(described('control characters').concat(described('non-ASCII')).filter((d) => / body name/.test(d))).toEqual([]);
    expect(described('non-ASCII')).toEqual(expect.arrayContaining([
      'create_item boundary [non-ASCII] body note: é ß Я 中 inside the string -> 201',
      'create_item boundary [non-ASCII] body note at maxLength 40 in characters (90 bytes of UTF-8) -> 201',
      'list_items boundary [non-ASCII] query q at maxLength 30 in characters (67 bytes of UTF-8) -> 200',
    ]));
    expect(described('boolean spelling')).toEqual(['True', 'FALSE', 'tRuE'].map((v) => `list_items boundary [boolean spelling] query detailed=${v} -> 200`));
    expect(described('far dates')).toEqual(expect.arrayContaining([
      'create_item boundary [far dates] body due 0001-01-01 -> 201',
      'create_item boundary [far dates] body due 9999-12-31 -> 201',
      'count_items boundary [far dates] query to 2024-02-29T12:00:00-05:38 -> 200',
      'count_items boundary [far dates] the longest period: query from 0001-01-01T00:00:00Z, query to 9999-12-31T23:59:59.999Z -> 400',
    ]));
    // a far date refused with a 400 that names the field passes
    const longest = ofClass('far dates').find((c) => /longest period/.test(c.description))!;
    expect(longest.outcomes).toContainEqual({ check: 'positive_data_acceptance', ok: true, message: '400 names the field from' });
    expect(described('Accept')).toEqual([
      'export_items boundary [Accept] Accept: application/json (a generated client) on an answer of text/csv -> 200',
      'export_items negative [Accept] Accept: image/png, which the operation never produces: the documented 406 -> 406',
    ]);

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
    ['noSecurityHeaders', ['security_headers'],
      (f) => f.outcome.message === 'no X-Content-Type-Options: nosniff; no Cache-Control: no-store'],
    ['cacheable', ['security_headers'],
      (f) => f.outcome.message === 'Cache-Control is "public, max-age=60", no-store is due'],
  ])('reports a planted %s under %j, and nothing else', async (defect, checks, isTheDefect) => {
    await plantedOnly(defect, checks, isTheDefect);
  });

  it('judges security_headers on every operation and on errors as well as successes', async () => {
    const r = await runAgainst(['noSecurityHeaders']);
    const missing = failures(r).filter((f) => f.outcome.check === 'security_headers');
    expect([...new Set(missing.map((f) => f.record.operationId).filter(Boolean))].sort()).toEqual(Object.keys(r.services[0].coverage).sort());
    const statuses = new Set(missing.map((f) => f.record.exchange?.status));
    for (const status of [200, 201, 204, 400, 401, 404, 405, 406, 415]) expect([status, statuses.has(status)]).toEqual([status, true]);
  });

  // the defect classes outside testing found: each planted defect is reported, by its class's cases at least
  // (the server's message names the defect; an undocumented 500 is reported without it)
  const byServer = (text: RegExp) => (f: ReturnType<typeof failures>[number]) => text.test(f.outcome.message ?? '')
    || (f.outcome.check === 'status_code_conformance' && /^status 500 is not documented/.test(f.outcome.message ?? ''));
  it.each<[Defect, string, string[], (f: ReturnType<typeof failures>[number]) => boolean]>([
    ['nul500', 'U+0000', ['negative_data_rejection', 'not_a_server_error', 'status_code_conformance'], byServer(/0x00/)],
    ['controlRefused', 'control characters', ['positive_data_acceptance'], byServer(/control characters are refused/)],
    ['asciiOnly', 'non-ASCII', ['positive_data_acceptance'], byServer(/only ASCII/)],
    ['byteLength', 'non-ASCII', ['positive_data_acceptance'], byServer(/longer than \d+ bytes/)],
    ['strictBooleans', 'boolean spelling', ['positive_data_acceptance'], (f) => /^\[boolean spelling\] query detailed=(True|FALSE|tRuE)$/.test(f.record.description)],
    ['farDate500', 'far dates', ['not_a_server_error', 'positive_data_acceptance', 'status_code_conformance'], byServer(/out of range/)],
    ['dateNoField', 'far dates', ['positive_data_acceptance'], (f) => /^\[far dates\] (query from|the longest period)/.test(f.record.description) && /400 without naming the field/.test(f.outcome.message ?? '')],
    ['strictAccept', 'Accept', ['positive_data_acceptance'], (f) => /Accept: application\/json/.test(f.record.description) && /answered 406/.test(f.outcome.message ?? '')],
    ['ignoresAccept', 'Accept', ['negative_data_rejection'], (f) => /Accept: image\/png/.test(f.record.description) && /answered 200, the documented 406 is due/.test(f.outcome.message ?? '')],
  ])('reports a planted %s through the [%s] cases under %j, and nothing else', async (defect, label, checks, isTheDefect) => {
    const found = await plantedOnly(defect, checks, isTheDefect);
    expect(found.filter((f) => f.record.description.startsWith(`[${label}] `)).length).toBeGreaterThan(0);
  });

  async function plantedOnly(defect: Defect, checks: string[], isTheDefect: (f: ReturnType<typeof failures>[number]) => boolean) {
    const r = await runAgainst([defect]);
    expect(r.ok).toBe(false);
    expect(failedChecks(r)).toEqual(checks);
    const found = failures(r);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !isTheDefect(f)).map((f) => `${f.record.target} ${f.record.description}: ${f.outcome.message}`)).toEqual([]);
    expect(renderJUnit(r)).toMatch(new RegExp(`<failure message="\\d+ of \\d+ exchanges failed" type="${checks[0]}">`));
    return found;
  }

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
