/** What a run found: the readable summary, the status coverage table, and the JSON and JUnit XML reports. */
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS, type CheckName, type CheckOutcome } from './checks';

export interface ExchangeRecord {
  method: string;
  url: string;
  status: number;
  ms: number;
  error?: string;
  /** 'direct', 'prism', or 'direct (…why)' */
  via: string;
  responseExcerpt: string;
  curl: string;
}

export interface CaseRecord {
  id: string;
  service: string;
  /** operationId, a path template (undocumented methods), or "scenario: name" */
  target: string;
  operationId?: string;
  kind: string;
  description: string;
  exchange?: ExchangeRecord;
  outcomes: CheckOutcome[];
  skipped?: string;
}

export interface ServiceReport {
  service: string;
  specFile: string;
  target: string;
  operations: Array<{ operationId: string; method: string; path: string }>;
  cases: CaseRecord[];
  scenarios: Array<{ name: string; steps: number; failed: number; skipped?: string }>;
  coverage: Record<string, { documented: string[]; seen: Record<string, number> }>;
  notes: string[];
  specIssues: string[];
  warnings: string[];
  prism?: { url: string; logFile: string; forwarded: number; refused: number; violations: number };
  error?: string;
}

export interface RunReport {
  startedAt: string;
  durationMs: number;
  target: string;
  self: boolean;
  viaPrism: boolean;
  seed: number;
  budget: number;
  positiveOnly: boolean;
  services: ServiceReport[];
  totals: { cases: number; exchanges: number; failures: number; failedChecks: Partial<Record<CheckName, number>> };
  ok: boolean;
}

export function failuresOf(records: CaseRecord[]): Array<{ record: CaseRecord; outcome: CheckOutcome }> {
  return records.flatMap((record) => record.outcomes.filter((o) => !o.ok).map((outcome) => ({ record, outcome })));
}

export function summarize(report: Omit<RunReport, 'totals' | 'ok'>): RunReport {
  const all = report.services.flatMap((s) => s.cases);
  const failedChecks: Partial<Record<CheckName, number>> = {};
  for (const { outcome } of failuresOf(all)) failedChecks[outcome.check] = (failedChecks[outcome.check] ?? 0) + 1;
  const failures = Object.values(failedChecks).reduce((a, b) => a + (b ?? 0), 0);
  const errors = report.services.filter((s) => s.error).length;
  return {
    ...report,
    totals: { cases: all.length, exchanges: all.filter((c) => c.exchange).length, failures, failedChecks },
    ok: failures === 0 && errors === 0,
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The human summary printed at the end of a run. */
export function renderText(r: RunReport, maxDetails = 3): string {
  const lines: string[] = [];
  lines.push(`Contract run against ${r.target}${r.self ? ' (--self)' : ''}${r.viaPrism ? ' through Prism (proxy --errors)' : ''}`);
  lines.push(`seed ${r.seed}, budget ${r.budget} generated cases per operation${r.positiveOnly ? ', positive cases only' : ''}, ${(r.durationMs / 1000).toFixed(1)} s`);
  for (const s of r.services) {
    lines.push('');
    const fails = failuresOf(s.cases);
    lines.push(`== ${s.service} (${path.basename(s.specFile)}): ${s.operations.length} operations, ${s.cases.filter((c) => c.exchange).length} exchanges, ${fails.length} failures`);
    if (s.error) lines.push(`   ERROR: ${s.error}`);
    const targets = [...new Set(s.cases.map((c) => c.target))];
    const w = Math.max(24, ...targets.map((t) => t.length)) + 2;
    if (targets.length) lines.push(`   ${pad('operation', w)}${lpad('pos', 5)}${lpad('neg', 5)}${lpad('auth', 6)}${lpad('other', 7)}  result`);
    for (const t of targets) {
      const cs = s.cases.filter((c) => c.target === t);
      const count = (kinds: string[]) => String(cs.filter((c) => kinds.includes(c.kind)).length);
      const f = failuresOf(cs);
      const byCheck = new Map<string, number>();
      for (const x of f) byCheck.set(x.outcome.check, (byCheck.get(x.outcome.check) ?? 0) + 1);
      const skipped = cs.filter((c) => c.skipped).length;
      const result = f.length ? `FAIL ${[...byCheck].map(([k, n]) => `${k} ×${n}`).join(', ')}` : `ok${skipped ? ` (${skipped} skipped)` : ''}`;
      lines.push(`   ${pad(t, w)}${lpad(count(['example', 'boundary', 'generated', 'plugin']), 5)}${lpad(count(['negative', 'content-type', 'malformed']), 5)}`
        + `${lpad(count(['auth']), 6)}${lpad(count(['method', 'scenario']), 7)}  ${result}`);
    }
    for (const sc of s.scenarios) {
      lines.push(`   scenario "${sc.name}": ${sc.skipped ? `skipped: ${sc.skipped}` : `${sc.steps} steps, ${sc.failed ? `${sc.failed} FAILED` : 'ok'}`}`);
    }
    if (s.prism) lines.push(`   Prism ${s.prism.url}: ${s.prism.forwarded} exchanges judged, ${s.prism.violations} violations, ${s.prism.refused} refused by Prism itself and sent straight to the target (log ${s.prism.logFile})`);
    if (Object.keys(s.coverage).length) {
      lines.push('');
      lines.push('   status coverage (documented statuses seen; * = seen)');
    }
    for (const [op, cov] of Object.entries(s.coverage)) {
      const seen = cov.documented.filter((d) => cov.seen[d]);
      const undocumented = Object.keys(cov.seen).filter((k) => !cov.documented.includes(k));
      lines.push(`   ${pad(op, w)}${cov.documented.map((d) => (cov.seen[d] ? `${d}*` : d)).join(' ')}  (${seen.length}/${cov.documented.length})`
        + (undocumented.length ? `  undocumented seen: ${undocumented.join(' ')}` : ''));
    }
    for (const n of s.notes) lines.push(`   note: ${n}`);
    for (const n of s.specIssues) lines.push(`   SPEC: ${n}`);
    const warns = [...new Set(s.warnings)];
    for (const n of warns.slice(0, 10)) lines.push(`   warning: ${n}`);
    if (warns.length > 10) lines.push(`   … ${warns.length - 10} more warnings in the JSON report`);
  }
  lines.push('');
  lines.push('checks                          passed  failed');
  for (const check of CHECKS) {
    const outs = r.services.flatMap((s) => s.cases.flatMap((c) => c.outcomes.filter((o) => o.check === check)));
    if (!outs.length) continue;
    const failed = outs.filter((o) => !o.ok).length;
    lines.push(`${pad(check, 30)}${lpad(String(outs.length - failed), 8)}${lpad(String(failed), 8)}`);
  }
  const fails = r.services.flatMap((s) => failuresOf(s.cases));
  if (fails.length) {
    lines.push('');
    lines.push('FAILURES');
    const groups = new Map<string, typeof fails>();
    for (const f of fails) {
      const key = `${f.record.service} ${f.record.target} · ${f.outcome.check}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    for (const [key, list] of groups) {
      lines.push(`- ${key} (${list.length})`);
      for (const f of list.slice(0, maxDetails)) {
        lines.push(`    [${f.record.kind}] ${f.record.description}`);
        lines.push(`      ${f.outcome.message ?? 'failed'}`);
        if (f.record.exchange) lines.push(`      ${f.record.exchange.curl.length > 600 ? `${f.record.exchange.curl.slice(0, 600)}…` : f.record.exchange.curl}`);
      }
      if (list.length > maxDetails) lines.push(`    … ${list.length - maxDetails} more in the JSON report`);
    }
  }
  lines.push('');
  lines.push(`${r.ok ? 'PASSED' : 'FAILED'}: ${r.totals.cases} cases, ${r.totals.exchanges} exchanges, ${r.totals.failures} failed checks`
    + `${r.services.some((s) => s.error) ? `, ${r.services.filter((s) => s.error).length} services could not run` : ''}`);
  return lines.join('\n');
}

const xml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
  // eslint-disable-next-line no-control-regex
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** JUnit XML: a suite per service, a test case per operation and check (and per scenario). */
export function renderJUnit(r: RunReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let tests = 0;
  let failedCases = 0;
  const suites: string[] = [];
  for (const s of r.services) {
    const cases: string[] = [];
    let failures = 0;
    const targets = [...new Set(s.cases.map((c) => c.target))];
    for (const t of targets) {
      const cs = s.cases.filter((c) => c.target === t);
      const checks = [...new Set(cs.flatMap((c) => c.outcomes.map((o) => o.check)))];
      for (const check of checks) {
        const outs = cs.flatMap((c) => c.outcomes.filter((o) => o.check === check).map((o) => ({ c, o })));
        const bad = outs.filter((x) => !x.o.ok);
        const time = outs.reduce((a, x) => a + (x.c.exchange?.ms ?? 0), 0) / 1000;
        tests++;
        let body = '';
        if (bad.length) {
          failures++;
          const text = bad.slice(0, 20).map((x) => `[${x.c.kind}] ${x.c.description}\n  ${x.o.message ?? ''}\n  ${x.c.exchange?.curl ?? ''}`).join('\n\n');
          body = `<failure message="${xml(`${bad.length} of ${outs.length} exchanges failed`)}" type="${check}">${xml(text)}</failure>`;
        }
        cases.push(`    <testcase classname="${xml(`${s.service}.${t}`)}" name="${check}" time="${time.toFixed(3)}">${body}</testcase>`);
      }
      const skipped = cs.filter((c) => c.skipped);
      if (skipped.length && !checks.length) {
        tests++;
        cases.push(`    <testcase classname="${xml(`${s.service}.${t}`)}" name="skipped"><skipped message="${xml(skipped[0].skipped!)}"/></testcase>`);
      }
    }
    if (s.error) {
      tests++;
      failures++;
      cases.push(`    <testcase classname="${xml(s.service)}" name="service"><error message="${xml(s.error)}"/></testcase>`);
    }
    failedCases += failures;
    suites.push(`  <testsuite name="${xml(s.service)}" tests="${cases.length}" failures="${failures}" timestamp="${r.startedAt}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  out.push(`<testsuites name="contract" tests="${tests}" failures="${failedCases}" time="${(r.durationMs / 1000).toFixed(3)}">`);
  out.push(...suites);
  out.push('</testsuites>');
  return out.join('\n');
}

export function writeReports(r: RunReport, dir: string): { json: string; junit: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'contract-report.json');
  const junit = path.join(dir, 'contract-junit.xml');
  fs.writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(junit, `${renderJUnit(r)}\n`);
  fs.writeFileSync(path.join(dir, 'contract-summary.txt'), `${renderText(r, 20)}\n`);
  return { json, junit };
}

/**
 * Progress of a run as people expect it: the runner's lines (a line per service, per operation) pass through; on a
 * terminal a bar of the operations done stays below them, redrawn after each line and cleared at the end. A line
 * `<service>:` starts a service, `  <operationId>: N cases …` finishes an operation (the runner's own wording).
 */
export function progressLog(opts: { totalOperations: number; write: (s: string) => void; tty: boolean; width?: number }) {
  let done = 0;
  let service = '';
  let drawn = false;
  const width = Math.max(10, Math.min(opts.width ?? 80, 120) - 50);
  const bar = () => {
    const total = Math.max(opts.totalOperations, done, 1);
    const filled = Math.round((done / total) * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} operations${service ? ` · ${service}` : ''}`;
  };
  return {
    log(line: string): void {
      const svc = /^(\S+):$/.exec(line);
      if (svc) service = svc[1];
      else if (/^ {2}[^\s:]+: \d+ cases\b/.test(line)) done++;
      if (!opts.tty) return opts.write(`${line}\n`);
      opts.write(`${drawn ? '\r\x1b[K' : ''}${line}\n${bar()}`);
      drawn = true;
    },
    /** clear the bar (before the summary) */
    end(): void {
      if (drawn) opts.write('\r\x1b[K');
      drawn = false;
    },
    get done() { return done; },
  };
}
