/**
 * Brute-force limits of the AR-REST scheme, kept in PostgreSQL (b2b.auth_throttle) so every server process on the
 * database sees the same counters: B2B_AUTH_MAX_FAILURES (5) wrong signatures of one user, or
 * B2B_AUTH_MAX_FAILURES_PER_ADDRESS (50) wrong signatures and unknown users from one client address, within
 * B2B_AUTH_WINDOW_SECONDS (900) lock that user or address for B2B_AUTH_LOCK_SECONDS (900).
 *
 * Unlike a login, every b2b request authenticates, often many at once with one token, so an attempt is not counted
 * before its check (parallel right tokens would then lock their own user). What is bounded is what an attacker
 * learns: a lock in force is read before the signature is checked, and a wrong signature is counted in one atomic
 * statement whose result decides the answer: the failure's own event while within the limit, the lock's once beyond
 * it. A burst of parallel guesses therefore gets at most the limit's worth of WrongHash answers; every later one,
 * right or wrong, is answered with the lock. A right signature writes nothing, and does not reset the count (a busy
 * client of the user would otherwise launder an attacker's guesses); failures are forgotten when their window ends.
 * The writes commit on the autonomous pool (lib/db/autonomous.ts), whatever becomes of the request.
 */
import { QueryTypes } from 'sequelize';
import { autonomous } from '../../lib/db/autonomous';
import { b2bDb } from '../../models/b2b';
import { b2bConfig } from './_config';

export type LockScope = 'user' | 'address';
export interface Lock { scope: LockScope; seconds: number }
/** Who is trying: the user the token names (only when it exists), and where the request came from (when known). */
export interface Attempt { user?: string; address?: string }

/** The network an address is counted by: an IPv4 address itself, an IPv6 address its /64 (one subscriber's share). */
export function networkOf(address: string): string {
  const ip = address.split('%')[0].toLowerCase();
  if (!ip.includes(':')) return ip;
  const halves = ip.split('::');
  if (halves.length > 2) return ip;
  const groups = (s: string) => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1] ?? '');
  const width = (gs: string[]) => gs.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0); // an IPv4 tail is two groups
  const all = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail] : head;
  const prefix = all.slice(0, 4).map((g) => (g.includes('.') ? g : (Number.parseInt(g, 16) || 0).toString(16)));
  return `${prefix.join(':')}::/64`;
}

const scopeOf = (key: string): LockScope => (key.startsWith('u:') ? 'user' : 'address');

function keysOf(attempt: Attempt): string[] {
  const keys = attempt.user ? [`u:${attempt.user}`] : [];
  if (attempt.address !== undefined && b2bConfig.throttle.maxPerAddress > 0) keys.push(`a:${networkOf(attempt.address)}`);
  return keys.sort(); // one order for every statement that touches several rows
}

const longest = (locks: Lock[]): Lock | undefined => locks.sort((a, b) => b.seconds - a.seconds)[0];

/** The lock in force for the user or the address, if any: read before the signature is checked. */
export async function lockOf(attempt: Attempt): Promise<Lock | undefined> {
  const keys = keysOf(attempt);
  if (!keys.length) return undefined;
  const rows = await b2bDb().query<{ key: string; s: number }>(
    `SELECT key, ceil(extract(epoch FROM locked_until - now()))::int AS s
       FROM b2b.auth_throttle WHERE key IN (:keys) AND locked_until > now()`,
    { replacements: { keys }, type: QueryTypes.SELECT },
  );
  return longest(rows.map((r) => ({ scope: scopeOf(r.key), seconds: Math.max(1, r.s) })));
}

export interface FailureOutcome {
  /** the failure came after a lock was set (by this attempt's predecessors): answer the lock, not the failure */
  answer?: Lock;
  /** scopes this failure has just locked (it is still answered with its own event) */
  locking: LockScope[];
}

/**
 * Count a failure against the user (a wrong signature) and the address (a wrong signature or an unknown user), in one
 * statement per call. A window that is over, or a lock that is over, starts the count again; the failure that
 * reaches the limit sets the lock; failures while locked keep counting, beyond the limit, and are answered as the lock.
 */
export async function recordFailure(attempt: Attempt): Promise<FailureOutcome> {
  const keys = keysOf(attempt);
  if (!keys.length) return { locking: [] };
  const { maxPerUser, maxPerAddress, windowSeconds, lockSeconds } = b2bConfig.throttle;
  const max = (key: string) => `(CASE WHEN left(${key}, 2) = 'u:' THEN :maxPerUser ELSE :maxPerAddress END)`;
  const over = "(t.locked_until <= now() OR (t.locked_until IS NULL AND t.window_started_at <= now() - make_interval(secs => :windowSeconds)))";
  const lockAt = 'now() + make_interval(secs => :lockSeconds)';
  const rows = await autonomous(b2bDb(), (db) => db.query<{ key: string; failures: number; max: number; s: number }>(
    `INSERT INTO b2b.auth_throttle AS t (key, failures, window_started_at, locked_until)
     SELECT k, 1, now(), CASE WHEN 1 >= ${max('k')} THEN ${lockAt} END FROM unnest(ARRAY[:keys]::text[]) AS k ORDER BY k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.locked_until > now() THEN t.failures + 1 WHEN ${over} THEN 1 ELSE t.failures + 1 END,
       window_started_at = CASE WHEN t.locked_until > now() THEN t.window_started_at WHEN ${over} THEN now() ELSE t.window_started_at END,
       locked_until = CASE WHEN t.locked_until > now() THEN t.locked_until
                           WHEN ${over} THEN CASE WHEN 1 >= ${max('t.key')} THEN ${lockAt} END
                           WHEN t.failures + 1 >= ${max('t.key')} THEN ${lockAt} END
     RETURNING key, failures, ${max('key')} AS max, coalesce(ceil(extract(epoch FROM locked_until - now())), 0)::int AS s`,
    { replacements: { keys, maxPerUser, maxPerAddress, windowSeconds, lockSeconds }, type: QueryTypes.SELECT },
  ));
  await forgetStale(windowSeconds);
  return {
    answer: longest(rows.filter((r) => r.failures > r.max).map((r) => ({ scope: scopeOf(r.key), seconds: Math.max(1, r.s) }))),
    locking: rows.filter((r) => r.failures === r.max).map((r) => scopeOf(r.key)),
  };
}

/** Rows whose window and lock are over count for nothing: a few are removed with each failure, so the table stays small. */
async function forgetStale(windowSeconds: number): Promise<void> {
  await autonomous(b2bDb(), (db) => db.query(
    `DELETE FROM b2b.auth_throttle WHERE key IN (
       SELECT key FROM b2b.auth_throttle
        WHERE window_started_at < now() - make_interval(secs => :windowSeconds) AND (locked_until IS NULL OR locked_until < now())
        ORDER BY window_started_at LIMIT 100 FOR UPDATE SKIP LOCKED)`,
    { replacements: { windowSeconds } },
  ));
}
