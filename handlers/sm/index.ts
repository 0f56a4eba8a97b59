/** operationId -> handler for spec/sm.yaml; the HandlerMap type makes a missing or extra entry a compile error. */
import type { HandlerMap } from '../../lib/service';
import type { SmContext, SmOperations } from './_context';
import list_modes from './list_modes';
import read_mode from './read_mode';
import filter_modes from './filter_modes';
import create_mode from './create_mode';
import replace_mode from './replace_mode';
import update_mode from './update_mode';
import read_mode_history from './read_mode_history';
import read_ci_maintenance from './read_ci_maintenance';

export const handlers: HandlerMap<SmOperations, SmContext> = {
  list_modes,
  read_mode,
  filter_modes,
  create_mode,
  replace_mode,
  update_mode,
  read_mode_history,
  read_ci_maintenance,
};
