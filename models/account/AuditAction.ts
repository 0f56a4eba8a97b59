import { Model, DataTypes, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';

export class AuditAction extends Model<InferAttributes<AuditAction>, InferCreationAttributes<AuditAction>> {
  declare id: CreationOptional<string>;
  declare username: string;
  declare companyKey: string;
  declare traceCode: string;
  declare client: string;
  declare server: string;
  declare service: string;
  declare operation: string;
  declare time: Date;
  declare tzOffsetMinutes: CreationOptional<number>;
  declare methodGroup: string;
  declare pointsCount: CreationOptional<number>;
  declare duration: CreationOptional<string>;
  declare durationMs: CreationOptional<number>;

  static initModel(sequelize: Sequelize) {
    AuditAction.init({
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      username: { type: DataTypes.STRING(256), allowNull: false },
      companyKey: { type: DataTypes.STRING(256), allowNull: false },
      traceCode: { type: DataTypes.UUID, allowNull: false },
      client: { type: DataTypes.STRING(256), allowNull: false },
      server: { type: DataTypes.STRING(256), allowNull: false },
      service: { type: DataTypes.STRING(32), allowNull: false },
      operation: { type: DataTypes.STRING(256), allowNull: false },
      time: { type: DataTypes.DATE, allowNull: false },
      tzOffsetMinutes: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      methodGroup: { type: DataTypes.STRING(32), allowNull: false },
      pointsCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      duration: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'PT0S' },
      durationMs: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
    }, { sequelize, schema: 'account', tableName: 'audit_actions', underscored: true, timestamps: false });
  }
}
