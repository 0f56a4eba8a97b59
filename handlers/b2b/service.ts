/** The b2b users service (Avtocod B2B API) as the kernel loads it: models, the AR-REST token scheme, event bodies. */
import { defineService } from '../../lib/service';
import type { B2bPrincipal } from './_context';
import { initB2bModels } from '../../models/b2b';
import { handlers } from './index';
import { renderB2bError } from './_events';
import { ArRestStrategy } from './_strategy';
import { b2bSettings } from './_config';

const service = defineService<B2bPrincipal>({
  name: 'b2b',
  handlers,
  init: (sequelize) => initB2bModels(sequelize),
  /** a caller's rows are its domain's */
  tenantOf: (principal) => principal.domain.uid,
  strategies: () => ({ ArRest: new ArRestStrategy() }),
  renderError: renderB2bError,
  settings: b2bSettings,
});
export default service;
