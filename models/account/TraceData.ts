import { Model, DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';

export class TraceData extends Model<InferAttributes<TraceData>, InferCreationAttributes<TraceData>> {
  declare id: CreationOptional<string>;
  declare traceCode: string;
  declare flowType: 'INPUT' | 'OUTPUT';
  declare stage: number;
  declare username: string;
  declare companyKey: string;
  declare contentType: string;
  declare payload: Buffer;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize) {
    TraceData.init({
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      traceCode: { type: DataTypes.UUID, allowNull: false },
      flowType: { type: DataTypes.STRING(8), allowNull: false },
      stage: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      username: { type: DataTypes.STRING(256), allowNull: false },
      companyKey: { type: DataTypes.STRING(256), allowNull: false },
      contentType: { type: DataTypes.STRING(128), allowNull: false },
      payload: { type: DataTypes.BLOB, allowNull: false },
      createdAt: DataTypes.DATE,
    }, { sequelize, schema: 'account', tableName: 'trace_data', underscored: true, updatedAt: false });
  }
}
