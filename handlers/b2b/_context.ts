/** The b2b service's handler typing: operations from generated/b2b.ts, the principal an authenticated user. */
import type { operations } from '../../generated/b2b';
import { handlerFactory, type BaseContext } from '../../lib/service';
import type { Domain, Group, User } from '../../models/b2b';

/** Who is calling: the user with its domain and groups as loaded at authentication, and its effective roles. */
export interface B2bPrincipal {
  user: User;
  domain: Domain;
  groups: Group[];
  /** the user's own roles, those of its groups active now, and its domain's */
  roles: string[];
}

export type B2bContext = BaseContext<B2bPrincipal>;
/** for the two open dev operations the principal is absent */
export type OpenB2bContext = BaseContext<B2bPrincipal | undefined>;
export type B2bOperations = operations;
export const handler = handlerFactory<operations, B2bContext>();
export const openHandler = handlerFactory<operations, OpenB2bContext>();
