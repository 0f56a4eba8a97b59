/**
 * The kernel's own routes, outside every service: `GET /livez` (the process answers) and `GET /readyz` (it takes new
 * work: 200 `{"status":"ready"}`, or 503 `{"status":"draining"}` from the moment a shutdown begins, so a load
 * balancer stops sending before the listener closes). While draining every answer carries `Connection: close`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Lifecycle {
  draining: boolean;
}

export const KERNEL_PATHS = ['/livez', '/readyz'];

export function health(lifecycle: Lifecycle) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!KERNEL_PATHS.includes(path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const ready = path === '/livez' || !lifecycle.draining;
    res.statusCode = ready ? 200 : 503;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ status: path === '/livez' ? 'live' : ready ? 'ready' : 'draining' }));
  };
}
