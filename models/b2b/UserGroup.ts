import { Model, DataTypes, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

/** Membership of a user in a group. */
export class UserGroup extends Model<InferAttributes<UserGroup>, InferCreationAttributes<UserGroup>> {
  declare userId: number;
  declare groupId: number;

  static initModel(sequelize: Sequelize) {
    UserGroup.init({
      userId: { type: DataTypes.INTEGER, primaryKey: true },
      groupId: { type: DataTypes.INTEGER, primaryKey: true },
    }, { sequelize, schema: 'b2b', tableName: 'user_groups', underscored: true, timestamps: false });
  }
}
