/**
 * Requests Node's HTTP parser refuses before the app sees them (a NUL or other forbidden byte in a header, headers too
 * large, a client too slow to send them): answered, where the socket still can be, by the owning service in its own
 * error body (found from the request line in the bytes received), otherwise as RFC 9457 problem details; then closed.
 */
import type { Socket } from 'node:net';
import { ApiError, type ErrorKind } from '../errors';
import { logger } from '../logger';
import type { MountedService } from './exchange';
import { pickService } from './match';

/** how long a refused connection's remaining bytes are read and dropped before it is closed */
const DRAIN_MS = 5_000;

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

function classify(code: string | undefined): { status: number; kind: ErrorKind; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, kind: 'validation', message: 'Request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, kind: 'validation', message: 'The request was not received in time' };
  return { status: 400, kind: 'validation', message: 'Malformed request: a header holds a character HTTP does not allow (such as U+0000)' };
}

export function clientErrorHandler(services: MountedService[]) {
  return (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, kind, message } = classify(err.code);
    const line = (err.rawPacket ?? Buffer.alloc(0)).subarray(0, 8192).toString('latin1').split('\r\n')[0] ?? '';
    const [method = 'GET', target = '/'] = line.split(' ');
    let path = '/';
    try {
      path = new URL(target, 'http://x').pathname;
    } catch { /* an unreadable target: no service */ }
    const service = pickService(services, path);
    let body: string;
    let contentType = 'application/problem+json';
    let finalStatus = status;
    if (service) {
      // the service's own locals, as the pipeline makes them, so its error body is whole (a trace code, say)
      const locals = service.def.makeLocals?.({ method, path, headers: {} }) ?? {};
      const out = service.def.renderError(new ApiError(kind, message), { requestId: '', locals, method, path });
      body = JSON.stringify(out.body);
      contentType = out.contentType ?? 'application/json; charset=utf-8';
      finalStatus = status === 400 ? out.status : status;
    } else {
      body = JSON.stringify({ type: 'about:blank', title: REASONS[status] ?? 'Bad Request', status, detail: message });
    }
    logger.info({ code: err.code, method, path, status: finalStatus }, 'request refused by the HTTP parser');
    socket.end(`HTTP/1.1 ${finalStatus} ${REASONS[finalStatus] ?? 'Bad Request'}\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n` +
      `Connection: close\r\n\r\n${body}`);
    // The client may still be sending (the rest of huge headers, a body): closing with its bytes unread would reset
    // the connection and lose this answer. Only half-closed above; what still arrives is read and dropped, for a
    // bounded time, then the socket goes.
    socket.on('error', () => undefined);
    socket.on('end', () => socket.destroy());
    socket.resume();
    setTimeout(() => socket.destroy(), DRAIN_MS).unref();
  };
}
