/**
 * The unit of work: one transaction per request, with the tenant set for it, and hooks that run after it commits.
 *
 * Every Sequelize query made inside `withUnitOfWork` joins its transaction without being handed it: Sequelize 6's CLS
 * support (`Sequelize.useCLS`) is pointed at a small namespace over node's AsyncLocalStorage, installed when this
 * module is first imported. Sequelize reads the ambient transaction with `get('transaction')` before each model call
 * and query, opens a scope with `run(fn)` for each managed `sequelize.transaction(cb)` and `set('transaction', t)`s
 * there, and clears it after commit or rollback; `bind` is only checked for.
 *
 * A managed `sequelize.transaction(cb)` called inside a unit of work is NOT a savepoint of it: Sequelize 6 opens a
 * second transaction on another connection (neither tenant role nor tenant setting, its own commit). Code that may
 * run inside a unit of work and needs its own all-or-none block calls `savepoint(sequelize, cb)` instead. The
 * namespace logs an error when such an escaping transaction starts, so the mistake shows in the logs.
 *
 * Tenant: with `scope.tenant` a string, the transaction runs as the non-superuser TENANT_ROLE with `app.tenant` set,
 * so the row-level security policies (lib/db/rls.ts) confine it to that tenant. With `tenant: null` no role is
 * switched: the work runs as the connecting role, unscoped. That is for operations whose caller has no tenant yet,
 * such as a login that looks a user up across tenants, or an authentication that finds the caller's tenant.
 * The role switch guards against the application's own mistakes (a query without its tenant filter), not against SQL
 * an attacker could inject: `RESET ROLE` would return to the session role.
 *
 * Sequelize's CLS is process-wide: a unit of work opened on one Sequelize instance is ambient for every instance.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { escapeLiteral } from 'pg';
import { Sequelize, Transaction } from 'sequelize';
import { logger } from '../logger';
import { TENANT_ROLE } from './rls';

export interface UnitOfWork {
  transaction: Transaction;
  tenant: string | null;
  /** Runs `fn` once the transaction has committed (never after a rollback); its failures are logged, not thrown. */
  afterCommit(fn: () => void | Promise<void>): void;
}

interface Store {
  uow?: UnitOfWork;
  /** inside a handler declared databaseFree: any query is a fault (it would run outside a unit of work) */
  noDatabase?: string;
  /** what Sequelize set: the innermost managed transaction of this scope, null once it finished */
  transaction?: Transaction | null;
}

const storage = new AsyncLocalStorage<Store>();

/** The namespace Sequelize 6 expects from cls-hooked, over AsyncLocalStorage. */
const namespace = {
  get(key: string): unknown {
    const store = storage.getStore();
    if (!store || key !== 'transaction') return undefined;
    if (store.noDatabase) throw new Error(`${store.noDatabase} is declared databaseFree but queried the database`);
    // A scope outlived by its transaction (a timer started inside it) falls back to the enclosing live one.
    let t = store.transaction ?? store.uow?.transaction;
    while (t && (t as TransactionInternals).finished) t = (t as TransactionInternals).parent;
    return t ?? undefined;
  },
  set(key: string, value: unknown): unknown {
    const store = storage.getStore();
    if (!store || key !== 'transaction') return value;
    const t = value as TransactionInternals | null;
    if (t && store.uow && !t.parent && t !== (store.uow.transaction as TransactionInternals)) {
      logger.error({ stack: new Error('escaping transaction').stack },
        'a transaction was opened inside a unit of work on its own connection (outside its tenant scope): use savepoint()');
    }
    store.transaction = t;
    return value;
  },
  /** A child scope inheriting the current one, as cls-hooked's run: fn is called synchronously with the new context. */
  run(fn: (context: Store) => unknown): Store {
    const context: Store = { ...storage.getStore() };
    storage.run(context, () => fn(context));
    return context;
  },
  bind<F extends (...args: unknown[]) => unknown>(fn: F, context?: Store): F {
    const bound = context ?? storage.getStore();
    return ((...args: unknown[]) => (bound ? storage.run(bound, () => fn(...args)) : fn(...args))) as F;
  },
};

interface TransactionInternals extends Transaction {
  finished?: string;
  parent?: Transaction;
}

/** Points Sequelize's CLS at the unit-of-work namespace. Idempotent; refuses to replace another namespace. */
export function enableUnitOfWork(): void {
  const current = (Sequelize as unknown as { _cls?: unknown })._cls;
  if (current === namespace) return;
  if (current) throw new Error('Sequelize already uses another CLS namespace');
  Sequelize.useCLS(namespace);
}
enableUnitOfWork();

/** The transaction the caller's queries join (a unit of work's, or a savepoint's on its connection), if any. */
export function ambientTransaction(): Transaction | undefined {
  return namespace.get('transaction') as Transaction | undefined;
}

/** The unit of work the caller runs in, if any. */
export function currentUnitOfWork(): UnitOfWork | undefined {
  return storage.getStore()?.uow;
}

/**
 * Runs fn with no ambient unit of work or transaction: for timers, batches and loops that must not join (and must
 * not be rolled back with) the request that happened to start them. Async work fn starts inherits this.
 */
export function outsideUnitOfWork<T>(fn: () => T): T {
  return storage.exit(fn);
}

/**
 * The principal no longer stands (the guard of a cached principal found its row changed): nothing ran, and the request
 * is answered as an unauthenticated one.
 */
export class PrincipalRevoked extends Error {
  constructor() {
    super('the principal changed since it was cached');
    this.name = 'PrincipalRevoked';
  }
}

const GUARDS = new WeakMap<object, string>();

/**
 * Attaches to a principal (a cached one) an SQL boolean that holds while the row it came from is unchanged, e.g. its
 * token epoch, company and roles compared with their current values. A unit of work checks it in its first statement,
 * before anything else runs, so a change committed before the request's work began is always seen, cache or not. The
 * SQL is sent in a simple-protocol query: its literals must be escaped (pg's escapeLiteral).
 */
export function guardPrincipal<P extends object>(principal: P, sql: string): P {
  GUARDS.set(principal, sql);
  return principal;
}

export function principalGuard(principal: unknown): string | undefined {
  return principal && typeof principal === 'object' ? GUARDS.get(principal) : undefined;
}

export async function withUnitOfWork<T>(
  sequelize: Sequelize,
  scope: { tenant: string | null; guard?: string },
  fn: (uow: UnitOfWork) => Promise<T>,
): Promise<T> {
  if (currentUnitOfWork()) throw new Error('withUnitOfWork cannot be nested: use savepoint() inside a unit of work');
  const hooks: Array<() => void | Promise<void>> = [];
  const transaction = await outsideUnitOfWork(() => begin(sequelize, scope.tenant, scope.guard));
  const uow: UnitOfWork = {
    transaction,
    tenant: scope.tenant,
    afterCommit(hook) {
      if ((transaction as TransactionInternals).finished) throw new Error('the unit of work has already finished');
      hooks.push(hook);
    },
  };
  let result: T;
  try {
    result = await storage.run({ uow, transaction }, () => fn(uow));
  } catch (err) {
    if (!(transaction as TransactionInternals).finished) {
      await transaction.rollback().catch((rollbackErr) => logger.error({ err: rollbackErr }, 'unit of work: rollback failed'));
    }
    throw err;
  }
  await transaction.commit();
  await outsideUnitOfWork(async () => {
    for (const hook of hooks) {
      try {
        await hook();
      } catch (err) {
        logger.error({ err }, 'unit of work: an after-commit hook failed');
      }
    }
  });
  return result;
}

/**
 * A transaction on a pooled connection, begun with the tenant's role and setting in the same round trip: one
 * simple-protocol query `START TRANSACTION; SELECT set_config(...), set_config(...)` instead of three statements
 * (BEGIN, then the two settings). Both settings are transaction-local (`is_local`), so they end with it. The tenant is
 * sent as an escaped literal (pg's escapeLiteral: quotes doubled, E'' with backslashes doubled when any appear). A
 * principal's guard is that SELECT's WHERE: evaluated first, as the connecting role; when it fails no setting is made,
 * no row comes back, and the transaction is rolled back with PrincipalRevoked.
 */
async function begin(sequelize: Sequelize, tenant: string | null, guard?: string): Promise<Transaction> {
  const transaction = new Transaction(sequelize, {});
  let held = true;
  if (tenant !== null || guard) {
    const settings = tenant === null ? '1' : `set_config('role', '${TENANT_ROLE}', true), set_config('app.tenant', ${escapeLiteral(tenant)}, true)`;
    const sql = `START TRANSACTION; SELECT ${settings}${guard ? ` WHERE ${guard}` : ''}`;
    (transaction as unknown as { begin(): Promise<unknown> }).begin = async () => {
      const [rows] = await sequelize.query(sql, { transaction });
      held = (rows as unknown[]).length > 0;
    };
  }
  await (transaction as unknown as { prepareEnvironment(useCls: boolean): Promise<void> }).prepareEnvironment(false);
  if (!held) {
    await transaction.rollback();
    throw new PrincipalRevoked();
  }
  return transaction;
}

const DATABASE_FREE = new WeakSet<object>();

/**
 * Declares a handler that touches no database (it answers from its input, the principal and configuration): the
 * kernel runs it without a unit of work, so it takes no connection and no transaction. Any query made while it runs
 * throws instead of running unscoped (lib/http/handle.ts runs it in `withoutDatabase`); the call's own record (the
 * account audit) is written after it, on its own, before the answer.
 */
export function databaseFree<F extends object>(handler: F): F {
  DATABASE_FREE.add(handler);
  return handler;
}

export function isDatabaseFree(handler: object): boolean {
  return DATABASE_FREE.has(handler);
}

/** Runs fn where every Sequelize query throws (naming `what`): the guard of databaseFree handlers. */
export function withoutDatabase<T>(what: string, fn: () => T): T {
  return storage.run({ noDatabase: what }, fn);
}

/**
 * An all-or-none block: a savepoint of the ambient unit of work (same connection, tenant and commit), or a transaction
 * of its own outside one. Use it instead of `sequelize.transaction(cb)` in code that may run inside a unit of work.
 */
export function savepoint<T>(sequelize: Sequelize, fn: (t: Transaction) => Promise<T>): Promise<T> {
  const ambient = namespace.get('transaction') as Transaction | undefined;
  return sequelize.transaction({ transaction: ambient }, fn);
}
