/**
 * Failed-attempt throttling kept in PostgreSQL (account.auth_throttle), so every server process on the database sees
 * the same counters. Each check counts against several counters, keyed by (kind, subject):
 *
 * - a login against `login-source` (the client address, for that username: LOGIN_MAX_FAILURES_PER_SOURCE, 3) and
 *   `login-user` (the username, failures from every address: LOGIN_MAX_FAILURES, 5). One address guessing a
 *   password is locked out of that username by its own, lower limit before it can lock the username for everyone;
 *   the username itself locks only on failures from several addresses;
 * - a password change against `password-user` (LOGIN_MAX_FAILURES): wrong current passwords never lock the login.
 *
 * Failures within LOGIN_WINDOW_SECONDS beyond a counter's limit lock it for LOGIN_LOCK_SECONDS. While any counter of
 * an attempt is locked, the attempt is refused (429 with the seconds left) and counts nowhere.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { autonomous } from '../../lib/db/autonomous';
import { accountDb } from '../../models/account';
import { securitySettings } from './_security-settings';
import { accountSettings } from './_settings';

export type ThrottleKind = 'login-user' | 'login-source' | 'password-user';
export interface Counter { kind: ThrottleKind; subject: string; max: number }
export interface Verdict {
  /** seconds of the lock that refuses the attempt; 0: go on and check the password */
  wait: number;
  /** the counter that refuses it */
  by?: ThrottleKind;
}

const timing = () => ({ window: accountSettings.values.LOGIN_WINDOW_SECONDS, lock: accountSettings.values.LOGIN_LOCK_SECONDS });

/** The counters of a login of `username` from `address`: the address's (for that username) first, then the username's. */
export function loginCounters(username: string, address: string): Counter[] {
  return [
    { kind: 'login-source', subject: `${address.slice(0, 100)}/${username}`, max: securitySettings.values.LOGIN_MAX_FAILURES_PER_SOURCE },
    { kind: 'login-user', subject: username, max: accountSettings.values.LOGIN_MAX_FAILURES },
  ];
}

/** The counter of wrong current passwords in password changes of `username`. */
export function passwordCounters(username: string): Counter[] {
  return [{ kind: 'password-user', subject: username, max: accountSettings.values.LOGIN_MAX_FAILURES }];
}

const keyList = (counters: Counter[], r: Record<string, unknown>) => counters.map((c, i) => {
  r[`k${i}`] = c.kind;
  r[`s${i}`] = c.subject;
  r[`m${i}`] = c.max;
  return i;
});

/**
 * Count an attempt before the password is checked, atomically (the counters' rows locked for one transaction), so a
 * burst of parallel attempts never gets more checks than a limit allows. An attempt beyond a limit locks that counter
 * at once. Committed on its own, outside the request's unit of work (the request may roll back; the count must stay).
 */
export async function beginAttempt(counters: Counter[]): Promise<Verdict> {
  const { window, lock } = timing();
  return autonomous(accountDb(), (db) => db.transaction(async (transaction) => {
    const r: Record<string, unknown> = { window, lock };
    const idx = keyList(counters, r);
    const pairs = idx.map((i) => `(:k${i}, :s${i})`).join(', ');
    await db.query(`INSERT INTO account.auth_throttle (kind, subject) VALUES ${pairs} ON CONFLICT DO NOTHING`, { replacements: r, transaction });
    const rows = await db.query<{ kind: ThrottleKind; subject: string; failures: number; expired: boolean; locked_for: number }>(
      `SELECT kind, subject, failures, window_started_at < now() - make_interval(secs => :window) AS expired,
              greatest(coalesce(ceil(extract(epoch FROM locked_until - now())), 0), 0)::int AS locked_for
       FROM account.auth_throttle WHERE (kind, subject) IN (${pairs}) ORDER BY kind, subject FOR UPDATE`,
      { replacements: r, type: QueryTypes.SELECT, transaction },
    );
    const state = counters.map((c) => ({ c, row: rows.find((x) => x.kind === c.kind && x.subject === c.subject)! }));
    const locked = state.find((s) => s.row.locked_for > 0);
    if (locked) return { wait: locked.row.locked_for, by: locked.c.kind };
    const next = state.map((s) => ({ ...s, failures: s.row.expired ? 1 : s.row.failures + 1 }));
    const over = next.find((s) => s.failures > s.c.max);
    if (over) {
      await setLock(db, transaction, over.c, lock);
      return { wait: lock, by: over.c.kind };
    }
    for (const s of next) {
      await db.query(
        `UPDATE account.auth_throttle SET failures = :f, locked_until = NULL,
                window_started_at = CASE WHEN :expired THEN now() ELSE window_started_at END
         WHERE kind = :k AND subject = :s`,
        { replacements: { f: s.failures, expired: s.row.expired, k: s.c.kind, s: s.c.subject }, transaction },
      );
    }
    if (Math.random() < 0.01) await purge(db, transaction, window);
    return { wait: 0 };
  }));
}

async function setLock(db: Sequelize, transaction: Transaction, c: Counter, lock: number) {
  await db.query('UPDATE account.auth_throttle SET locked_until = now() + make_interval(secs => :lock) WHERE kind = :k AND subject = :s',
    { replacements: { lock, k: c.kind, s: c.subject }, transaction });
}

/** Counters whose window and lock are both over mean nothing any more: a few hundred of them go at a time. */
async function purge(db: Sequelize, transaction: Transaction, window: number) {
  await db.query(
    `DELETE FROM account.auth_throttle WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM account.auth_throttle
       WHERE window_started_at < now() - make_interval(secs => :window) AND (locked_until IS NULL OR locked_until < now())
       LIMIT 500 FOR UPDATE SKIP LOCKED))`,
    { replacements: { window }, transaction },
  );
}

/**
 * The attempt counted by beginAttempt failed: lock every counter for which that was the last failure allowed.
 * Answers the seconds of the longest lock it set (0: none).
 */
export async function recordFailure(counters: Counter[]): Promise<number> {
  const { lock } = timing();
  const r: Record<string, unknown> = { lock };
  const values = keyList(counters, r).map((i) => `(:k${i}, :s${i}, :m${i})`).join(', ');
  const rows = await autonomous(accountDb(), (db) => db.query<{ s: number }>(
    `UPDATE account.auth_throttle t SET locked_until = now() + make_interval(secs => :lock)
     FROM (VALUES ${values}) AS c(kind, subject, max)
     WHERE t.kind = c.kind AND t.subject = c.subject AND t.failures >= c.max::int
       AND (t.locked_until IS NULL OR t.locked_until <= now())
     RETURNING ceil(extract(epoch FROM t.locked_until - now()))::int AS s`,
    { replacements: r, type: QueryTypes.SELECT },
  ));
  return Math.max(0, ...rows.map((x) => x.s));
}

/** A right password: these counters start again (in the request's unit of work, so a rolled-back success keeps them). */
export async function clearFailures(counters: Counter[]): Promise<void> {
  const r: Record<string, unknown> = {};
  const pairs = keyList(counters, r).map((i) => `(:k${i}, :s${i})`).join(', ');
  await accountDb().query(`DELETE FROM account.auth_throttle WHERE (kind, subject) IN (${pairs})`, { replacements: r });
}
