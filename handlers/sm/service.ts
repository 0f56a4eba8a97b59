/** The service-modes service (monq 8.3 rsm-maintenance) as the kernel loads it: personal-token bearer, product bodies. */
import { HeaderBearerStrategy } from '../../lib/auth/bearer';
import { ApiError } from '../../lib/errors';
import { defineService } from '../../lib/service';
import { initSmModels } from '../../models/sm';
import type { SmPrincipal } from './_context';
import { MSG, renderSmError } from './_errors';
import { handlers } from './index';
import { principalOfToken } from './_tokens';

const service = defineService<SmPrincipal>({
  name: 'sm',
  handlers,
  init: (sequelize) => initSmModels(sequelize),
  /** a caller's rows are its workspace's */
  tenantOf: (principal) => principal.workspace,
  strategies: () => ({
    // the Authorization header only: never `?access_token=` nor a body field
    PersonalToken: new HeaderBearerStrategy(async (token) => (await principalOfToken(token)) ?? new ApiError('unauthorized', MSG.unauthorized)),
  }),
  renderError: renderSmError,
});
export default service;
