/**
 * The integrator's front door, outside every service (like ./health.ts): `GET /` lists each mounted service (product,
 * base path, state, links), `GET /docs/<service>` is its interactive reference (Swagger UI from the swagger-ui-dist
 * package, served from here so it works offline; "try it" calls this deployment), `GET /specs/<service>.yaml|.json`
 * is its spec as loaded. A function of (specs, mode, baseUrl), written against node:http alone, so the server, the
 * sandbox and the mock's router (lib/mock/server.ts) serve the same pages, each saying which it is. Its paths must
 * belong to no service: building it refuses specs that claim one. DOCS=false leaves it out.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import Negotiator from 'negotiator';
import { matchTemplate, type ServiceSpec } from '../spec';
import { projectRoot } from '../config';

export type FrontDoorMode = 'server' | 'mock' | 'sandbox';

export interface FrontDoorOptions {
  specs: ServiceSpec[];
  mode: FrontDoorMode;
  /** where "try it" sends requests and links point (e.g. behind a proxy); default: the origin that served the page */
  baseUrl?: string;
}

/** The front door's namespace: `/` exactly, `/docs` and everything under it, everything under `/specs/`. */
export const FRONT_DOOR_PATHS = ['/', '/docs', '/docs/*', '/specs/*'];

const MODE_TEXT: Record<FrontDoorMode, string> = {
  server: 'the server: the real implementation',
  sandbox: 'the sandbox: the real implementation on demo data (credentials printed by npm run sandbox)',
  mock: 'the mock: Prism answering from the specs\' examples, nothing stored',
};

const STATE: Record<FrontDoorMode, string> = { server: 'implemented', sandbox: 'implemented, demo data', mock: 'mocked' };

const VENDOR_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const OWN_DIR = path.join(projectRoot, 'lib', 'front-door');

/** The only files served under /docs/_assets/ (no path from the request ever reaches the file system). */
const ASSETS: Record<string, { file: string; type: string }> = {
  'swagger-ui-bundle.js': { file: path.join(VENDOR_DIR, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { file: path.join(VENDOR_DIR, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  'favicon-32x32.png': { file: path.join(VENDOR_DIR, 'favicon-32x32.png'), type: 'image/png' },
  'docs.js': { file: path.join(OWN_DIR, 'docs.js'), type: 'text/javascript; charset=utf-8' },
  'front-door.css': { file: path.join(OWN_DIR, 'front-door.css'), type: 'text/css; charset=utf-8' },
};
const ASSET_PREFIX = '/docs/_assets/';

const html = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Concrete paths the front door answers for these services (for checking a spec's templated paths against). */
function concretePaths(names: string[]): string[] {
  return ['/', '/docs', ...Object.keys(ASSETS).map((a) => `${ASSET_PREFIX}${a}`),
    ...names.flatMap((n) => [`/docs/${n}`, `/specs/${n}.yaml`, `/specs/${n}.json`])];
}

/** The spec paths of `spec` that the front door would take from it (empty when none). */
export function frontDoorCollisions(spec: ServiceSpec, names: string[] = [spec.name]): string[] {
  const concrete = concretePaths(names);
  return Object.keys(spec.doc.paths ?? {}).filter((p) => p === '/' || p === '/docs' || p.startsWith('/docs/')
    || p.startsWith('/specs/') || concrete.some((c) => matchTemplate(p, c) !== undefined));
}

interface Entry {
  name: string;
  spec: ServiceSpec;
  title: string;
  version: string;
  basePath: string;
  operations: number;
  yaml: Buffer;
  json: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export function frontDoor(opts: FrontDoorOptions): Handler {
  const names = opts.specs.map((s) => s.name);
  for (const spec of opts.specs) {
    const taken = frontDoorCollisions(spec, names);
    if (taken.length) {
      throw new Error(`service "${spec.name}": ${taken.join(', ')} belong to the front door (${FRONT_DOOR_PATHS.join(', ')}); set DOCS=false to give them to the service`);
    }
  }
  const entries = new Map<string, Entry>(opts.specs.map((spec) => [spec.name, {
    name: spec.name,
    spec,
    title: String(spec.doc.info?.title ?? spec.name),
    version: String(spec.doc.info?.version ?? ''),
    basePath: spec.basePath,
    operations: spec.operations().length,
    yaml: fs.readFileSync(spec.file),
    json: Buffer.from(`${JSON.stringify(spec.doc, null, 2)}\n`),
  }]));
  const base = (opts.baseUrl ?? '').replace(/\/+$/, '');
  let connect = "'self'";
  if (base) {
    try {
      const origin = new URL(base).origin;
      if (origin !== 'null') connect += ` ${origin}`;
    } catch {
      throw new Error(`front door: baseUrl must be an absolute URL, got "${opts.baseUrl}"`);
    }
  }
  const common = "base-uri 'none'; frame-ancestors 'none'; object-src 'none'";
  const landingCsp = `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; ${common}`;
  // Swagger UI sets style attributes and inline SVG images; scripts only from here; "try it" only to this deployment
  const docsCsp = `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; `
    + `font-src 'self' data:; connect-src ${connect}; form-action 'self'; ${common}`;
  const assetCache = new Map<string, Buffer>();

  function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}) {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Length', buf.length);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.end(req.method === 'HEAD' ? undefined : buf);
  }

  const problem = (req: IncomingMessage, res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}) =>
    send(req, res, status, 'application/problem+json', JSON.stringify({ type: 'about:blank', title, status, detail }), headers);

  const page = (title: string, csp: string, head: string, bodyAttrs: string, content: string) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<link rel="icon" type="image/png" href="${ASSET_PREFIX}favicon-32x32.png">
<link rel="stylesheet" href="${ASSET_PREFIX}front-door.css">
${head}</head>
<body${bodyAttrs}>
<div class="fd-bar"><a href="${base}/">Conformant</a><span class="fd-mode fd-mode-${opts.mode}" data-mode="${opts.mode}">${opts.mode}</span><span>${html(MODE_TEXT[opts.mode])}</span></div>
${content}
</body>
</html>
`;

  function landing(req: IncomingMessage, res: ServerResponse) {
    const list = [...entries.values()];
    const wantsJson = new Negotiator(req).mediaType(['text/html', 'application/json']) === 'application/json';
    if (wantsJson) {
      const body = {
        mode: opts.mode,
        services: list.map((e) => ({
          service: e.name, product: e.title, version: e.version, base_path: e.basePath, state: STATE[opts.mode], operations: e.operations,
          docs: `${base}/docs/${e.name}`, spec_yaml: `${base}/specs/${e.name}.yaml`, spec_json: `${base}/specs/${e.name}.json`,
        })),
      };
      return send(req, res, 200, 'application/json; charset=utf-8', JSON.stringify(body), { Vary: 'Accept' });
    }
    const rows = list.map((e) => `<tr data-service="${html(e.name)}">
<td><a class="fd-docs" href="${base}/docs/${html(e.name)}">${html(e.name)}</a></td>
<td>${html(e.title)} ${html(e.version)}</td>
<td><code class="fd-base">${html(e.basePath)}</code></td>
<td>${html(STATE[opts.mode])}, ${e.operations} operation${e.operations === 1 ? '' : 's'}</td>
<td><a href="${base}/docs/${html(e.name)}">reference</a> · <a href="${base}/specs/${html(e.name)}.yaml">YAML</a> · <a href="${base}/specs/${html(e.name)}.json">JSON</a></td>
</tr>`).join('\n');
    const body = page(`Conformant (${opts.mode})`, landingCsp, '', '', `<main>
<h1>Conformant: ${list.length} service${list.length === 1 ? '' : 's'} on this ${opts.mode}</h1>
<p>Each service answers under its base path exactly as its product does. Open a reference to read the contract and
try its operations against this ${opts.mode}; the specs are the source of truth.</p>
<table>
<thead><tr><th>service</th><th>product</th><th>base path</th><th>state</th><th>contract</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>Typed clients: <code>generated/&lt;service&gt;.ts</code> with openapi-fetch (<code>examples/</code> in the repository).</p>
</main>`);
    send(req, res, 200, 'text/html; charset=utf-8', body, { 'Content-Security-Policy': landingCsp, Vary: 'Accept' });
  }

  function docs(req: IncomingMessage, res: ServerResponse, e: Entry) {
    const head = `<link rel="stylesheet" href="${ASSET_PREFIX}swagger-ui.css">
<script src="${ASSET_PREFIX}swagger-ui-bundle.js" defer></script>
<script src="${ASSET_PREFIX}docs.js" defer></script>
`;
    const attrs = ` data-service="${html(e.name)}" data-mode="${opts.mode}" data-spec="${base}/specs/${html(e.name)}.json"`
      + (base ? ` data-server="${html(base)}"` : '');
    const body = page(`${e.title} ${e.version}: reference (${opts.mode})`, docsCsp, head, attrs,
      `<div class="fd-status" id="front-door-status" hidden></div>\n<div id="swagger-ui"></div>`);
    send(req, res, 200, 'text/html; charset=utf-8', body, { 'Content-Security-Policy': docsCsp });
  }

  function asset(req: IncomingMessage, res: ServerResponse, name: string) {
    const a = ASSETS[name];
    if (!a) return problem(req, res, 404, 'Not Found', `no asset ${name}`);
    let buf = assetCache.get(name);
    if (!buf) assetCache.set(name, (buf = fs.readFileSync(a.file)));
    res.setHeader('Cache-Control', 'public, max-age=3600');
    send(req, res, 200, a.type, buf);
  }

  return (req, res, next) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://front-door').pathname;
    } catch {
      return next();
    }
    const ours = pathname === '/' || pathname === '/docs' || pathname.startsWith('/docs/') || pathname.startsWith('/specs/');
    if (!ours) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return problem(req, res, 405, 'Method Not Allowed', `${pathname} answers GET and HEAD`, { Allow: 'GET, HEAD' });
    }
    if (pathname === '/') return landing(req, res);
    if (pathname === '/docs' || pathname === '/docs/') {
      res.setHeader('Location', `${base}/`);
      return send(req, res, 302, 'text/plain; charset=utf-8', 'see /\n');
    }
    if (pathname.startsWith(ASSET_PREFIX)) return asset(req, res, pathname.slice(ASSET_PREFIX.length));
    const doc = /^\/docs\/([^/]+)\/?$/.exec(pathname);
    const entry = doc && entries.get(doc[1]);
    if (entry) return docs(req, res, entry);
    const spec = /^\/specs\/([^/]+)\.(yaml|json)$/.exec(pathname);
    const specEntry = spec && entries.get(spec[1]);
    if (spec && specEntry) {
      return spec[2] === 'yaml'
        ? send(req, res, 200, 'application/yaml; charset=utf-8', specEntry.yaml)
        : send(req, res, 200, 'application/json; charset=utf-8', specEntry.json);
    }
    problem(req, res, 404, 'Not Found', `nothing at ${pathname}; the services are listed at ${base}/`);
  };
}
