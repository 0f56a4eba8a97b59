/** operationId -> handler for spec/account.yaml; the HandlerMap type makes a missing or extra entry a compile error. */
import type { HandlerMap } from '../../lib/service';
import type { AccountContext, AccountOperations } from './_context';
import run_token_generation from './run_token_generation';
import run_token_validation from './run_token_validation';
import change_password from './change_password';
import read_info from './read_info';
import update_info from './update_info';
import generate_statistics from './generate_statistics';
import read_report from './read_report';
import read_audit from './read_audit';
import read_data from './read_data';
import read_quota from './read_quota';
import check from './check';
import version from './version';
import file from './file';

export const handlers: HandlerMap<AccountOperations, AccountContext> = {
  run_token_generation,
  run_token_validation,
  change_password,
  read_info,
  update_info,
  generate_statistics,
  read_report,
  read_audit,
  read_data,
  read_quota,
  check,
  version,
  file,
};
