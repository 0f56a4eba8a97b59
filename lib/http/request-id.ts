/**
 * Each request's id (the client's X-Request-Id when it is a plain token, else a new UUID), kept beside the request so
 * that code which sees only the request (a passport strategy logging a refusal) can name it.
 */
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const ids = new WeakMap<IncomingMessage, string>();

/** The request's id, assigned at its first call. */
export function requestIdOf(req: IncomingMessage): string {
  let id = ids.get(req);
  if (id === undefined) {
    const sent = req.headers['x-request-id'];
    id = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
    ids.set(req, id);
  }
  return id;
}
