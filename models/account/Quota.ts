import { Model, DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';

export class Quota extends Model<InferAttributes<Quota>, InferCreationAttributes<Quota>> {
  declare id: CreationOptional<number>;
  declare username: string;
  declare service: string;
  declare methodGroup: string;
  declare pointsPerRequest: number;
  declare pointsPerDay: number;
  declare pointsPerDateWindow: number | null;
  declare maxConcurrentExecution: number | null;

  static initModel(sequelize: Sequelize) {
    Quota.init({
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      username: { type: DataTypes.STRING(256), allowNull: false },
      service: { type: DataTypes.STRING(32), allowNull: false },
      methodGroup: { type: DataTypes.STRING(32), allowNull: false },
      pointsPerRequest: { type: DataTypes.INTEGER, allowNull: false },
      pointsPerDay: { type: DataTypes.INTEGER, allowNull: false },
      pointsPerDateWindow: { type: DataTypes.INTEGER, allowNull: true },
      maxConcurrentExecution: { type: DataTypes.INTEGER, allowNull: true },
    }, { sequelize, schema: 'account', tableName: 'quotas', underscored: true, timestamps: false });
  }
}
