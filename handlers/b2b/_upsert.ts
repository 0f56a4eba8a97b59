/**
 * Batch upserts of the caller's domain: every item in one transaction (all or none), serialised per domain with an
 * advisory lock. A uid without "@" is qualified with the caller's domain; one naming another domain is refused.
 */
import { savepoint } from '../../lib/db/unit-of-work';
import type { Transaction } from 'sequelize';
import type { components } from '../../generated/b2b';
import { b2bDb, Group, User, UserGroup } from '../../models/b2b';
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

export async function upsertUsers(actor: B2bPrincipal, items: Schemas['user_upsert'][]): Promise<void> {
  const domainUid = actor.domain.uid;
  await savepoint(b2bDb(), async (transaction) => {
    await lockDomain(domainUid, transaction);
    const groups = new Map<string, Group | null>(); // this batch creates no groups, so a lookup holds for all its items
    const groupOf = async (uid: string) => {
      if (!groups.has(uid)) groups.set(uid, await Group.findOne({ where: { uid }, transaction }));
      return groups.get(uid)!;
    };
    for (const [i, item] of items.entries()) {
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
        const leave = ref.startsWith('!') || ref.startsWith('-');
        const groupUid = qualify(leave ? ref.slice(1) : ref, domainUid, `${at}.groups_refs.${j}`);
        const group = await groupOf(groupUid);
        if (!group) continue; // unknown groups are ignored
        if (leave) await UserGroup.destroy({ where: { userId: user.id, groupId: group.id }, transaction });
        else await UserGroup.bulkCreate([{ userId: user.id, groupId: group.id }], { ignoreDuplicates: true, transaction });
      }
    }
  });
}

export async function upsertGroups(actor: B2bPrincipal, items: Schemas['group_upsert'][]): Promise<void> {
  const domainUid = actor.domain.uid;
  await savepoint(b2bDb(), async (transaction) => {
    await lockDomain(domainUid, transaction);
    for (const [i, item] of items.entries()) {
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
  });
}
