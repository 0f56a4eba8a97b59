/**
 * Compile-time checks of the b2b handler registry, run by `npm run typecheck`: each @ts-expect-error must stay an
 * error, so a registry type that stopped catching a missing or extra handler fails the build.
 */
import type { HandlerMap } from '../../lib/service';
import type { B2bContext, B2bOperations } from '../../handlers/b2b/_context';
import { handlers } from '../../handlers/b2b';

const { dev_ping: _removed, ...withoutPing } = handlers;

// @ts-expect-error a registry without the `dev_ping` handler does not compile
export const missing: HandlerMap<B2bOperations, B2bContext> = withoutPing;

export const extra: HandlerMap<B2bOperations, B2bContext> = {
  ...handlers,
  // @ts-expect-error a handler for an operation the spec does not have does not compile
  delete_domain: handlers.dev_ping,
};

// @ts-expect-error a handler must answer a documented status
export const wrongStatus: HandlerMap<B2bOperations, B2bContext>['dev_ping'] = async () => ({ status: 201, body: { value: '', in: 0, out: 0, delay: 0 } });

// @ts-expect-error an upsert answers one `true` per item, never `false`
export const wrongBody: HandlerMap<B2bOperations, B2bContext>['upsert_groups'] = async () => ({ status: 200, body: { state: 'ok', size: 1, stamp: '', data: [false] } });
