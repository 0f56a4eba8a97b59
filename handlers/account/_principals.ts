/**
 * The account principal cache: each process keeps the users its tokens stood for, so an authenticated call does not
 * read account.users every time. Correctness does not rest on the cache being fresh:
 *
 * - every process drops an entry when PostgreSQL tells it the row changed (a trigger NOTIFYs `account_users` with the
 *   username at commit, migration 20261202-0400; lib/db/notifications.ts), and drops everything while its listener
 *   is not listening; a read that raced with a notification is not cached;
 * - a principal served from the cache carries a guard (its token epoch, company and roles as cached): the request's
 *   first statement checks it (the unit of work's BEGIN, or the audit write of a databaseFree operation), so a token
 *   revoked by a password change committed anywhere before that statement is refused, as it was when every request
 *   read the user;
 * - a token newer than the cached entry (issued after a change whose notification has not arrived yet) reads the row.
 *
 * Entries also expire after MAX_AGE_MS; at most MAX_ENTRIES are kept (the oldest go first).
 */
import { escapeLiteral } from 'pg';
import { listen, type Listener } from '../../lib/db/notifications';
import { guardPrincipal } from '../../lib/db/unit-of-work';
import { accountDb, User } from '../../models/account';

export const USERS_CHANNEL = 'account_users';
const MAX_ENTRIES = 10_000;
const MAX_AGE_MS = 60_000;

interface Entry { values: Record<string, unknown>; at: number }
const entries = new Map<string, Entry>();
let listener: Listener | undefined;

function started(): Listener {
  return (listener ??= listen(accountDb(), USERS_CHANNEL, {
    notify: (username) => entries.delete(username),
    reset: () => entries.clear(),
  }));
}

/** SQL that holds while the user's row still has the credentials the principal was cached with. */
function guardOf(user: User): string {
  const roles = user.roles.length ? `ARRAY[${user.roles.map((r) => escapeLiteral(r)).join(', ')}]::text[]` : `'{}'::text[]`;
  return `EXISTS (SELECT 1 FROM account.users WHERE username = ${escapeLiteral(user.username)} AND token_epoch = ${Number(user.tokenEpoch)} ` +
    `AND company_key = ${escapeLiteral(user.companyKey)} AND roles = ${roles})`;
}

/**
 * What a cached principal's guard compares, as values: for a statement that checks it with bound parameters (the
 * audit batch of databaseFree calls, _audit.ts), whose text then stays the same from call to call and is prepared once.
 */
export interface PrincipalCheck { username: string; tokenEpoch: number; companyKey: string; roles: string[] }
const CHECKS = new WeakMap<object, PrincipalCheck>();

/** The guard of a principal served from the cache, as values; undefined for one read from the database just now. */
export function cachedCheck(principal: unknown): PrincipalCheck | undefined {
  return principal && typeof principal === 'object' ? CHECKS.get(principal) : undefined;
}

/** A fresh instance per request (handlers may change and save it), guarded. */
function fromEntry(entry: Entry): User {
  const user = User.build({ ...entry.values, roles: [...(entry.values.roles as string[])] } as never, { raw: true, isNewRecord: false });
  CHECKS.set(user, { username: user.username, tokenEpoch: Number(user.tokenEpoch), companyKey: user.companyKey, roles: [...user.roles] });
  return guardPrincipal(user, guardOf(user));
}

/** The cached principal for a username, if any (guarded: see above). */
export function cachedUser(username: string): User | undefined {
  const l = started();
  const entry = entries.get(username);
  if (!entry || !l.listening) return undefined;
  if (Date.now() - entry.at > MAX_AGE_MS) {
    entries.delete(username);
    return undefined;
  }
  return fromEntry(entry);
}

/** The user read from the database; cached when no notification or listener loss raced with the read. */
export async function loadUser(username: string): Promise<User | null> {
  const l = started();
  const wasListening = l.listening;
  const epoch = l.epoch;
  const user = await User.findOne({ where: { username } });
  if (user && wasListening && l.listening && l.epoch === epoch) {
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    entries.set(username, { values: user.get({ plain: true }) as Record<string, unknown>, at: Date.now() });
  }
  return user;
}

/** Drop a user's entry in this process now (after a change this process committed; others hear the notification). */
export function forgetUser(username: string): void {
  entries.delete(username);
}

/** Stop listening (service stop). */
export async function stopPrincipalCache(): Promise<void> {
  const l = listener;
  listener = undefined;
  entries.clear();
  await l?.close();
}
