/**
 * Stage 6, handle: the operation's handler runs in the request's unit of work (one transaction, the tenant of the
 * principal set for it, lib/db/unit-of-work.ts). Its reply is checked against the spec while the transaction is still
 * open, so a drift rolls back, and the service's record of the call (its audit) is written in the same transaction;
 * a streamed reply is written inside the transaction, a JSON one after the commit.
 *
 * A handler declared `databaseFree` (lib/db/unit-of-work.ts) gets no unit of work: no connection, no transaction,
 * and a query attempted from it throws. Its call is recorded afterwards on its own (one autocommitted statement),
 * still before the answer, so an answered call's record is as durable as with a unit of work.
 *
 * A principal served from a cache carries a guard (lib/db/unit-of-work.ts guardPrincipal): the unit of work's first
 * statement checks it, and a principal revoked meanwhile (a password change on any process) is answered 401.
 */
import { isDatabaseFree, PrincipalRevoked, principalGuard, withoutDatabase, withUnitOfWork } from '../db/unit-of-work';
import { ApiError } from '../errors';
import { logger } from '../logger';
import type { BaseContext } from '../service';
import type { Exchange, HandlerReply } from './exchange';
import { checkReply, isStreamed, respond } from './respond';

export async function handle(ex: Exchange): Promise<void> {
  const def = ex.service!.def;
  const operationId = ex.operation!.operationId!;
  const fn = def.handlers[operationId];
  const free = isDatabaseFree(fn);
  const run = async (transaction?: unknown) => {
    const call = () => fn(ex.input as never, context(ex, operationId, transaction) as never);
    ex.reply = (await (free ? withoutDatabase(operationId, call) : call())) as HandlerReply;
    ex.status = ex.reply.status;
    checkReply(ex);
    await recordCall(ex, ex.reply.status); // without a unit of work: one statement of its own, committed before the answer
    if (ex.expired) throw expiredError(); // answered 503 already: never commit late
    if (isStreamed(ex.reply)) {
      ex.streaming = true; // from here the stream's own limits apply, not the deadline
      await respond(ex);
    }
  };
  const sequelize = ex.app.sequelize;
  if (!sequelize || free || def.unitOfWork === false) return run();
  const tenant = ex.principal === undefined ? null : (def.tenantOf?.(ex.principal) ?? null);
  const work = withUnitOfWork(sequelize, { tenant, guard: principalGuard(ex.principal) }, (uow) => {
    // past the deadline the database is not answering: drop the connection, so the transaction can only roll back
    const conn = (uow.transaction as unknown as { connection?: { connection?: { stream?: { destroy(): void } } } }).connection;
    ex.onExpiry = () => conn?.connection?.stream?.destroy();
    return run(uow.transaction);
  });
  try {
    await work;
  } catch (err) {
    ex.recorded = false; // rolled back with the work: the failure is recorded instead
    if (err instanceof PrincipalRevoked) {
      // a cached principal whose credentials changed before this request's work began: as if it had never authenticated
      ex.principal = undefined;
      throw new ApiError('unauthorized', 'Invalid or expired token');
    }
    throw err;
  }
}

function context(ex: Exchange, operationId: string, transaction?: unknown): BaseContext<unknown> {
  let log: BaseContext<unknown>['log'] | undefined;
  return {
    principal: ex.principal,
    requestId: ex.requestId,
    operationId,
    clientAddress: ex.clientAddress,
    // made when a handler first logs: most never do, and a pino child per request shows in the profile
    get log() { return (log ??= ex.log.child({ operationId })); },
    startedAt: ex.startedAt,
    locals: ex.locals,
    transaction,
  };
}

export const expiredError = () => new ApiError('unavailable', 'The request took too long; nothing was changed');

/** The service's record of the call (its audit), once per request. */
export async function recordCall(ex: Exchange, status: number): Promise<void> {
  const fn = ex.service?.def.recordCall;
  const operationId = ex.operation?.operationId;
  if (!fn || !operationId || ex.recorded) return;
  const durationMs = Date.now() - ex.startedAt.getTime();
  await fn({ operationId, principal: ex.principal, status, startedAt: ex.startedAt, durationMs, locals: ex.locals });
  ex.recorded = true; // only once it is written: a failed record is tried again as the failure's (then a 503)
}
