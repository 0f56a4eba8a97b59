/**
 * The request pipeline, in the order every request takes:
 *
 *   match -> negotiate -> body -> authenticate -> validate -> handle -> respond
 *
 * Each stage is one file in lib/http/ and either adds to the exchange or throws an ApiError, which the owning
 * service renders in its product's error body. A request under no service's base path gets an RFC 9457 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUnavailable } from '../db';
import { ApiError } from '../errors';
import { logger } from '../logger';
import type { ErrorInfo, RenderedError } from '../service';
import { authenticate } from './authenticate';
import { body } from './body';
import type { AppContext, Exchange, Stage } from './exchange';
import { expiredError, handle, recordCall } from './handle';
import { match, pickService } from './match';
import { negotiate } from './negotiate';
import { clientAddressOf } from './client-address';
import { requestIdOf } from './request-id';
import { splitTarget } from './target';
import { endJson, respond } from './respond';
import { validate } from './validate';

export const STAGES: ReadonlyArray<readonly [string, Stage]> = [
  ['match', match],
  ['negotiate', negotiate],
  ['body', body],
  ['authenticate', authenticate],
  ['validate', validate],
  ['handle', handle],
  ['respond', respond],
];

/** how long the rest of a refused over-limit body is read and dropped before its connection is closed */
const DRAIN_MS = 5_000;

/** The failure in the service's own error body (not yet written). */
export function renderError(ex: Exchange, err: unknown): { error: ApiError; out: RenderedError } {
  let error: ApiError;
  if (err instanceof ApiError) error = err;
  else if (isUnavailable(err)) {
    ex.log.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'database unavailable');
    error = new ApiError('unavailable', 'Service temporarily unavailable');
  } else {
    ex.log.error({ err }, 'unhandled error');
    error = new ApiError('internal', 'Internal server error');
  }
  const info: ErrorInfo = {
    operationId: ex.operation?.operationId, principal: ex.principal, requestId: ex.requestId, locals: ex.locals,
    method: ex.req.method!, path: ex.path,
  };
  const out = ex.service!.def.renderError(error, info);
  ex.status = out.status;
  return { error, out };
}

/** Write a rendered failure; a 413 closes the connection once the answer is out. */
export function writeError(ex: Exchange, { error, out }: { error: ApiError; out: RenderedError }): void {
  const { req, res } = ex;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = out.status;
  for (const [k, v] of Object.entries({ ...(error.extra.headers ?? {}), ...(out.headers ?? {}) })) res.setHeader(k, v);
  res.setHeader('Content-Type', out.contentType ?? 'application/json; charset=utf-8');
  if (error.kind === 'payloadTooLarge' || !req.complete) {
    // The rest of the body is not wanted (too large, or the answer is given before it arrived: the deadline's 503 to a
    // client sending slowly), but a client may still be sending it. Closing the socket with its bytes unread would
    // reset the connection and lose this answer, and keeping it open would let Node answer the same request a second
    // time (its own 408 at REQUEST_TIMEOUT_MS), so: say Connection: close, and after the answer only half-close (Node
    // would destroy the socket) while what still arrives is read and dropped, for a bounded time.
    const socket = req.socket;
    res.setHeader('Connection', 'close');
    socket.destroySoon = function destroySoon(this: typeof socket) {
      this.end();
      return this;
    } as typeof socket.destroySoon;
    req.resume();
    res.on('finish', () => setTimeout(() => socket.destroy(), DRAIN_MS).unref());
  }
  endJson(req.method, res, out.body);
}

/** A failure: recorded (the service's audit) before it is answered; if that cannot be done, a 503 instead. */
async function fail(ex: Exchange, err: unknown): Promise<void> {
  let rendered = renderError(ex, err);
  try {
    await recordCall(ex, rendered.out.status);
  } catch (recordErr) {
    ex.log.error({ err: recordErr }, 'the call could not be recorded: answering 503');
    rendered = renderError(ex, new ApiError('unavailable', 'Service temporarily unavailable'));
  }
  writeError(ex, rendered);
}

/**
 * The stages, or a 503 once the request deadline has passed (unless a streamed reply is under way): the answer does
 * not wait for a database that stopped answering, and the unit of work, which checks `expired` before it commits,
 * can only roll back.
 */
function withinDeadline(ex: Exchange, work: Promise<void>): Promise<void> {
  const left = ex.app.requestDeadlineMs - (Date.now() - ex.startedAt.getTime());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (ex.streaming) return;
      ex.expired = true;
      work.catch(() => undefined); // it ends (rolled back) when it ends
      ex.onExpiry?.();
      reject(expiredError());
    }, Math.max(0, left));
    work.then(() => {
      clearTimeout(timer);
      resolve();
    }, (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export function pipeline(app: AppContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(req);
    const { path, query } = splitTarget(req.url);
    res.setHeader('X-Request-Id', requestId);
    // every answer: no content sniffing, and no cache keeps it (API answers carry accounts' data and credentials)
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    const started = process.hrtime.bigint();
    const clientAddress = clientAddressOf(req);
    const log = logger.child({ requestId, client: clientAddress });
    const service = pickService(app.services, path);
    if (!service) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/problem+json');
      endJson(req.method, res, { type: 'about:blank', title: 'Not Found', status: 404, detail: `No service serves ${path}` });
      log.info({ method: req.method, path, status: 404 }, 'request');
      return;
    }
    const ex: Exchange = {
      app, req, res, path, query, requestId, clientAddress, startedAt: new Date(), log, service,
      method: req.method === 'HEAD' ? 'get' : (req.method ?? 'GET').toLowerCase(),
      pathParams: {}, accepted: [], status: 500,
      locals: service.def.makeLocals?.({ method: req.method!, path, headers: req.headers }) ?? {},
    };
    try {
      await withinDeadline(ex, (async () => {
        for (const [, stage] of STAGES) {
          if (ex.expired) return; // answered 503 already: what is left would only be rolled back
          await stage(ex);
        }
      })());
    } catch (err) {
      await fail(ex, err);
    } finally {
      await ex.form?.cleanup();
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const operationId = ex.operation?.operationId;
      log.info({ method: req.method, path, operationId, status: ex.status, durationMs: Math.round(durationMs * 10) / 10 }, 'request');
    }
  };
}
