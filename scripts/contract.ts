/**
 * npm run contract -- --target URL | --self [flags]: spec-driven contract and regression checks of a deployment
 * (lib/contract/). Summary on stdout, JSON and JUnit reports in --report-dir, exit 1 on any failure, 2 on bad usage.
 */
process.env.LOG_LEVEL ??= 'warn'; // --self: keep our server's request log out of the summary

import path from 'node:path';
import { parseArgs } from 'node:util';

const HELP = `usage: npm run contract -- (--target URL | --self) [options]

  --target URL            the deployment to check (base URL; the specs' paths are appended)
  --self                  start our own server on a fresh embedded database, bootstrap users, check it, stop it
  --database-url URL      with --self: use this PostgreSQL database instead of a fresh embedded one
  --service S             only this service (repeatable; default: every spec in spec/)
  --auth S:KIND=VALUE     credentials for service S (repeatable), e.g. account:user=alice:secret,
                          account:token=eyJ..., b2b:user=admin@acme:secret (see the README)
  --positive-only         valid input only: examples, bounds and generated data (e.g. against a mock)
  --seed N                seed of the generated data (default 1)
  --budget N              generated cases per operation (default 20)
  --via-prism             send everything through prism proxy --errors (one per service); zero violations due
  --strict-headers        a documented response header that is missing fails even when not required
  --no-scenarios          skip the stateful flows of contract/scenarios/
  --timeout MS            per request (default 30000)
  --report-dir DIR        JSON, JUnit XML and text reports (default contract-reports/)
  --spec-dir DIR          the specs (default spec/)
  --contract-dir DIR      plugins in DIR/services/, scenarios in DIR/scenarios/ (default contract/)
  --quiet                 no progress lines
`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        target: { type: 'string' }, self: { type: 'boolean' }, 'database-url': { type: 'string' },
        service: { type: 'string', multiple: true }, auth: { type: 'string', multiple: true },
        'positive-only': { type: 'boolean' }, seed: { type: 'string' }, budget: { type: 'string' },
        'via-prism': { type: 'boolean' }, 'strict-headers': { type: 'boolean' }, 'no-scenarios': { type: 'boolean' },
        timeout: { type: 'string' }, 'report-dir': { type: 'string' }, 'spec-dir': { type: 'string' }, 'contract-dir': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
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
  const usage = (m: string) => {
    process.stderr.write(`${m}\n\n${HELP}`);
    return 2;
  };
  if (!values.self && !values.target) return usage('give --target URL or --self');
  if (values.self && values.target) return usage('--target and --self exclude each other');
  if (values['database-url'] && !values.self) return usage('--database-url goes with --self');
  const int = (name: string, fallback: number) => {
    const v = values[name] as string | undefined;
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
    return Number(v);
  };
  const auth: Record<string, Record<string, string>> = {};
  for (const a of (values.auth as string[] | undefined) ?? []) {
    const m = /^([\w-]+):([\w-]+)=(.*)$/s.exec(a);
    if (!m) return usage(`--auth must be SERVICE:KIND=VALUE, got "${a}"`);
    (auth[m[1]] ??= {})[m[2]] = m[3];
  }
  let seed: number;
  let budget: number;
  let timeoutMs: number;
  try {
    seed = int('seed', 1);
    budget = int('budget', 20);
    timeoutMs = int('timeout', 30_000);
  } catch (e) {
    return usage((e as Error).message);
  }
  const { projectRoot } = await import('../lib/config');
  const { runContract } = await import('../lib/contract/runner');
  const { progressLog, renderText, writeReports } = await import('../lib/contract/report');
  const reportDir = path.resolve(projectRoot, (values['report-dir'] as string | undefined) ?? 'contract-reports');
  const quiet = !!values.quiet;
  // a line per service and per operation on stderr; on a terminal a bar of the operations done below them
  const { discoverSpecs, loadSpec } = await import('../lib/spec');
  const specDir = values['spec-dir'] ? path.resolve(values['spec-dir'] as string) : path.join(projectRoot, 'spec');
  const operationsOf = (s: string) => { try { return loadSpec(path.join(specDir, `${s}.yaml`), s).operations().length; } catch { return 0; } };
  const progress = progressLog({
    totalOperations: ((values.service as string[] | undefined) ?? discoverSpecs(specDir)).reduce((n, s) => n + operationsOf(s), 0),
    tty: !!process.stderr.isTTY, width: process.stderr.columns, write: (t) => process.stderr.write(t),
  });
  const contractDir = values['contract-dir'] ? path.resolve(values['contract-dir'] as string) : path.join(projectRoot, 'contract');
  let stopping = false;
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('interrupted: stopping after the current request …\n');
    abort.abort();
  });
  const report = await runContract({
    signal: abort.signal,
    projectRoot, target: values.target as string | undefined, self: !!values.self, databaseUrl: values['database-url'] as string | undefined,
    services: values.service as string[] | undefined, auth, positiveOnly: !!values['positive-only'], seed, budget,
    viaPrism: !!values['via-prism'], strictHeaders: !!values['strict-headers'], scenarios: !values['no-scenarios'], timeoutMs, reportDir,
    specDir: values['spec-dir'] ? path.resolve(values['spec-dir'] as string) : undefined,
    pluginDir: path.join(contractDir, 'services'), scenarioDir: path.join(contractDir, 'scenarios'),
    log: quiet ? undefined : (l) => {
      if (!stopping) progress.log(l);
    },
  });
  stopping = true;
  progress.end();
  process.stdout.write(`${renderText(report)}\n`);
  const files = writeReports(report, reportDir);
  process.stdout.write(`reports: ${path.relative(process.cwd(), files.json) || files.json}, ${path.relative(process.cwd(), files.junit) || files.junit}\n`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 2;
  },
);
