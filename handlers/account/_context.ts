/** The account service's handler typing: operations from generated/account.ts, the principal a User. */
import type { operations } from '../../generated/account';
import type { User } from '../../models/account';
import { handlerFactory, type BaseContext } from '../../lib/service';
import type { TraceLocals } from './_trace';

export interface AccountContext extends BaseContext<User> {
  locals: TraceLocals & { actor?: User };
}
/** for the five open operations the principal is absent */
export interface OpenAccountContext extends BaseContext<User | undefined> {
  locals: TraceLocals & { actor?: User };
}
export type AccountOperations = operations;
export const handler = handlerFactory<operations, AccountContext>();
export const openHandler = handlerFactory<operations, OpenAccountContext>();
