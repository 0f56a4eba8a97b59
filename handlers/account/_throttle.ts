/**
 * Login throttling kept in PostgreSQL, so every server process on the database sees the same counters:
 * LOGIN_MAX_FAILURES (5) failures for one username within LOGIN_WINDOW_SECONDS (900) lock it for LOGIN_LOCK_SECONDS (900).
 */
import { QueryTypes } from 'sequelize';
import { autonomous } from '../../lib/db/autonomous';
import { accountDb } from '../../models/account';
import { accountSettings } from './_settings';

const settings = () => {
  const v = accountSettings.values;
  return { max: v.LOGIN_MAX_FAILURES, window: v.LOGIN_WINDOW_SECONDS, lock: v.LOGIN_LOCK_SECONDS };
};

/**
 * Count an attempt before the password is checked, atomically (one statement), so a burst of parallel attempts can
 * never get more than LOGIN_MAX_FAILURES checks: answers 0 to go on, or the seconds of the lock to answer 429 with.
 * An attempt beyond the limit locks the username at once. Committed on its own, outside the request's unit of work
 * (the request may fail and roll back; the count must stay).
 */
export async function beginAttempt(username: string): Promise<number> {
  const { max, window, lock } = settings();
  const rows = await autonomous(accountDb(), (db) => db.query<{ s: number }>(
    `INSERT INTO account.login_throttle AS t (username, failures, window_started_at, locked_until)
     VALUES (:u, 1, now(), CASE WHEN 1 > :max THEN now() + make_interval(secs => :lock) END)
     ON CONFLICT (username) DO UPDATE SET
       failures = CASE WHEN t.locked_until > now() THEN t.failures
                       WHEN t.window_started_at < now() - make_interval(secs => :window) THEN 1 ELSE t.failures + 1 END,
       window_started_at = CASE WHEN t.locked_until > now() THEN t.window_started_at
                       WHEN t.window_started_at < now() - make_interval(secs => :window) THEN now() ELSE t.window_started_at END,
       locked_until = CASE WHEN t.locked_until > now() THEN t.locked_until
                       WHEN (CASE WHEN t.window_started_at < now() - make_interval(secs => :window) THEN 1 ELSE t.failures + 1 END) > :max
                       THEN now() + make_interval(secs => :lock) ELSE NULL END
     RETURNING coalesce(ceil(extract(epoch FROM locked_until - now())), 0)::int AS s`,
    { replacements: { u: username, max, window, lock }, type: QueryTypes.SELECT },
  ));
  return Math.max(0, rows[0]?.s ?? 0);
}

/** The attempt counted by beginAttempt failed: lock the username when that was the last one allowed. */
export async function recordFailure(username: string): Promise<number> {
  const { max, lock } = settings();
  const rows = await autonomous(accountDb(), (db) => db.query<{ s: number }>(
    `UPDATE account.login_throttle SET locked_until = now() + make_interval(secs => :lock)
     WHERE username = :u AND failures >= :max AND (locked_until IS NULL OR locked_until <= now())
     RETURNING ceil(extract(epoch FROM locked_until - now()))::int AS s`,
    { replacements: { u: username, max, lock }, type: QueryTypes.SELECT },
  ));
  return Math.max(0, rows[0]?.s ?? 0);
}

export async function clearFailures(username: string): Promise<void> {
  await accountDb().query('DELETE FROM account.login_throttle WHERE username = :u', { replacements: { u: username } });
}
