/**
 * The sm service's models (schema `sm`). Reads and writes over the graph, the rights and the effective sets are set
 * queries (handlers/sm/_graph.ts, _modes.ts); these models carry the plain rows: users, tokens, CIs, modes.
 */
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

export class SmUser extends Model<InferAttributes<SmUser>, InferCreationAttributes<SmUser>> {
  declare id: CreationOptional<number>;
  declare workspace: string;
  declare login: string;
  declare name: CreationOptional<string>;
  declare createdAt: CreationOptional<Date>;
}

export class SmToken extends Model<InferAttributes<SmToken>, InferCreationAttributes<SmToken>> {
  declare id: CreationOptional<number>;
  declare workspace: string;
  declare userId: number;
  /** sha-256 of the token: the token itself is never stored */
  declare tokenHash: Buffer;
  declare createdAt: CreationOptional<Date>;
  declare revokedAt: Date | null;
}

export class Ci extends Model<InferAttributes<Ci>, InferCreationAttributes<Ci>> {
  declare workspace: string;
  declare id: number;
  declare name: string;
  declare type: string;
  declare labels: Record<string, string>;
  declare updatedAt: CreationOptional<Date>;
}

export class Mode extends Model<InferAttributes<Mode>, InferCreationAttributes<Mode>> {
  declare id: CreationOptional<number>;
  declare workspace: string;
  declare title: string | null;
  declare startMs: number;
  declare startOffset: number;
  declare endMs: number;
  declare endOffset: number;
  declare labels: Record<string, string>;
  declare cancelledMs: number | null;
  declare endedEarly: CreationOptional<boolean>;
  declare createdBy: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedBy: string;
  declare updatedAt: CreationOptional<Date>;
}

/** bigint columns read as numbers (every id and instant here is below 2^53) */
const int8 = (name: string) => ({
  type: DataTypes.BIGINT,
  get(this: Model) {
    const v = this.getDataValue(name as never) as unknown;
    return v === null || v === undefined ? v : Number(v);
  },
});

let bound: Sequelize | undefined;
export function initSmModels(sequelize: Sequelize): void {
  if (bound === sequelize) return;
  const opts = { sequelize, schema: 'sm', underscored: true };
  SmUser.init({
    id: { ...int8('id'), primaryKey: true, autoIncrement: true },
    workspace: { type: DataTypes.TEXT, allowNull: false },
    login: { type: DataTypes.TEXT, allowNull: false },
    name: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    createdAt: DataTypes.DATE,
  }, { ...opts, tableName: 'users', updatedAt: false });
  SmToken.init({
    id: { ...int8('id'), primaryKey: true, autoIncrement: true },
    workspace: { type: DataTypes.TEXT, allowNull: false },
    userId: { ...int8('userId'), allowNull: false },
    tokenHash: { type: DataTypes.BLOB, allowNull: false },
    createdAt: DataTypes.DATE,
    revokedAt: { type: DataTypes.DATE, allowNull: true },
  }, { ...opts, tableName: 'tokens', updatedAt: false });
  Ci.init({
    workspace: { type: DataTypes.TEXT, primaryKey: true },
    id: { ...int8('id'), primaryKey: true },
    name: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    type: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    labels: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    updatedAt: DataTypes.DATE,
  }, { ...opts, tableName: 'cis', createdAt: false });
  Mode.init({
    id: { ...int8('id'), primaryKey: true, autoIncrement: true },
    workspace: { type: DataTypes.TEXT, allowNull: false },
    title: { type: DataTypes.TEXT, allowNull: true },
    startMs: { ...int8('startMs'), allowNull: false },
    startOffset: { type: DataTypes.INTEGER, allowNull: false },
    endMs: { ...int8('endMs'), allowNull: false },
    endOffset: { type: DataTypes.INTEGER, allowNull: false },
    labels: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    cancelledMs: { ...int8('cancelledMs'), allowNull: true },
    endedEarly: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    createdBy: { type: DataTypes.TEXT, allowNull: false },
    createdAt: DataTypes.DATE,
    updatedBy: { type: DataTypes.TEXT, allowNull: false },
    updatedAt: DataTypes.DATE,
  }, { ...opts, tableName: 'modes' });
  SmToken.belongsTo(SmUser, { as: 'user', foreignKey: 'userId', constraints: false });
  bound = sequelize;
}

export const smDb = (): Sequelize => {
  if (!bound) throw new Error('sm models are not initialised');
  return bound;
};
