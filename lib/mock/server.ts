/**
 * The mock server: one Prism child per spec behind one small router on one port. The router sends a request to the
 * service owning the longest matching path prefix; operations Prism cannot mock are answered by the router itself
 * (./local.ts), everything else is piped to that service's Prism (Prefer headers included). Accept is negotiated by
 * the server's rule for both (./negotiation.ts): the router answers the documented 406 itself, and hands Prism the
 * media type the rule chose. Children are started and stopped together; a child that dies takes the whole mock down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { config } from '../config';
import { frontDoor } from '../http/front-door';
import { byMatchPriority, discoverSpecs, matchTemplate, ServiceSpec, specDir, type OperationInfo } from '../spec';
import { answerLocally, answerNotAcceptable, localOperation, missingFixtures, type LocalOperation } from './local';
import { acceptable, acceptForPrism } from './negotiation';
import { startPrism, type PrismChild, type PrismOptions } from './prism';

export interface MockOptions {
  port?: number;
  host?: string;
  /** services to mock; default every spec in spec/ */
  services?: string[];
  specDir?: string;
  fixturesRoot?: string;
  prism?: PrismOptions;
  /** the front door's pages (default: DOCS, true) */
  docs?: boolean;
  /** one line per request (method, path, status, who answered) */
  log?: (line: string) => void;
}

export interface MockService {
  spec: ServiceSpec;
  prism: PrismChild;
  prefixes: string[];
  operations: OperationInfo[];
  local: Map<OperationInfo, LocalOperation>;
}

export interface ChildDeath {
  service: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string;
}

export interface RunningMock {
  url: string;
  server: http.Server;
  services: MockService[];
  /** settles when a Prism child died on its own; the mock has been stopped by then */
  died: Promise<ChildDeath>;
  warnings: string[];
  stop(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Credentials': 'true',
  'Access-Control-Expose-Headers': '*',
};

function problem(res: http.ServerResponse, status: number, title: string, detail: string) {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startMock(opts: MockOptions = {}): Promise<RunningMock> {
  const dir = opts.specDir ?? specDir();
  const names = opts.services ?? discoverSpecs(dir);
  if (!names.length) throw new Error(`no spec in ${dir}`);
  const specs = names.map((n) => ServiceSpec.load(n, dir));
  const warnings: string[] = [];
  const door = (opts.docs ?? config.docs) ? frontDoor({ specs, mode: 'mock' }) : undefined;

  const started = await Promise.allSettled(specs.map((s) => startPrism(s.name, s.file, opts.prism)));
  const children = started.filter((r): r is PromiseFulfilledResult<PrismChild> => r.status === 'fulfilled').map((r) => r.value);
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(children.map((c) => c.stop()));
    throw failure.reason;
  }

  const services: MockService[] = specs.map((spec, i) => {
    const operations = [...spec.operations()].sort(byMatchPriority);
    const local = new Map<OperationInfo, LocalOperation>();
    for (const op of operations) {
      if (!op.routerReason) continue;
      const l = localOperation(spec, op, opts.fixturesRoot);
      local.set(op, l);
      const missing = missingFixtures(l);
      if (missing.length) warnings.push(`${spec.name}.${op.operationId}: no fixture for ${missing.join(', ')} (fixtures/mock/${spec.name}/${op.operationId}.<ext>); answered 501`);
    }
    return { spec, prism: children[i], prefixes: spec.prefixes(), operations, local };
  });

  const routes = services.flatMap((svc) => svc.prefixes.map((prefix) => ({ prefix, svc }))).sort((a, b) => b.prefix.length - a.prefix.length);
  for (const [i, r] of routes.entries()) {
    const clash = routes.slice(0, i).find((o) => o.prefix === r.prefix && o.svc !== r.svc);
    if (clash) warnings.push(`path prefix ${r.prefix} is in both ${clash.svc.spec.name} and ${r.svc.spec.name}; ${clash.svc.spec.name} gets it`);
  }
  const routeOf = (p: string) => routes.find((r) => p === r.prefix || r.prefix === '/' || p.startsWith(`${r.prefix}/`));

  const agent = new http.Agent({ keepAlive: true });
  const log = opts.log;

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://mock');
    const route = routeOf(url.pathname);
    const started = Date.now();
    let by = 'router';
    res.on('finish', () => log?.(`${req.method} ${req.url} -> ${res.statusCode} (${by}, ${Date.now() - started} ms)`));
    // as the server: no content sniffing, no cache (merged into Prism's own headers at writeHead)
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    // the router's own answers carry the CORS headers Prism puts on its answers
    const cors = () => Object.entries(CORS).forEach(([k, v]) => res.setHeader(k, v));
    if (!route) {
      cors();
      return problem(res, 404, 'Not Found', `no spec in the mock serves ${url.pathname}`);
    }
    const { svc } = route;

    // OpenAPI matching: the first path (literal before templated) that matches, then the method on it
    const method = (req.method ?? 'GET').toLowerCase();
    let target: { op: OperationInfo; params: Record<string, string> } | undefined;
    for (const op of svc.operations) {
      const params = matchTemplate(op.path, url.pathname);
      if (!params) continue;
      const same = svc.operations.filter((o) => o.path === op.path);
      const hit = same.find((o) => o.method === method) ?? (method === 'head' ? same.find((o) => o.method === 'get') : undefined);
      if (hit) target = { op: hit, params };
      break;
    }
    // booleans in any letter case (Python's requests sends True), as the server reads them: Prism wants lowercase
    let upstreamPath = req.url ?? '/';
    if (target) {
      const query = lowercaseBooleans(svc.spec, target.op, url.search.slice(1));
      if (query !== url.search.slice(1)) {
        upstreamPath = `${url.pathname}?${query}`;
        url.search = query;
      }
    }
    const failed = (err: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', `mock: ${(err as Error).message}`);
      else res.destroy();
    };
    const local = target && svc.local.get(target.op);
    if (local && target) {
      by = `router: ${svc.spec.name}.${target.op.operationId}`;
      cors();
      answerLocally(local, { req, res, params: target.params, query: url.searchParams }).catch(failed);
      return;
    }

    // Accept as the server negotiates it: a 406 only when Accept names nothing the operation produces at any
    // status (answered here, before Prism checks anything, as the server does); otherwise Prism gets the chosen type
    let headers = req.headers;
    if (target) {
      if (!acceptable(target.op, req.headers.accept)) {
        by = `router: ${svc.spec.name}.${target.op.operationId} not acceptable`;
        cors();
        req.resume();
        answerNotAcceptable(svc.spec, target.op, req, res).catch(failed);
        return;
      }
      const accept = acceptForPrism(target.op, req.headers);
      if (accept !== undefined) headers = { ...req.headers, accept };
    }

    by = `prism ${svc.spec.name}`;
    const upstream = http.request(
      { host: '127.0.0.1', port: svc.prism.port, method: req.method, path: upstreamPath, headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) problem(res, 502, 'Bad Gateway', `Prism for ${svc.spec.name} did not answer: ${err.message}`);
      else res.destroy();
    });
    req.on('aborted', () => upstream.destroy());
    req.pipe(upstream);
  };
  // the front door (landing page, references, specs) before the services, as on the server
  const server = http.createServer(door ? (req, res) => door(req, res, () => handle(req, res)) : handle);

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    agent.destroy();
    await Promise.all([closed, ...children.map((c) => c.stop())]);
  })());

  let announceDeath!: (d: ChildDeath) => void;
  const died = new Promise<ChildDeath>((resolve) => (announceDeath = resolve));
  for (const child of children) {
    void child.exited.then(async ({ code, signal }) => {
      if (stopping) return;
      const death = { service: child.service, pid: child.pid, code, signal, tail: child.tail() };
      await stop();
      announceDeath(death);
    });
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 4010, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (e) {
    await stop();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return { url: `http://${host}:${addr.port}`, server, services, died, warnings, stop };
}

/** The raw query with the values of boolean query parameters (and arrays of them) spelled in lowercase. */
export function lowercaseBooleans(spec: ServiceSpec, op: OperationInfo, rawQuery: string): string {
  const names = new Set(op.parameters.filter((p) => {
    if (p.in !== 'query') return false;
    const schema = spec.derefSchema(p.schema);
    return schema?.type === 'boolean' || (schema?.type === 'array' && spec.derefSchema(schema.items)?.type === 'boolean');
  }).map((p) => p.name));
  if (!names.size || !rawQuery) return rawQuery;
  return rawQuery.split('&').map((pair) => {
    const i = pair.indexOf('=');
    if (i < 0) return pair;
    let name = pair.slice(0, i);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch { /* left as sent */ }
    const value = pair.slice(i + 1);
    return names.has(name) && /^(true|false)$/i.test(value) ? `${pair.slice(0, i)}=${value.toLowerCase()}` : pair;
  }).join('&');
}
