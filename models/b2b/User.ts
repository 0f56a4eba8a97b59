import {
  Model, DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, type NonAttribute, type Sequelize,
} from 'sequelize';
import type { Domain } from './Domain';
import type { Group } from './Group';

export type UserState = 'ACTIVATION_REQUIRED' | 'ACTIVE' | 'BANNED';

/**
 * uid is `name@domain`; passHashEnc is the AES-256-GCM ciphertext of the pass_hash (handlers/b2b/_crypto.ts), null for
 * a user created without one (it cannot authenticate until one is set).
 */
export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare uid: string;
  declare domainUid: string;
  declare login: string;
  declare name: CreationOptional<string>;
  declare comment: CreationOptional<string>;
  declare email: CreationOptional<string>;
  declare contacts: CreationOptional<string>;
  declare state: CreationOptional<UserState>;
  declare roles: CreationOptional<string[]>;
  declare tags: CreationOptional<string[]>;
  declare data: CreationOptional<Record<string, unknown>>;
  declare passHashEnc: string | null;
  declare createdAt: CreationOptional<Date>;
  declare createdBy: CreationOptional<string>;
  declare updatedAt: CreationOptional<Date>;
  declare updatedBy: CreationOptional<string>;
  declare activeFrom: CreationOptional<Date>;
  declare activeTo: CreationOptional<Date>;

  declare domain?: NonAttribute<Domain>;
  declare groups?: NonAttribute<Group[]>;

  static initModel(sequelize: Sequelize) {
    User.init({
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      uid: { type: DataTypes.STRING(129), allowNull: false, unique: true },
      domainUid: { type: DataTypes.STRING(64), allowNull: false },
      login: { type: DataTypes.STRING(129), allowNull: false },
      name: { type: DataTypes.STRING(256), allowNull: false, defaultValue: '' },
      comment: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      email: { type: DataTypes.STRING(256), allowNull: false, defaultValue: '' },
      contacts: { type: DataTypes.STRING(1024), allowNull: false, defaultValue: '' },
      state: { type: DataTypes.STRING(24), allowNull: false, defaultValue: 'ACTIVE' },
      roles: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      tags: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      data: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
      passHashEnc: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DataTypes.DATE(3),
      createdBy: { type: DataTypes.STRING(129), allowNull: false, defaultValue: 'system' },
      updatedAt: DataTypes.DATE(3),
      updatedBy: { type: DataTypes.STRING(129), allowNull: false, defaultValue: 'system' },
      activeFrom: { type: DataTypes.DATE(3), allowNull: false, defaultValue: new Date('1900-01-01T00:00:00Z') },
      activeTo: { type: DataTypes.DATE(3), allowNull: false, defaultValue: new Date('3000-01-01T00:00:00Z') },
    }, { sequelize, schema: 'b2b', tableName: 'users', underscored: true });
  }
}
