/**
 * The unit of work: one transaction per request that every query inside joins without being handed it, committed or
 * rolled back as a whole, with hooks after commit and no leaks between concurrent units or into later work.
 */
import { QueryTypes, Sequelize } from 'sequelize';
import { currentUnitOfWork, enableUnitOfWork, outsideUnitOfWork, savepoint, withUnitOfWork } from '../../lib/db/unit-of-work';
import { initAccountModels, User } from '../../models/account';
import { unique } from '../support/harness';

let sequelize: Sequelize;
beforeAll(() => {
  sequelize = new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { underscored: true } });
  initAccountModels(sequelize);
});
afterAll(() => sequelize.close());

const newUser = (companyKey = unique('co')) => ({ username: unique('uow'), passwordHash: 'x', companyKey });
/** Whether the user is there, seen from a connection of its own (not the caller's transaction). */
const committed = async (username: string) =>
  outsideUnitOfWork(async () => (await User.count({ where: { username }, transaction: null })) === 1);
const backendPid = async () =>
  (await sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', { type: QueryTypes.SELECT }))[0].pid;
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('withUnitOfWork', () => {
  it('is enabled by importing the module, and enabling it again changes nothing', () => {
    expect((Sequelize as unknown as { _cls?: unknown })._cls).toBeDefined();
    expect(() => enableUnitOfWork()).not.toThrow();
  });

  it('commits what fn wrote when fn resolves, and returns its value', async () => {
    const row = newUser();
    const value = await withUnitOfWork(sequelize, { tenant: null }, async () => {
      await User.create(row);
      expect(await committed(row.username)).toBe(false); // not visible outside before the commit
      return 42;
    });
    expect(value).toBe(42);
    expect(await committed(row.username)).toBe(true);
  });

  it('rolls back every query made inside without a transaction when fn throws, and rethrows', async () => {
    const a = newUser();
    const b = newUser();
    const boom = new Error('boom');
    await expect(withUnitOfWork(sequelize, { tenant: null }, async () => {
      await User.create(a);
      await sequelize.query('INSERT INTO account.users (username, password_hash, company_key) VALUES (:u, :p, :c)',
        { replacements: { u: b.username, p: 'x', c: b.companyKey } });
      await User.update({ name: 'changed' }, { where: { username: a.username } });
      throw boom;
    })).rejects.toBe(boom);
    expect(await committed(a.username)).toBe(false);
    expect(await committed(b.username)).toBe(false);
  });

  it('runs every query inside on one connection, the transaction of the unit of work', async () => {
    await withUnitOfWork(sequelize, { tenant: null }, async (uow) => {
      expect(currentUnitOfWork()).toBe(uow);
      const pid = await backendPid();
      await User.findAll({ limit: 1 });
      expect(await backendPid()).toBe(pid);
      expect(await outsideUnitOfWork(backendPid)).not.toBe(pid);
      const [{ in_tx: inTx }] = await sequelize.query<{ in_tx: boolean }>(
        'SELECT now() = statement_timestamp() AS in_tx', { type: QueryTypes.SELECT });
      expect(inTx).toBe(false); // now() is the transaction's start, earlier than this statement
    });
    expect(currentUnitOfWork()).toBeUndefined();
  });

  it('runs afterCommit hooks only after the commit, and never after a rollback; a failing hook is not thrown', async () => {
    const row = newUser();
    const seen: string[] = [];
    await withUnitOfWork(sequelize, { tenant: null }, async (uow) => {
      uow.afterCommit(async () => {
        seen.push(`first:${await committed(row.username)}`);
        expect(currentUnitOfWork()).toBeUndefined();
      });
      uow.afterCommit(() => { throw new Error('hook fails'); });
      uow.afterCommit(() => { seen.push('third'); });
      await User.create(row);
      seen.push('fn done');
    });
    expect(seen).toEqual(['fn done', 'first:true', 'third']);

    const rolledBack: string[] = [];
    await expect(withUnitOfWork(sequelize, { tenant: null }, async (uow) => {
      uow.afterCommit(() => { rolledBack.push('ran'); });
      throw new Error('no');
    })).rejects.toThrow('no');
    expect(rolledBack).toEqual([]);
  });

  it('keeps concurrent units of work apart: neither sees the other\'s uncommitted rows', async () => {
    const a = newUser();
    const b = newUser();
    const aWrote = deferred();
    const bLooked = deferred();
    const aCounted = deferred();
    const first = withUnitOfWork(sequelize, { tenant: null }, async () => {
      await User.create(a);
      aWrote.resolve();
      await bLooked.promise;
      const seen = await User.count({ where: { username: [a.username, b.username] } });
      aCounted.resolve();
      return seen;
    });
    const second = withUnitOfWork(sequelize, { tenant: null }, async () => {
      await aWrote.promise;
      const seen = await User.count({ where: { username: [a.username, b.username] } });
      await User.create(b);
      bLooked.resolve();
      // b commits only after a has counted: b's row is then uncommitted while a looks, whatever the scheduling
      await aCounted.promise;
      return seen;
    });
    const [seenByFirst, seenBySecond] = await Promise.all([first, second]);
    expect(seenBySecond).toBe(0); // a's row was not committed yet
    expect(seenByFirst).toBe(1); // its own row only
    expect(await committed(a.username)).toBe(true);
    expect(await committed(b.username)).toBe(true);
  });

  it('refuses to nest', async () => {
    await expect(withUnitOfWork(sequelize, { tenant: null }, () => withUnitOfWork(sequelize, { tenant: null }, async () => 1)))
      .rejects.toThrow(/cannot be nested/);
  });
});

describe('outsideUnitOfWork', () => {
  it('runs fn on its own connection, committed even when the unit of work rolls back', async () => {
    const inside = newUser();
    const outside = newUser();
    await expect(withUnitOfWork(sequelize, { tenant: null }, async () => {
      await User.create(inside);
      await outsideUnitOfWork(async () => {
        expect(currentUnitOfWork()).toBeUndefined();
        await User.create(outside);
      });
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await committed(inside.username)).toBe(false);
    expect(await committed(outside.username)).toBe(true);
  });

  it('a timer started inside a unit of work that fires after it ended runs without its finished transaction', async () => {
    const late = newUser();
    const fired = deferred();
    let failure: unknown;
    await withUnitOfWork(sequelize, { tenant: null }, async () => {
      setTimeout(() => User.create(late).catch((e) => (failure = e)).finally(fired.resolve), 30);
    });
    await fired.promise;
    expect(failure).toBeUndefined();
    expect(await committed(late.username)).toBe(true);
  });
});

describe('savepoint and nested managed transactions', () => {
  it('savepoint() inside a unit of work is a savepoint of it: same connection, undone alone, committed with it', async () => {
    const kept = newUser();
    const undone = newUser();
    const outer = await withUnitOfWork(sequelize, { tenant: null }, async () => {
      const pid = await backendPid();
      await savepoint(sequelize, async () => {
        expect(await backendPid()).toBe(pid);
        await User.create(kept);
      });
      await expect(savepoint(sequelize, async () => {
        await User.create(undone);
        throw new Error('undo this block');
      })).rejects.toThrow('undo this block');
      expect(await committed(kept.username)).toBe(false); // still only in the unit of work
      return User.count({ where: { username: [kept.username, undone.username] } });
    });
    expect(outer).toBe(1);
    expect(await committed(kept.username)).toBe(true);
    expect(await committed(undone.username)).toBe(false);
  });

  it('savepoint() outside a unit of work is a transaction of its own', async () => {
    const row = newUser();
    await expect(savepoint(sequelize, async () => {
      await User.create(row);
      throw new Error('no');
    })).rejects.toThrow('no');
    expect(await committed(row.username)).toBe(false);
  });

  it('a plain sequelize.transaction(cb) inside a unit of work is NOT part of it (Sequelize 6 opens another connection)', async () => {
    const escaped = newUser();
    await expect(withUnitOfWork(sequelize, { tenant: null }, async () => {
      const pid = await backendPid();
      await sequelize.transaction(async () => {
        expect(await backendPid()).not.toBe(pid);
        await User.create(escaped);
      });
      throw new Error('roll back the unit of work');
    })).rejects.toThrow('roll back the unit of work');
    // committed on its own although the unit of work rolled back: why code inside a unit of work uses savepoint()
    expect(await committed(escaped.username)).toBe(true);
  });
});
