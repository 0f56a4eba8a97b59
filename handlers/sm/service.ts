/** The service-modes service (monq 8.3 rsm-maintenance) as the kernel loads it: personal-token bearer, product bodies. */
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { ApiError } from '../../lib/errors';
import type { ServiceDefinition } from '../../lib/service';
import { initSmModels } from '../../models/sm';
import type { SmPrincipal } from './_context';
import { MSG, renderSmError } from './_errors';
import { handlers } from './index';
import { principalOfToken } from './_tokens';

const service: ServiceDefinition = {
  name: 'sm',
  handlers,
  init: (sequelize) => initSmModels(sequelize),
  /** a caller's rows are its workspace's */
  tenantOf: (principal) => (principal as SmPrincipal).workspace,
  strategies: () => ({
    PersonalToken: new BearerStrategy((token, done) => {
      principalOfToken(token).then(
        (p) => (p ? done(null, p) : done(null, false, new ApiError('unauthorized', MSG.unauthorized) as never)),
        (err) => done(err),
      );
    }),
  }),
  renderError: renderSmError,
};
export default service;
