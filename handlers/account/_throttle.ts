/**
 * Login throttling kept in PostgreSQL, so every server process on the database sees the same counters:
 * LOGIN_MAX_FAILURES (5) failures for one username within LOGIN_WINDOW_SECONDS (900) lock it for LOGIN_LOCK_SECONDS (900).
 */
import { QueryTypes } from 'sequelize';
import { outsideUnitOfWork } from '../../lib/db/unit-of-work';
import { accountDb } from '../../models/account';
import { accountSettings } from './_settings';

const settings = () => {
  const v = accountSettings.values;
  return { max: v.LOGIN_MAX_FAILURES, window: v.LOGIN_WINDOW_SECONDS, lock: v.LOGIN_LOCK_SECONDS };
};

/** Seconds until the username may try again, or 0 when it is not locked. */
export async function lockedFor(username: string): Promise<number> {
  const rows = await accountDb().query<{ s: number }>(
    'SELECT ceil(extract(epoch FROM locked_until - now()))::int AS s FROM account.login_throttle WHERE username = :u AND locked_until > now()',
    { replacements: { u: username }, type: QueryTypes.SELECT },
  );
  return rows[0]?.s ?? 0;
}

/**
 * Count a failure; answers the seconds of the lock it caused, or 0. Committed on its own, outside the request's unit
 * of work: the request fails (401) and rolls back, the count must stay.
 */
export async function recordFailure(username: string): Promise<number> {
  const { max, window, lock } = settings();
  const rows = await outsideUnitOfWork(() => accountDb().query<{ s: number }>(
    `INSERT INTO account.login_throttle AS t (username, failures, window_started_at, locked_until)
     VALUES (:u, 1, now(), CASE WHEN 1 >= :max THEN now() + make_interval(secs => :lock) END)
     ON CONFLICT (username) DO UPDATE SET
       failures = CASE WHEN t.window_started_at < now() - make_interval(secs => :window) THEN 1 ELSE t.failures + 1 END,
       window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => :window) THEN now() ELSE t.window_started_at END,
       locked_until = CASE
         WHEN (CASE WHEN t.window_started_at < now() - make_interval(secs => :window) THEN 1 ELSE t.failures + 1 END) >= :max
         THEN now() + make_interval(secs => :lock) ELSE t.locked_until END
     RETURNING coalesce(ceil(extract(epoch FROM locked_until - now())), 0)::int AS s`,
    { replacements: { u: username, max, window, lock }, type: QueryTypes.SELECT },
  ));
  return Math.max(0, rows[0]?.s ?? 0);
}

export async function clearFailures(username: string): Promise<void> {
  await accountDb().query('DELETE FROM account.login_throttle WHERE username = :u', { replacements: { u: username } });
}
