import { Model, DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare username: string;
  declare passwordHash: string;
  declare companyKey: string;
  declare roles: CreationOptional<string[]>;
  declare name: string | null;
  declare email: string | null;
  declare phone: string | null;
  declare timezone: CreationOptional<number>;
  declare tokenEpoch: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize) {
    User.init({
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      username: { type: DataTypes.STRING(256), allowNull: false, unique: true },
      passwordHash: { type: DataTypes.TEXT, allowNull: false },
      companyKey: { type: DataTypes.STRING(256), allowNull: false },
      roles: { type: DataTypes.ARRAY(DataTypes.TEXT), allowNull: false, defaultValue: ['USER'] },
      name: { type: DataTypes.STRING(256), allowNull: true },
      email: { type: DataTypes.STRING(256), allowNull: true },
      phone: { type: DataTypes.STRING(32), allowNull: true },
      timezone: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      tokenEpoch: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    }, { sequelize, schema: 'account', tableName: 'users', underscored: true });
  }
}
