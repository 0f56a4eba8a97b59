import { Model, DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';

export type DomainState = 'DRAFT' | 'ACTIVE' | 'BANNED';

export class Domain extends Model<InferAttributes<Domain>, InferCreationAttributes<Domain>> {
  declare id: CreationOptional<number>;
  declare uid: string;
  declare name: CreationOptional<string>;
  declare comment: CreationOptional<string>;
  declare state: CreationOptional<DomainState>;
  declare roles: CreationOptional<string[]>;
  declare tags: CreationOptional<string[]>;
  declare createdAt: CreationOptional<Date>;
  declare createdBy: CreationOptional<string>;
  declare updatedAt: CreationOptional<Date>;
  declare updatedBy: CreationOptional<string>;
  declare activeFrom: CreationOptional<Date>;
  declare activeTo: CreationOptional<Date>;

  static initModel(sequelize: Sequelize) {
    Domain.init({
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      uid: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(256), allowNull: false, defaultValue: '' },
      comment: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'ACTIVE' },
      roles: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      tags: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: [] },
      createdAt: DataTypes.DATE(3),
      createdBy: { type: DataTypes.STRING(129), allowNull: false, defaultValue: 'system' },
      updatedAt: DataTypes.DATE(3),
      updatedBy: { type: DataTypes.STRING(129), allowNull: false, defaultValue: 'system' },
      activeFrom: { type: DataTypes.DATE(3), allowNull: false, defaultValue: new Date('1900-01-01T00:00:00Z') },
      activeTo: { type: DataTypes.DATE(3), allowNull: false, defaultValue: new Date('3000-01-01T00:00:00Z') },
    }, { sequelize, schema: 'b2b', tableName: 'domains', underscored: true });
  }
}
