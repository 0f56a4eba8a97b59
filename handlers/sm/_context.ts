/** The sm service's handler typing: operations from generated/sm.ts, the principal a workspace user. */
import type { operations } from '../../generated/sm';
import { handlerFactory, type BaseContext } from '../../lib/service';

/** Who is calling: a user of a workspace (the tenant), found by its personal token. */
export interface SmPrincipal {
  userId: number;
  workspace: string;
  login: string;
}

export type SmContext = BaseContext<SmPrincipal>;
export type SmOperations = operations;
export const handler = handlerFactory<operations, SmContext>();
