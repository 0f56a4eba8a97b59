/** The b2b users service (Avtocod B2B API) as the kernel loads it: models, the AR-REST token scheme, event bodies. */
import type { ServiceDefinition } from '../../lib/service';
import { initB2bModels } from '../../models/b2b';
import { handlers } from './index';
import { renderB2bError } from './_events';
import { ArRestStrategy } from './_strategy';

const service: ServiceDefinition = {
  name: 'b2b',
  prefix: '/b2b/api/v1',
  handlers,
  init: (sequelize) => initB2bModels(sequelize),
  strategies: () => ({ ArRest: new ArRestStrategy() }),
  renderError: renderB2bError,
};
export default service;
