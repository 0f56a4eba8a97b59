/**
 * npm run mock [-- --dynamic] [--errors] [--seed S] [--verbose] [--quiet]: every spec in spec/ mocked on one port
 * (PORT, default 4010; HOST, default 127.0.0.1); SERVICES=a,b mocks some. SIGINT/SIGTERM stop Prism children too.
 */
import { shutdownOnSignals } from '../lib/signals';
import { parseArgs } from 'node:util';
import { config } from '../lib/config';
import { startMock } from '../lib/mock/server';

const HELP = `usage: npm run mock -- [--dynamic] [--errors] [--seed S] [--verbose] [--quiet]
  --dynamic   Prism generates bodies from the schemas (prism mock -d); also MOCK_DYNAMIC=1
  --errors    Prism answers request/response violations marked as errors with an error response (prism --errors)
  --seed S    seed for dynamic generation (deterministic answers)
  --verbose   echo Prism's own log
  --quiet     no request lines
env: PORT (4010), HOST (127.0.0.1), SERVICES (every spec in spec/)`;

function truthy(v: string | undefined): boolean {
  return ['1', 'true', 'yes', 'on'].includes(String(v ?? '').toLowerCase());
}

async function main() {
  const { values } = parseArgs({
    options: {
      dynamic: { type: 'boolean', short: 'd' },
      errors: { type: 'boolean' },
      seed: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 4010 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${process.env.PORT}"`);
  const dynamic = values.dynamic || truthy(process.env.MOCK_DYNAMIC);
  const services = process.env.SERVICES ? process.env.SERVICES.split(',').map((s) => s.trim()).filter(Boolean) : undefined;

  const mock = await startMock({
    port, host: process.env.HOST || '127.0.0.1', services,
    prism: { dynamic, errors: values.errors, seed: values.seed, verbose: values.verbose },
    log: values.quiet ? undefined : (line) => console.log(`mock: ${line}`),
  });
  // a last resort if this process leaves without stopping them
  process.on('exit', () => {
    for (const s of mock.services) if (s.prism.process.exitCode === null && s.prism.process.signalCode === null) s.prism.process.kill('SIGKILL');
  });

  for (const s of mock.services) {
    const local = [...s.local.keys()];
    console.log(`mock: ${s.spec.name} (${s.prefixes.length > 1 ? s.prefixes[s.prefixes.length - 1] : s.prefixes[0]}): prism pid ${s.prism.pid} on ${s.prism.url}; `
      + `${s.operations.length - local.length} operations by Prism, ${local.length} by the router`
      + (local.length ? ` (${local.map((o) => `${o.operationId}: ${o.routerReason}`).join('; ')})` : ''));
  }
  for (const w of mock.warnings) console.error(`mock: warning: ${w}`);
  console.log(`mock: listening on ${mock.url} (${dynamic ? 'dynamic data' : 'static examples'}${values.errors ? ', --errors' : ''})`
    + (config.docs ? `; the services, their references and specs: ${mock.url}/` : ''));

  shutdownOnSignals((_msg, sig) => console.log(`mock: ${sig}, stopping`)).ready(() => mock.stop());

  const death = await mock.died;
  console.error(`mock: Prism for ${death.service} (pid ${death.pid}) exited unexpectedly (${death.signal ?? `code ${death.code}`}); `
    + `the mock is stopped. Prism's last output:\n${death.tail}`);
  process.exit(1);
}

main().catch((err) => {
  console.error(`mock: start-up failed: ${(err as Error).message}`);
  process.exit(1);
});
