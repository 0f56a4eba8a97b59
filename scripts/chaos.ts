/**
 * npm run chaos [-- --only 3,5,7] [--json FILE] [--keep] [--quiet]: the fault scenarios of chaos/ against servers
 * started here (a fresh embedded cluster in a temporary directory, never DATABASE_URL or .data). A table of fault,
 * expected, observed and pass/FAIL on stdout; exit 1 on any FAIL, 2 on bad usage.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { scenarios } from '../chaos';
import { renderTable, runScenarios } from '../chaos/runner';

const HELP = `usage: npm run chaos [-- options]

  --only N,M     run only these scenarios (1-${scenarios.length})
  --json FILE    also write the results as JSON
  --keep         keep the temporary directory (server logs in its logs/)
  --quiet        no progress lines on stderr
`;

async function main(): Promise<number> {
  let values: { only?: string; json?: string; keep?: boolean; quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { only: { type: 'string' }, json: { type: 'string' }, keep: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let selected = scenarios;
  if (values.only !== undefined) {
    const ids = values.only.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    const unknown = ids.filter((id) => !scenarios.some((s) => s.id === id));
    if (!ids.length || unknown.length) {
      process.stderr.write(`--only: unknown scenario ${unknown.join(', ') || '(none given)'}\n\n${HELP}`);
      return 2;
    }
    selected = scenarios.filter((s) => ids.includes(s.id));
  }
  const command = `npm run chaos${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const report = await runScenarios(selected, { keep: values.keep, verbose: !values.quiet, command });
  const failed = report.rows.filter((r) => !r.pass);
  process.stdout.write(`\n${renderTable(report.rows)}\n\n`);
  process.stdout.write(`${report.date}, ${report.machine}; ${(report.ms / 1000).toFixed(0)} s; `
    + `${report.rows.length - failed.length} passed, ${failed.length} failed\n`);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`chaos: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
