/**
 * The kernel's own routes, outside every service: `GET /livez` (the process answers) and `GET /readyz` (it takes new
 * work: 200 `{"status":"ready"}`, or 503 `{"status":"draining"}` from the moment a shutdown begins, so a load
 * balancer stops sending before the listener closes). While draining every answer carries `Connection: close`.
 */
import type { NextFunction, Request, Response } from 'express';

export interface Lifecycle {
  draining: boolean;
}

export const KERNEL_PATHS = ['/livez', '/readyz'];

export function health(lifecycle: Lifecycle) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!KERNEL_PATHS.includes(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const ready = req.path === '/livez' || !lifecycle.draining;
    res.status(ready ? 200 : 503).setHeader('Cache-Control', 'no-store');
    res.json({ status: req.path === '/livez' ? 'live' : ready ? 'ready' : 'draining' });
  };
}
