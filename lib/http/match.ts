/**
 * Stage 1, match: the service by the longest base path, then the operation through openapi-backend's router. An
 * unknown path is the service's 404, a known path with another method its 405 with `Allow` (HEAD wherever GET is).
 */
import { ApiError } from '../errors';
import type { Exchange, MountedService } from './exchange';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** The service whose base path is the longest prefix of the path, if any. */
export function pickService(services: MountedService[], path: string): MountedService | undefined {
  let best: MountedService | undefined;
  for (const s of services) {
    const base = s.basePath === '/' ? '' : s.basePath;
    if ((path === base || path.startsWith(`${base}/`)) && (!best || base.length > best.basePath.length)) best = s;
  }
  return best;
}

function operationAt(svc: MountedService, method: string, path: string) {
  try {
    const op = svc.api.router.matchOperation({ method, path, headers: {} }, false);
    return op && op.method === method ? op : undefined;
  } catch {
    return undefined;
  }
}

/** each service's operations on literal (template-free) paths, by path: looked up on every request */
const literalPaths = new WeakMap<MountedService, Map<string, ReturnType<MountedService['spec']['operations']>>>();
function literalAt(svc: MountedService, path: string) {
  let byPath = literalPaths.get(svc);
  if (!byPath) {
    byPath = new Map();
    for (const o of svc.spec.operations()) {
      if (!o.path.includes('{')) byPath.set(o.path, [...(byPath.get(o.path) ?? []), o]);
    }
    literalPaths.set(svc, byPath);
  }
  return byPath.get(path) ?? [];
}

export function match(ex: Exchange): void {
  const svc = ex.service!;
  const path = ex.path;
  let op = operationAt(svc, ex.method, path);
  // a literal path owns its URL: another method on it is its 405, never a templated path's operation (OpenAPI matching)
  const literal = literalAt(svc, path);
  if (op && literal.length && op.path !== path) op = undefined;
  if (!op) {
    const allow = literal.length
      ? METHODS.filter((m) => literal.some((o) => o.method === m)).map((m) => m.toUpperCase())
      : METHODS.filter((m) => operationAt(svc, m, path)).map((m) => m.toUpperCase());
    if (!allow.length) throw new ApiError('routeNotFound', `No route ${ex.req.method} ${path}`);
    if (allow.includes('GET') && !allow.includes('HEAD')) allow.splice(allow.indexOf('GET') + 1, 0, 'HEAD');
    throw new ApiError('methodNotAllowed', `Method ${ex.req.method} is not allowed here`, { headers: { Allow: allow.join(', ') } });
  }
  ex.operation = op;
  ex.info = svc.spec.operation(op.operationId!);
  if (!ex.info) throw new Error(`operation ${op.operationId} is not in the spec module's view of ${svc.def.name}`);
  ex.pathParams = pathParams(ex.info.path, path);
}

/** Path parameters by template, percent-decoded (an undecodable value is kept as sent, for the validator to judge). */
export function pathParams(template: string, actual: string): Record<string, string> {
  const names: string[] = [];
  const re = new RegExp(`^${template.split(/(\{[^}]+\})/).map((part) => {
    const m = /^\{([^}]+)\}$/.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(m[1]);
    return '([^/]+)';
  }).join('')}/?$`);
  const hit = re.exec(actual);
  const out: Record<string, string> = {};
  names.forEach((n, i) => {
    const raw = hit?.[i + 1] ?? '';
    try {
      out[n] = decodeURIComponent(raw);
    } catch {
      out[n] = raw;
    }
  });
  return out;
}
