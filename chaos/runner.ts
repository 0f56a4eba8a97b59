/**
 * The chaos runner: each scenario against servers it starts, one at a time, each under its time bound; a table row
 * per scenario (fault, expected, observed, pass/FAIL); the whole run in a temporary directory removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunContext, ScenarioContext, type Scenario } from './context';

export interface Row {
  id: number;
  fault: string;
  expected: string;
  observed: string;
  pass: boolean;
  ms: number;
  details?: string[];
}

export interface RunReport {
  date: string;
  machine: string;
  command: string;
  ms: number;
  rows: Row[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export function renderTable(rows: Row[]): string {
  const lines = ['| fault | expected | observed | result |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.id}. ${cell(r.fault)} | ${cell(r.expected)} | ${cell(r.observed)} | ${r.pass ? 'pass' : 'FAIL'} |`);
  return lines.join('\n');
}

export function machine(): string {
  const cpus = os.cpus();
  return `${os.hostname()}: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, `
    + `${os.type()} ${os.release()}, Node ${process.version}, as ${os.userInfo().username}`;
}

export async function runScenarios(scenarios: Scenario[], opts: { keep?: boolean; verbose?: boolean; command: string }): Promise<RunReport> {
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-chaos-'));
  // left 0700: as root the embedded clusters are then relocated behind a link (lib/embedded-pg.ts), as in CI
  const run = new RunContext(tmp, opts.verbose ?? true);
  const rows: Row[] = [];
  const onSignal = () => {
    process.stderr.write('chaos: interrupted, cleaning up\n');
    run.dispose(false).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const s of scenarios) {
      process.stderr.write(`chaos ${s.id}: ${s.fault}\n`);
      const ctx = new ScenarioContext(run);
      const t0 = Date.now();
      let row: Row;
      let timer: NodeJS.Timeout | undefined;
      try {
        const outcome = await Promise.race([
          s.run(ctx),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the scenario did not finish within ${s.timeoutMs / 1000} s`)), s.timeoutMs);
          }),
        ]);
        row = { id: s.id, fault: s.fault, expected: s.expected, observed: outcome.observed, pass: outcome.pass, ms: Date.now() - t0, details: outcome.details };
      } catch (e) {
        row = { id: s.id, fault: s.fault, expected: s.expected, observed: `error: ${(e as Error).message.split('\n')[0]}`, pass: false, ms: Date.now() - t0,
          details: (e as Error).message.split('\n').slice(1) };
      } finally {
        clearTimeout(timer);
        await ctx.cleanup().catch(() => undefined);
      }
      rows.push(row);
      process.stderr.write(`chaos ${s.id}: ${row.pass ? 'pass' : 'FAIL'} in ${(row.ms / 1000).toFixed(1)} s: ${row.observed}\n`);
      if (!row.pass) for (const d of row.details ?? []) process.stderr.write(`    ${d}\n`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await run.dispose(opts.keep ?? false);
    if (opts.keep) process.stderr.write(`chaos: kept ${tmp} (server logs in ${run.logDir})\n`);
  }
  return { date: new Date().toISOString(), machine: machine(), command: opts.command, ms: Date.now() - started, rows };
}
