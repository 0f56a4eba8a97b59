/**
 * Compile-time checks of the handler registry, run by `npm run typecheck`: each @ts-expect-error must stay an error,
 * so a registry type that stopped catching a missing or extra handler fails the build.
 */
import type { HandlerMap } from '../../lib/service';
import type { AccountContext, AccountOperations } from '../../handlers/account/_context';
import { handlers } from '../../handlers/account';

const { file: _removed, ...withoutFile } = handlers;

// @ts-expect-error a registry without the `file` handler does not compile
export const missing: HandlerMap<AccountOperations, AccountContext> = withoutFile;

export const extra: HandlerMap<AccountOperations, AccountContext> = {
  ...handlers,
  // @ts-expect-error a handler for an operation the spec does not have does not compile
  not_in_spec: handlers.file,
};

// @ts-expect-error a handler must answer a documented status
export const wrongStatus: HandlerMap<AccountOperations, AccountContext>['version'] = async () => ({ status: 299, body: { major: 1, minor: 0, build: 'x' } });
