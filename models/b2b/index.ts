/** The b2b service's models, bound to one Sequelize instance, with their associations. Tables live in the `b2b` schema. */
import type { Sequelize } from 'sequelize';
import { Domain } from './Domain';
import { Group } from './Group';
import { User } from './User';
import { UserGroup } from './UserGroup';

export { Domain, Group, User, UserGroup };
export type { DomainState } from './Domain';
export type { UserState } from './User';

let bound: Sequelize | undefined;
export function initB2bModels(sequelize: Sequelize): void {
  if (bound === sequelize) return;
  Domain.initModel(sequelize);
  Group.initModel(sequelize);
  User.initModel(sequelize);
  UserGroup.initModel(sequelize);
  User.belongsTo(Domain, { as: 'domain', foreignKey: 'domainUid', targetKey: 'uid', constraints: false });
  Group.belongsTo(Domain, { as: 'domain', foreignKey: 'domainUid', targetKey: 'uid', constraints: false });
  User.belongsToMany(Group, { as: 'groups', through: UserGroup, foreignKey: 'userId', otherKey: 'groupId', constraints: false });
  Group.belongsToMany(User, { as: 'users', through: UserGroup, foreignKey: 'groupId', otherKey: 'userId', constraints: false });
  bound = sequelize;
}
export const b2bDb = (): Sequelize => {
  if (!bound) throw new Error('b2b models are not initialised');
  return bound;
};
