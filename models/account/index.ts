/** The account service's models, bound to one Sequelize instance. Tables live in the `account` schema. */
import type { Sequelize } from 'sequelize';
import { User } from './User';
import { AuditAction } from './AuditAction';
import { TraceData } from './TraceData';
import { Quota } from './Quota';

export { User, AuditAction, TraceData, Quota };

let bound: Sequelize | undefined;
export function initAccountModels(sequelize: Sequelize): void {
  if (bound === sequelize) return;
  User.initModel(sequelize);
  AuditAction.initModel(sequelize);
  TraceData.initModel(sequelize);
  Quota.initModel(sequelize);
  bound = sequelize;
}
export const accountDb = (): Sequelize => {
  if (!bound) throw new Error('account models are not initialised');
  return bound;
};
