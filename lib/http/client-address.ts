/**
 * The address a request came from: the socket's peer, or, only when TRUST_PROXY is set (the server stands behind a
 * proxy the operator controls), the first hop of X-Forwarded-For. Used for per-source limits and the request log.
 */
import type { IncomingMessage } from 'node:http';
import { config } from '../config';

export function clientAddressOf(req: IncomingMessage): string {
  if (config.trustProxy) {
    const fwd = req.headers['x-forwarded-for'];
    const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
    if (first && /^[0-9A-Fa-f:.]{2,45}$/.test(first)) return first;
  }
  const addr = req.socket?.remoteAddress ?? 'unknown';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
