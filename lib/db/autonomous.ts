/**
 * Autonomous writes: work that must commit on its own whatever becomes of the request's unit of work (a failed-login
 * count, a secret generated once). It runs outside the unit of work, on a small pool of its own, so a request that
 * already holds its transaction's connection never waits for a second connection from the same pool (with every
 * connection held by such requests, that wait would never end).
 */
import { Sequelize, type Options } from 'sequelize';
import { outsideUnitOfWork } from './unit-of-work';

const pools = new WeakMap<Sequelize, Sequelize>();

/** The autonomous twin of a Sequelize instance: same database, own pool; closed when the original is closed. */
export function autonomousDb(main: Sequelize): Sequelize {
  let db = pools.get(main);
  if (db) return db;
  const cfg = main.config;
  const options = (main as unknown as { options: Options }).options;
  db = new Sequelize(cfg.database, cfg.username, cfg.password ?? undefined, {
    ...options,
    pool: { ...(options.pool ?? {}), max: 3, min: 0, idle: 5_000 },
  });
  pools.set(main, db);
  const close = main.close.bind(main);
  main.close = async () => {
    pools.delete(main);
    await Promise.all([close(), db!.close()]);
  };
  return db;
}

/** Run fn with the autonomous twin, outside any unit of work. */
export function autonomous<T>(main: Sequelize, fn: (db: Sequelize) => Promise<T>): Promise<T> {
  return outsideUnitOfWork(() => fn(autonomousDb(main)));
}
