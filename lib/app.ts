/**
 * The app factory: one request listener (Node's own http, no framework) that serves every loaded service on one port,
 * each under its spec's base path: the kernel's health routes, then the front door's pages, then every other request
 * through the stages of lib/http/pipeline.ts (routing and validation from each service's spec through openapi-backend,
 * authentication from passport, the handler in a unit of work), every failure rendered by the owning service.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenAPIBackend } from 'openapi-backend';
import { Passport } from 'passport';
import type { Sequelize } from 'sequelize';
import { codeRoot, projectRoot, config } from './config';
import { configureAjv, loadSpec } from './spec';
import type { AppContext, MountedService } from './http/exchange';
import { pipeline } from './http/pipeline';
import { health, KERNEL_PATHS, type Lifecycle } from './http/health';
import { frontDoor, type FrontDoorMode } from './http/front-door';
import { logger } from './logger';
import type { ServiceDefinition } from './service';

/** A service as mounted: its definition, spec, openapi-backend instance and base path. */
export type LoadedService = MountedService;

export interface AppOptions {
  services: ServiceDefinition[];
  /** shared with the server: draining flips readiness and closes connections after their answer */
  lifecycle?: Lifecycle;
  /** the database each request's unit of work runs on; without it handlers run outside any transaction */
  sequelize?: Sequelize;
  validateResponses?: boolean;
  /** what the front door's pages say this is (default 'server'); DOCS=false: no front door */
  frontDoorMode?: FrontDoorMode;
}


export const specPath = (name: string) => path.join(projectRoot, 'spec', `${name}.yaml`);

/** Names of every service with a spec in spec/. */
export function discoverServices(): string[] {
  return fs.readdirSync(path.join(projectRoot, 'spec'))
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Load handlers/<name>/service.ts for each name; a spec without its handlers refuses start-up. */
export function loadServiceDefinitions(names: string[]): ServiceDefinition[] {
  return names.map((name) => {
    if (!fs.existsSync(specPath(name))) throw new Error(`service "${name}": spec/${name}.yaml does not exist`);
    let mod: { default?: ServiceDefinition };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path.join(codeRoot, 'handlers', name, 'service'));
    } catch (e) {
      throw new Error(`service "${name}": cannot load handlers/${name}/service: ${(e as Error).message}`);
    }
    if (!mod.default) throw new Error(`service "${name}": handlers/${name}/service has no default export`);
    return mod.default;
  });
}

/** What serves the requests: pass it to http.createServer (or supertest). */
export type AppListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface AppHandle {
  app: AppListener;
  services: LoadedService[];
}

export async function createApp(opts: AppOptions): Promise<AppHandle> {
  const passport = new Passport();
  const services: MountedService[] = [];

  for (const def of opts.services) {
    const file = def.specFile ?? specPath(def.name);
    const spec = loadSpec(file, def.name);
    const strategies = def.strategies();
    for (const [scheme, strategy] of Object.entries(strategies)) passport.use(`${def.name}:${scheme}`, strategy);

    // openapi-backend dereferences and compiles the document it is given: a copy, so the spec module's stays as written
    const api = new OpenAPIBackend({
      definition: structuredClone(spec.doc),
      strict: true,
      validate: true,
      // validators compiled at an operation's first request (about 10 ms each), not all at start-up (1 s for the account
      // spec, response validators included though responses are validated only with VALIDATE_RESPONSES); the document
      // itself is checked by `npm run lint:spec` (Redocly) in the test command, not at every start
      quick: true,
      coerceTypes: true,
      ajvOpts: { allErrors: true, strict: false },
      customizeAjv: (ajv) => configureAjv(ajv),
    });
    await api.init();
    // the definition is fixed after init: routing need not rebuild the operation list on every request
    const operations = api.router.getOperations();
    api.router.getOperations = () => operations;

    // completeness: the compiler checks the registry against generated types; this checks it against the spec itself
    const specOps = spec.operations().map((o) => o.operationId).sort();
    const registered = Object.keys(def.handlers).sort();
    const missing = specOps.filter((o) => !registered.includes(o));
    const extra = registered.filter((o) => !specOps.includes(o));
    if (missing.length || extra.length) {
      throw new Error(
        `service "${def.name}": handler registry does not match spec/${def.name}.yaml` +
          (missing.length ? `; missing handlers: ${missing.join(', ')}` : '') +
          (extra.length ? `; handlers without an operation: ${extra.join(', ')}` : ''),
      );
    }
    for (const scheme of Object.keys(spec.doc.components?.securitySchemes ?? {})) {
      if (!strategies[scheme]) throw new Error(`service "${def.name}": no passport strategy for security scheme "${scheme}"`);
    }
    const taken = Object.keys(spec.doc.paths ?? {}).filter((p) => KERNEL_PATHS.includes(p));
    if (taken.length) throw new Error(`service "${def.name}": ${taken.join(', ')} belong to the kernel (health routes)`);
    const basePath = spec.basePath;
    const clash = services.find((s) => s.basePath === basePath);
    if (clash) throw new Error(`services "${clash.def.name}" and "${def.name}" both live under ${basePath}`);
    services.push({ def, spec, api, basePath });
  }
  // the landing page, references and specs; refuses start-up when a spec claims one of its paths
  const door = config.docs ? frontDoor({ specs: services.map((s) => s.spec), mode: opts.frontDoorMode ?? 'server' }) : undefined;

  const context: AppContext = {
    services,
    passport,
    sequelize: opts.sequelize,
    validateResponses: opts.validateResponses ?? config.validateResponses,
    bodyLimitBytes: config.bodyLimitBytes,
    requestDeadlineMs: config.requestDeadlineMs,
    json: { maxDepth: config.jsonMaxDepth, maxElements: config.jsonMaxElements },
  };
  const kernelRoutes = health(opts.lifecycle ?? { draining: false });
  const serve = pipeline(context);
  const failed = (res: ServerResponse, err: unknown) => {
    logger.error({ err }, 'unhandled error outside the pipeline');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('Content-Type', 'application/problem+json');
    res.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
  };
  const toPipeline = (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch((err) => failed(res, err));
  };
  const app: AppListener = (req, res) => {
    kernelRoutes(req, res, () => {
      if (!door) return toPipeline(req, res);
      door(req, res, (err?: unknown) => (err ? failed(res, err) : toPipeline(req, res)));
    });
  };

  return { app, services };
}
