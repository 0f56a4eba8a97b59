/** operationId -> handler for spec/b2b.yaml; the HandlerMap type makes a missing or extra entry a compile error. */
import type { HandlerMap } from '../../lib/service';
import type { B2bContext, B2bOperations } from './_context';
import read_user from './read_user';
import upsert_users from './upsert_users';
import upsert_groups from './upsert_groups';
import dev_token from './dev_token';
import dev_ping from './dev_ping';

export const handlers: HandlerMap<B2bOperations, B2bContext> = {
  read_user,
  upsert_users,
  upsert_groups,
  dev_token,
  dev_ping,
};
