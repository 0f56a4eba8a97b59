/**
 * The contract run: for each service, its spec's operations become cases (cases.ts), each is sent (straight or
 * through Prism) and judged (checks.ts); then the undocumented methods of each path and the service's scenarios.
 * Services are independent; nothing here knows any one of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildMethodCases, buildOperationCases, baseRequest, POSITIVE_KINDS, type Case } from './cases';
import { behaviourCheck, conformanceChecks, serverErrorCheck, type CheckName, type CheckOutcome } from './checks';
import { curl, parseJson, send, type HttpRequest, type HttpResponse } from './http';
import type { AdminRunner, OperationRules, PluginContext, RequestParts, ServicePlugin, Session } from './plugin';
import { prismVerdict, startPrism, type PrismProxy } from './prism';
import { summarize, type CaseRecord, type ExchangeRecord, type RunReport, type ServiceReport } from './report';
import { builtins, captureFrom, loadScenarios, partialMismatches, render, scenarioVars, type Scenario } from './scenario';
import { isSecured, loadSpec, type Operation, type ServiceSpec } from './spec';
import { startSelf, type SelfServer } from './self';

export interface RunOptions {
  /** base URL of the deployment; not with self */
  target?: string;
  /** start our own server on a fresh embedded database */
  self?: boolean;
  /** --self on this database instead of a fresh embedded one */
  databaseUrl?: string;
  /** services to run (default: every spec in specDir) */
  services?: string[];
  /** per service, the --auth kind=value pairs */
  auth?: Record<string, Record<string, string>>;
  positiveOnly?: boolean;
  seed?: number;
  budget?: number;
  viaPrism?: boolean;
  strictHeaders?: boolean;
  scenarios?: boolean;
  timeoutMs?: number;
  projectRoot: string;
  specDir?: string;
  pluginDir?: string;
  scenarioDir?: string;
  /** where reports go; Prism's logs are written there too */
  reportDir?: string;
  /** progress lines */
  log?: (line: string) => void;
  /** stop early (Ctrl-C): the cases sent so far are reported, --self and Prism are stopped */
  signal?: AbortSignal;
}

const defaultPlugin = (service: string): ServicePlugin => ({ service });

export function discoverSpecs(specDir: string): string[] {
  return fs.readdirSync(specDir).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('_')).map((f) => f.replace(/\.ya?ml$/, '')).sort();
}

function loadPlugin(dir: string, service: string): ServicePlugin {
  const candidates = ['.ts', '.js'].map((e) => path.join(dir, `${service}${e}`));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) return defaultPlugin(service);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { default?: ServicePlugin; plugin?: ServicePlugin };
  const p = mod.default ?? mod.plugin;
  if (!p) throw new Error(`${file} exports no plugin (default export)`);
  return p;
}

export function toHttp(base: string, method: string, pathTemplate: string, req: RequestParts, authHeaders: Record<string, string>): HttpRequest {
  let p = pathTemplate.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = req.path[name];
    return v === undefined ? `{${name}}` : encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) qs.append(k, typeof x === 'string' ? x : JSON.stringify(x));
    else qs.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const q = qs.toString();
  if (q) p += `?${q}`;
  const headers: Record<string, string> = { 'User-Agent': 'conformant-contract', ...req.headers, ...authHeaders };
  let body: string | undefined;
  if (req.raw !== undefined) body = req.raw;
  else if (req.body !== undefined) body = JSON.stringify(req.body);
  if (body !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json';
  return { method: method.toUpperCase(), url: `${base.replace(/\/+$/, '')}${p}`, headers, body };
}

interface ServiceRun {
  spec: ServiceSpec;
  plugin: ServicePlugin;
  session: Session;
  report: ServiceReport;
  prism?: PrismProxy;
  /** the deployment's base URL plus the spec's server path */
  target: string;
  /** the deployment's base URL as given (Prism's upstream) */
  origin: string;
  opts: Required<Pick<RunOptions, 'strictHeaders' | 'timeoutMs' | 'seed' | 'budget' | 'positiveOnly'>>;
}

function emptySession(): Session {
  return { authHeaders: () => undefined, vars: {} };
}

/** The session's headers for an operation's security, or undefined when no requirement can be met. */
function authFor(session: Session, op: Operation | undefined): Record<string, string> | undefined {
  if (!op || !isSecured(op)) return {};
  for (const requirement of op.security) {
    const headers: Record<string, string> = {};
    let ok = true;
    for (const scheme of Object.keys(requirement)) {
      const h = session.authHeaders(scheme, op);
      if (!h) {
        ok = false;
        break;
      }
      Object.assign(headers, h);
    }
    if (ok) return headers;
  }
  return undefined;
}

async function exchange(run: ServiceRun, req: HttpRequest, direct?: string): Promise<{ res: HttpResponse; via: string; prism: CheckOutcome[] }> {
  if (!run.prism || direct) {
    return { res: await send(req, run.opts.timeoutMs), via: direct && run.prism ? `direct (${direct})` : 'direct', prism: [] };
  }
  const viaPrism = { ...req, url: run.prism.url + req.url.slice(run.origin.length) };
  const res = await send(viaPrism, run.opts.timeoutMs);
  const verdict = prismVerdict(res);
  const p = run.report.prism!;
  if (verdict.kind === 'refused') {
    p.refused++;
    return { res: await send(req, run.opts.timeoutMs), via: `direct (Prism refused it itself: ${verdict.type})`, prism: [] };
  }
  p.forwarded++;
  const bad = verdict.findings.filter((f) => f.location.startsWith('response') || verdict.kind === 'violations');
  p.violations += bad.length;
  const outcome: CheckOutcome = bad.length
    ? { check: 'prism_validation', ok: false, message: bad.map((f) => `${f.severity} at ${f.location || 'response'}: ${f.message}`).join('; ') }
    : { check: 'prism_validation', ok: true };
  return { res, via: 'prism', prism: [outcome] };
}

function record(run: ServiceRun, c: { id: string; target: string; operationId?: string; kind: string; description: string }, req: HttpRequest, res: HttpResponse, via: string, outcomes: CheckOutcome[]): CaseRecord {
  const ex: ExchangeRecord = {
    method: req.method, url: req.url, status: res.status, ms: res.ms, error: res.error, via,
    responseExcerpt: res.body.toString('utf8').slice(0, 500), curl: curl(req),
  };
  return { id: c.id, service: run.spec.service, target: c.target, operationId: c.operationId, kind: c.kind, description: c.description, exchange: ex, outcomes };
}

function noteStatus(run: ServiceRun, op: Operation | undefined, status: number) {
  if (!op || !status) return;
  const cov = run.report.coverage[op.operationId];
  if (cov) cov.seen[String(status)] = (cov.seen[String(status)] ?? 0) + 1;
}

/** Prism hid the target's answer behind its own violation report (the findings are in prism_validation). */
function replacedByPrism(res: HttpResponse, prism: CheckOutcome[]): boolean {
  return prism.some((o) => !o.ok) && res.status === 500 && !!res.headers['content-type']?.includes('problem+json');
}

/** Judge one answer: transport and 5xx, conformance to the operation's documentation, Prism's findings. */
function judge(run: ServiceRun, op: Operation | undefined, res: HttpResponse, prism: CheckOutcome[]): CheckOutcome[] {
  if (replacedByPrism(res, prism)) return [...prism];
  const outcomes: CheckOutcome[] = [serverErrorCheck(res)];
  if (op && !res.error) outcomes.push(...conformanceChecks(op, res, { strictHeaders: run.opts.strictHeaders }, run.report.warnings));
  outcomes.push(...prism);
  return outcomes;
}

async function runCase(run: ServiceRun, c: Case): Promise<CaseRecord> {
  let auth: Record<string, string> = {};
  if (c.auth === 'default') auth = authFor(run.session, c.op ?? c.pathOp) ?? {};
  else if (c.auth !== 'none') auth = c.auth.headers;
  const req = toHttp(run.target, c.method, c.pathTemplate, c.request, auth);
  const { res, via, prism } = await exchange(run, req, c.direct);
  let outcomes: CheckOutcome[];
  if (c.kind === 'method') {
    outcomes = [serverErrorCheck(res)];
    const b = behaviourCheck(c, res);
    if (b) outcomes.push(b);
    // the 405 answer itself is documented on the path's operations
    if (res.status === 405 && !c.pathOp?.responses['405']) run.report.warnings.push(`${c.pathTemplate}: 405 answered, but no operation of the path documents 405`);
    if (c.pathOp && res.status === 405 && c.pathOp.responses['405']) {
      outcomes.push(...conformanceChecks(c.pathOp, res, { strictHeaders: run.opts.strictHeaders }, run.report.warnings, c.method)
        .filter((o) => o.check !== 'status_code_conformance'));
    }
    outcomes.push(...prism);
    // a 405 on the path is the documented 405 of its operations; other answers belong to no operation
    if (res.status === 405) for (const o of run.spec.operations.filter((x) => x.path === c.pathTemplate && x.responses['405'])) noteStatus(run, o, 405);
  } else {
    outcomes = judge(run, c.op, res, prism);
    const b = replacedByPrism(res, prism) ? undefined : behaviourCheck(c, res);
    if (b) outcomes.push(b);
    noteStatus(run, c.op, res.status);
  }
  return record(run, { id: c.id, target: c.target, operationId: c.op?.operationId, kind: c.kind, description: c.description }, req, res, via, outcomes);
}

async function runScenario(run: ServiceRun, sc: Scenario, fns: ReturnType<typeof builtins>, log: (l: string) => void): Promise<void> {
  const target = `scenario: ${sc.name}`;
  const missing = (sc.requires ?? []).filter((v) => run.session.vars[v] === undefined);
  if (missing.length) {
    const why = `needs ${missing.join(', ')} (see the plugin's --auth kinds)`;
    run.report.scenarios.push({ name: sc.name, steps: sc.steps.length, failed: 0, skipped: why });
    run.report.cases.push({ id: `${run.spec.service}/${target}`, service: run.spec.service, target, kind: 'scenario', description: sc.name, outcomes: [], skipped: why });
    return;
  }
  const vars: Record<string, unknown> = { ...run.session.vars, ...scenarioVars() };
  let failed = 0;
  let broken = false;
  let n = 0;
  try {
    for (const [k, v] of Object.entries(sc.vars ?? {})) vars[k] = render(v, vars, fns);
  } catch (e) {
    run.report.scenarios.push({ name: sc.name, steps: sc.steps.length, failed: 1 });
    run.report.cases.push({ id: `${run.spec.service}/${target}/vars`, service: run.spec.service, target, kind: 'scenario', description: 'variables', outcomes: [{ check: 'scenario_step', ok: false, message: (e as Error).message }] });
    return;
  }
  for (const step of sc.steps) {
    n++;
    const id = `${run.spec.service}/${target}/${n}`;
    const description = `step ${n}: ${step.name}`;
    const check: CheckName = step.check ?? 'scenario_step';
    if (broken && !step.always) {
      run.report.cases.push({ id, service: run.spec.service, target, kind: 'scenario', description, outcomes: [], skipped: 'an earlier step failed' });
      continue;
    }
    let op: Operation | undefined;
    let httpReq: HttpRequest;
    try {
      if (step.operation) {
        op = run.spec.operations.find((o) => o.operationId === step.operation);
        if (!op) throw new Error(`no operation ${step.operation} in ${path.basename(run.spec.file)}`);
      }
      const method = step.method ?? op!.method;
      const pathTemplate = render(step.path ?? op!.path, vars, fns) as string;
      if (!op && step.method) op = run.spec.operations.find((o) => o.method === step.method!.toLowerCase() && o.path === pathTemplate);
      const parts: RequestParts = {
        path: (render(step.params ?? {}, vars, fns) ?? {}) as Record<string, unknown>,
        query: (render(step.query ?? {}, vars, fns) ?? {}) as Record<string, unknown>,
        headers: Object.fromEntries(Object.entries((render(step.headers ?? {}, vars, fns) ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
        body: step.body === undefined ? undefined : render(step.body, vars, fns),
        raw: step.raw === undefined ? undefined : String(render(step.raw, vars, fns)),
        contentType: step.content_type,
      };
      let auth: Record<string, string> = {};
      if (step.auth === undefined || step.auth === 'default') auth = authFor(run.session, op) ?? {};
      else if (step.auth !== 'none') {
        if (!run.session.headersFor) throw new Error(`step credentials need the plugin's headersFor, which ${run.spec.service} lacks`);
        auth = run.session.headersFor(render(step.auth, vars, fns) as Record<string, unknown>);
      }
      httpReq = toHttp(run.target, method, pathTemplate, parts, auth);
    } catch (e) {
      failed++;
      broken = true;
      run.report.cases.push({ id, service: run.spec.service, target, kind: 'scenario', description, outcomes: [{ check, ok: false, message: (e as Error).message }] });
      continue;
    }
    const direct = httpReq.body !== undefined && (() => {
      try {
        const v = JSON.parse(httpReq.body as string);
        return v === null || typeof v !== 'object' ? 'Prism re-serialises a top-level JSON scalar body wrongly' : undefined;
      } catch {
        return 'Prism cannot forward a body that is not JSON';
      }
    })();
    const { res, via, prism } = await exchange(run, httpReq, direct || undefined);
    const outcomes = judge(run, op, res, prism);
    noteStatus(run, op, res.status);
    const parsed = parseJson(res.body);
    const answer = { status: res.status, headers: res.headers, body: parsed.ok ? parsed.value : res.body.toString('utf8') };
    const problems: string[] = [];
    const hidden = replacedByPrism(res, prism);
    if (hidden) {
      broken = true; // the real answer is hidden: nothing to expect or capture
    } else if (!res.error) {
      const want = step.expect?.status;
      const wanted = want === undefined ? undefined : Array.isArray(want) ? want : [want];
      if (wanted ? !wanted.includes(res.status) : !(res.status >= 200 && res.status < 300)) {
        problems.push(`answered ${res.status}, expected ${wanted ? wanted.join(' or ') : '2xx'}: ${res.body.toString('utf8').slice(0, 200)}`);
      }
      if (!problems.length && step.expect?.body !== undefined) {
        try {
          problems.push(...partialMismatches(render(step.expect.body, vars, fns), answer.body));
        } catch (e) {
          problems.push((e as Error).message);
        }
      }
      for (const [h, pattern] of Object.entries(step.expect?.headers ?? {})) {
        const v = res.headers[h.toLowerCase()];
        if (v === undefined || !new RegExp(String(render(pattern, vars, fns))).test(v)) problems.push(`header ${h}: ${JSON.stringify(v)} does not match ${pattern}`);
      }
    } else problems.push(`no answer: ${res.error}`);
    if (!hidden) outcomes.push(problems.length ? { check, ok: false, message: problems.join('; ') } : { check, ok: true });
    if (!problems.length && !hidden) {
      for (const [name, expr] of Object.entries(step.capture ?? {})) {
        try {
          vars[name] = captureFrom(expr, answer);
        } catch (e) {
          problems.push((e as Error).message);
        }
        if (vars[name] === undefined) problems.push(`capture ${name} = ${expr}: nothing there`);
      }
      if (problems.length) outcomes.push({ check: 'scenario_step', ok: false, message: problems.join('; ') });
    }
    if (outcomes.some((o) => !o.ok)) {
      failed++;
      if (problems.length) broken = true;
    }
    run.report.cases.push(record(run, { id, target, operationId: op?.operationId, kind: 'scenario', description }, httpReq, res, via, outcomes));
  }
  run.report.scenarios.push({ name: sc.name, steps: sc.steps.length, failed });
  log(`  scenario "${sc.name}": ${failed ? `${failed} failed steps` : 'ok'}`);
}

async function runService(service: string, o: RunOptions & { resolvedTarget: string; admin?: AdminRunner; tmpDir?: string }, log: (l: string) => void): Promise<ServiceReport> {
  const specDir = o.specDir ?? path.join(o.projectRoot, 'spec');
  const specFile = ['yaml', 'yml', 'json'].map((e) => path.join(specDir, `${service}.${e}`)).find((f) => fs.existsSync(f)) ?? path.join(specDir, `${service}.yaml`);
  const report: ServiceReport = {
    service, specFile, target: o.resolvedTarget, operations: [], cases: [], scenarios: [], coverage: {}, notes: [], specIssues: [], warnings: [],
  };
  let spec: ServiceSpec;
  let plugin: ServicePlugin;
  let scenarios: Scenario[];
  try {
    spec = loadSpec(specFile, service);
    plugin = loadPlugin(o.pluginDir ?? path.join(o.projectRoot, 'contract', 'services'), service);
    scenarios = o.scenarios === false || o.positiveOnly ? [] : loadScenarios(path.join(o.scenarioDir ?? path.join(o.projectRoot, 'contract', 'scenarios'), `${service}.yaml`));
  } catch (e) {
    report.error = (e as Error).message;
    return report;
  }
  report.operations = spec.operations.map((x) => ({ operationId: x.operationId, method: x.method.toUpperCase(), path: x.path }));
  for (const op of spec.operations) report.coverage[op.operationId] = { documented: Object.keys(op.responses), seen: {} };
  const run: ServiceRun = {
    spec, plugin, session: emptySession(), report, target: `${o.resolvedTarget.replace(/\/+$/, '')}${spec.basePath}`, origin: o.resolvedTarget.replace(/\/+$/, ''),
    opts: { strictHeaders: !!o.strictHeaders, timeoutMs: o.timeoutMs ?? 30_000, seed: o.seed ?? 1, budget: o.budget ?? 20, positiveOnly: !!o.positiveOnly },
  };
  try {
    if (o.viaPrism) {
      run.prism = await startPrism({ service, specFile, target: o.resolvedTarget, projectRoot: o.projectRoot, logDir: o.reportDir ?? o.tmpDir ?? os.tmpdir() });
      report.prism = { url: run.prism.url, logFile: run.prism.logFile, forwarded: 0, refused: 0, violations: 0 };
      log(`  Prism proxy for ${service} on ${run.prism.url}`);
    }
    let auth = { ...(o.auth?.[service] ?? {}) };
    if (o.admin) {
      if (plugin.bootstrap) {
        auth = { ...(await plugin.bootstrap(o.admin, { tmpDir: o.tmpDir! })), ...auth };
      } else if (spec.operations.some(isSecured)) report.notes.push('the plugin has no bootstrap: no credentials were made for --self');
    }
    if (plugin.connect) {
      const ctx: PluginContext = {
        service,
        target: o.resolvedTarget,
        async request(method, p, ro = {}) {
          const req: HttpRequest = {
            method: method.toUpperCase(), url: `${o.resolvedTarget.replace(/\/+$/, '')}${p}`,
            headers: { 'User-Agent': 'conformant-contract', ...(ro.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(ro.headers ?? {}) },
            body: ro.body === undefined ? undefined : JSON.stringify(ro.body),
          };
          const res = await send(req, run.opts.timeoutMs);
          const parsed = parseJson(res.body);
          return { ...res, json: parsed.ok ? parsed.value : undefined };
        },
      };
      run.session = await plugin.connect(auth, ctx);
    } else if (Object.keys(auth).length) {
      report.notes.push(`--auth given for ${service}, but contract/services/${service}.ts has no connect()`);
    }
    report.notes.push(...(run.session.notes ?? []));

    const bases = new Map<string, RequestParts | undefined>();
    for (const op of spec.operations) {
      const rules: OperationRules = plugin.operations?.[op.operationId] ?? {};
      const canAuth = authFor(run.session, op) !== undefined;
      const built = buildOperationCases(spec, op, { seed: run.opts.seed, budget: run.opts.budget, positiveOnly: run.opts.positiveOnly, canAuth, rules, session: run.session });
      report.specIssues.push(...built.specIssues);
      report.notes.push(...built.notes);
      const b = baseRequest(op, run.opts.seed);
      bases.set(op.operationId, b && rules.prepare ? rules.prepare(JSON.parse(JSON.stringify(b)), run.session) : b);
      let failed = 0;
      for (const c of built.cases) {
        if (o.signal?.aborted) throw new Error('interrupted');
        const r = await runCase(run, c);
        if (r.outcomes.some((x) => !x.ok)) failed++;
        report.cases.push(r);
      }
      if (rules.skip) report.cases.push({ id: `${service}/${op.operationId}/skip`, service, target: op.operationId, operationId: op.operationId, kind: 'skipped', description: 'operation skipped', outcomes: [], skipped: rules.skip });
      const pos = built.cases.filter((c) => POSITIVE_KINDS.includes(c.kind)).length;
      log(`  ${op.operationId}: ${built.cases.length} cases (${pos} positive)${failed ? `, ${failed} with failures` : ''}`);
    }
    if (!run.opts.positiveOnly) {
      const methodCases = buildMethodCases(spec, run.opts.seed, bases);
      let failed = 0;
      for (const c of methodCases) {
        if (o.signal?.aborted) throw new Error('interrupted');
        const r = await runCase(run, c);
        if (r.outcomes.some((x) => !x.ok)) failed++;
        report.cases.push(r);
      }
      log(`  undocumented methods: ${methodCases.length} cases${failed ? `, ${failed} with failures` : ''}`);
    }
    const fns = { ...builtins(), ...(plugin.functions ?? {}) };
    for (const sc of scenarios) {
      if (o.signal?.aborted) throw new Error('interrupted');
      await runScenario(run, sc, fns, log);
    }
  } catch (e) {
    report.error = (e as Error).message;
  } finally {
    await run.prism?.stop();
  }
  return report;
}

/** Run the contract checks; the report says everything, `ok` whether it passed. */
export async function runContract(o: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const specDir = o.specDir ?? path.join(o.projectRoot, 'spec');
  const services = o.services?.length ? o.services : discoverSpecs(specDir);
  if (!o.self && !o.target) throw new Error('give --target URL or --self');
  if (o.self && o.target) throw new Error('--target and --self exclude each other');
  let self: SelfServer | undefined;
  let tmpDir: string | undefined;
  if (o.self) {
    log(`starting our server for ${services.join(', ')} on a fresh ${o.databaseUrl ? 'database (given URL)' : 'embedded database'} …`);
    self = await startSelf({ services, databaseUrl: o.databaseUrl, projectRoot: o.projectRoot });
    tmpDir = self.tmpDir;
    log(`  listening on ${self.url}`);
  } else if (o.viaPrism && !o.reportDir) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-contract-'));
  }
  const reports: ServiceReport[] = [];
  try {
    const resolvedTarget = self ? self.url : o.target!;
    for (const service of services) {
      if (o.signal?.aborted) break;
      log(`${service}:`);
      reports.push(await runService(service, { ...o, resolvedTarget, admin: self?.admin(service), tmpDir: tmpDir ?? os.tmpdir() }, log));
    }
  } finally {
    if (self) await self.stop();
    else if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return summarize({
    startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, target: self ? `${self.url}` : o.target!, self: !!o.self,
    viaPrism: !!o.viaPrism, seed: o.seed ?? 1, budget: o.budget ?? 20, positiveOnly: !!o.positiveOnly, services: reports,
  });
}
