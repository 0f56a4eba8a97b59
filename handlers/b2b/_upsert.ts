/**
 * Batch upserts of the caller's domain: every item in one transaction (all or none), serialised per domain with an
 * advisory lock, within B2B_UPSERT_TIMEOUT_MS (waiting for the lock included; then 503, nothing written). A uid
 * without "@" is qualified with the caller's domain; one naming another domain is refused. Memberships are bounded
 * per request (B2B_MAX_MEMBERSHIPS_PER_REQUEST) and written in bulk, a few statements per batch.
 */
import { QueryTypes, type Transaction } from 'sequelize';
import { savepoint } from '../../lib/db/unit-of-work';
import { ApiError } from '../../lib/errors';
import type { components } from '../../generated/b2b';
import { b2bDb, Group, User } from '../../models/b2b';
import { b2bConfig } from './_config';
import type { B2bPrincipal } from './_context';
import { sealPassHash } from './_crypto';
import { foreignDomain, invalidItem } from './_events';
import { parseMoment } from './_instant';
import { splitList } from './_mappers';

type Schemas = components['schemas'];
const LOCK_CLASS = 0x62326221; // 'b2b!': the first key of the two-key advisory locks of this service

/** `name` -> `name@domain`; `name@domain` stays; `name@other` is refused (403 SecurityForeignDomain). */
export function qualify(uid: string, domainUid: string, field: string): string {
  const at = uid.indexOf('@');
  if (at < 0) return `${uid}@${domainUid}`;
  if (uid.slice(at + 1) !== domainUid) throw foreignDomain(uid, domainUid, field);
  return uid;
}

export async function lockDomain(domainUid: string, transaction: Transaction): Promise<void> {
  await b2bDb().query('SELECT pg_advisory_xact_lock(:c, hashtext(:k))', { replacements: { c: LOCK_CLASS, k: domainUid }, transaction });
}

/**
 * Runs a batch within B2B_UPSERT_TIMEOUT_MS: each statement's statement_timeout is the time left when it is set (at
 * the start, once the domain's lock is held, before the bulk writes), and the time is checked between items. Past
 * the deadline the batch fails as a 503 (a statement cancelled by PostgreSQL is one too) and its savepoint rolls
 * back; on success the request's own statement_timeout is restored.
 */
async function withinBudget<T>(transaction: Transaction, fn: (budget: Budget) => Promise<T>): Promise<T> {
  const db = b2bDb();
  const deadline = Date.now() + b2bConfig.upsertTimeoutMs;
  const [{ previous }] = await db.query<{ previous: string }>("SELECT current_setting('statement_timeout') AS previous", { type: QueryTypes.SELECT, transaction });
  const budget: Budget = {
    check() {
      if (Date.now() >= deadline) throw new ApiError('unavailable', `the batch was not written within ${b2bConfig.upsertTimeoutMs} ms`);
    },
    async limitStatements() {
      budget.check();
      await db.query("SELECT set_config('statement_timeout', :ms, true)", { replacements: { ms: String(deadline - Date.now()) }, transaction });
    },
  };
  await budget.limitStatements();
  const result = await fn(budget);
  await db.query("SELECT set_config('statement_timeout', :previous, true)", { replacements: { previous }, transaction });
  return result;
}

interface Budget {
  /** throws the 503 once the time is up */
  check(): void;
  /** every following statement may take at most the time left */
  limitStatements(): Promise<void>;
}

/** An item's active_from or active_to as a Date; one that cannot be kept exactly is a 400 naming the field. */
function moment(text: string, field: string): Date {
  const at = parseMoment(text);
  if (!(at instanceof Date)) throw invalidItem(field, `${at.error} (${text})`);
  return at;
}

/**
 * The fields an item carries, as model attributes; absent fields stay as they are. An active period may be empty
 * (active_from not before active_to): the entity is then never active, which is what such a period means.
 */
function commonFields(item: Schemas['user_upsert'] | Schemas['group_upsert'], at: string) {
  return {
    ...(item.name !== undefined && { name: item.name }),
    ...(item.comment !== undefined && { comment: item.comment }),
    ...(item.roles !== undefined && { roles: splitList(item.roles) }),
    ...(item.tags !== undefined && { tags: splitList(item.tags) }),
    ...(item.active_from !== undefined && { activeFrom: moment(item.active_from, `${at}.active_from`) }),
    ...(item.active_to !== undefined && { activeTo: moment(item.active_to, `${at}.active_to`) }),
  };
}

/** memberships written per statement */
const MEMBERSHIP_BATCH = 5000;

/** Join or leave groups in bulk: one DELETE and one INSERT (ON CONFLICT DO NOTHING) per batch of pairs. */
async function applyMemberships(changes: Iterable<{ userId: number; groupId: number; join: boolean }>, transaction: Transaction): Promise<void> {
  const all = [...changes];
  for (const join of [false, true]) {
    const pairs = all.filter((c) => c.join === join);
    for (let i = 0; i < pairs.length; i += MEMBERSHIP_BATCH) {
      const chunk = pairs.slice(i, i + MEMBERSHIP_BATCH);
      const bind = [chunk.map((c) => c.userId), chunk.map((c) => c.groupId)];
      await b2bDb().query(join
        ? 'INSERT INTO b2b.user_groups (user_id, group_id) SELECT * FROM unnest($1::int[], $2::int[]) ON CONFLICT DO NOTHING'
        : `DELETE FROM b2b.user_groups m USING unnest($1::int[], $2::int[]) AS x(user_id, group_id)
            WHERE m.user_id = x.user_id AND m.group_id = x.group_id`,
      { bind, transaction });
    }
  }
}

const refTarget = (ref: string) => (ref.startsWith('!') || ref.startsWith('-') ? { leave: true, uid: ref.slice(1) } : { leave: false, uid: ref });

export async function upsertUsers(actor: B2bPrincipal, items: Schemas['user_upsert'][]): Promise<void> {
  const domainUid = actor.domain.uid;
  const refCount = items.reduce((n, item) => n + (item.groups_refs?.length ?? 0), 0);
  const maxRefs = b2bConfig.maxMembershipsPerRequest;
  if (refCount > maxRefs) {
    throw invalidItem('data', `at most ${maxRefs} groups_refs entries per request, all items together; this one has ${refCount}`);
  }
  await savepoint(b2bDb(), (transaction) => withinBudget(transaction, async (budget) => {
    await lockDomain(domainUid, transaction);
    await budget.limitStatements();
    // this batch creates no groups, so one lookup of every group it names holds for all its items; foreign names are
    // left out here and refused below, in item order
    const named = new Set<string>();
    for (const item of items) {
      for (const ref of item.groups_refs ?? []) {
        const { uid } = refTarget(ref);
        const at = uid.indexOf('@');
        if (at < 0 || uid.slice(at + 1) === domainUid) named.add(at < 0 ? `${uid}@${domainUid}` : uid);
      }
    }
    const groups = new Map<string, number>();
    if (named.size) {
      for (const g of await Group.findAll({ where: { uid: [...named] }, attributes: ['id', 'uid'], transaction })) groups.set(g.uid, g.id);
    }
    // the last entry naming a user and a group decides
    const changes = new Map<string, { userId: number; groupId: number; join: boolean }>();

    for (const [i, item] of items.entries()) {
      budget.check();
      const at = `data.${i}`;
      const uid = qualify(item.uid, domainUid, `${at}.uid`);
      const fields = {
        ...commonFields(item, at),
        ...(item.email !== undefined && { email: item.email }),
        ...(item.contacts !== undefined && { contacts: item.contacts }),
        ...(item.state !== undefined && { state: item.state }),
        ...(item.data !== undefined && { data: item.data }),
      };
      let user = await User.findOne({ where: { uid }, transaction, lock: transaction.LOCK.UPDATE });
      if (!user) {
        // without a pass_hash no token can be checked: the user waits in ACTIVATION_REQUIRED until one is set
        user = User.build({
          uid, domainUid, login: uid, name: uid, passHashEnc: null, createdBy: actor.user.uid, updatedBy: actor.user.uid,
          ...(item.pass_hash === undefined && { state: 'ACTIVATION_REQUIRED' as const }), ...fields,
        });
      } else {
        user.set({ ...fields, updatedBy: actor.user.uid, updatedAt: new Date() });
      }
      if (item.pass_hash !== undefined) {
        // the first pass_hash of a user waiting for one activates it, unless the item says which state it is in
        if (user.passHashEnc === null && user.state === 'ACTIVATION_REQUIRED' && item.state === undefined) user.state = 'ACTIVE';
        user.passHashEnc = await sealPassHash(uid, item.pass_hash);
      }
      await user.save({ transaction });

      for (const [j, ref] of (item.groups_refs ?? []).entries()) {
        const target = refTarget(ref);
        const groupId = groups.get(qualify(target.uid, domainUid, `${at}.groups_refs.${j}`));
        if (groupId === undefined) continue; // unknown groups are ignored
        const key = `${user.id}:${groupId}`;
        changes.delete(key); // re-inserted last: the map's order stays the order of last mentions
        changes.set(key, { userId: user.id, groupId, join: !target.leave });
      }
    }
    await budget.limitStatements();
    await applyMemberships(changes.values(), transaction);
  }));
}

export async function upsertGroups(actor: B2bPrincipal, items: Schemas['group_upsert'][]): Promise<void> {
  const domainUid = actor.domain.uid;
  await savepoint(b2bDb(), (transaction) => withinBudget(transaction, async (budget) => {
    await lockDomain(domainUid, transaction);
    await budget.limitStatements();
    for (const [i, item] of items.entries()) {
      budget.check();
      const at = `data.${i}`;
      const uid = qualify(item.uid, domainUid, `${at}.uid`);
      let group = await Group.findOne({ where: { uid }, transaction, lock: transaction.LOCK.UPDATE });
      if (!group) {
        group = Group.build({
          uid, domainUid, name: uid.slice(0, uid.indexOf('@')), createdBy: actor.user.uid, updatedBy: actor.user.uid, ...commonFields(item, at),
        });
      } else {
        group.set({ ...commonFields(item, at), updatedBy: actor.user.uid, updatedAt: new Date() });
      }
      await group.save({ transaction });
    }
  }));
}
