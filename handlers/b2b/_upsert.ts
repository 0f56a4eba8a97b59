/**
 * Batch upserts of the caller's domain: every item in one transaction (all or none), serialised per domain with an
 * advisory lock. A uid without "@" is qualified with the caller's domain; one naming another domain is refused.
 */
import type { Transaction } from 'sequelize';
import type { components } from '../../generated/b2b';
import { b2bDb, Group, User, UserGroup } from '../../models/b2b';
import type { B2bPrincipal } from './_context';
import { sealPassHash } from './_crypto';
import { foreignDomain, invalidItem } from './_events';
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

function checkPeriod(from: Date, to: Date, field: string): void {
  if (!(from < to)) throw invalidItem(`${field}.active_from`, `must precede active_to (${from.toISOString()} >= ${to.toISOString()})`);
}

/** The fields an item carries, as model attributes; absent fields stay as they are. */
function commonFields(item: Schemas['user_upsert'] | Schemas['group_upsert']) {
  return {
    ...(item.name !== undefined && { name: item.name }),
    ...(item.comment !== undefined && { comment: item.comment }),
    ...(item.roles !== undefined && { roles: splitList(item.roles) }),
    ...(item.tags !== undefined && { tags: splitList(item.tags) }),
    ...(item.active_from !== undefined && { activeFrom: new Date(item.active_from) }),
    ...(item.active_to !== undefined && { activeTo: new Date(item.active_to) }),
  };
}

export async function upsertUsers(actor: B2bPrincipal, items: Schemas['user_upsert'][]): Promise<void> {
  const domainUid = actor.domain.uid;
  await b2bDb().transaction(async (transaction) => {
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
        ...commonFields(item),
        ...(item.email !== undefined && { email: item.email }),
        ...(item.contacts !== undefined && { contacts: item.contacts }),
        ...(item.state !== undefined && { state: item.state }),
        ...(item.data !== undefined && { data: item.data }),
      };
      let user = await User.findOne({ where: { uid }, transaction, lock: transaction.LOCK.UPDATE });
      if (!user) {
        if (item.pass_hash === undefined) throw invalidItem(`${at}.pass_hash`, `is required to create user ${uid}`);
        user = User.build({ uid, domainUid, login: uid, name: uid, passHashEnc: '', createdBy: actor.user.uid, updatedBy: actor.user.uid, ...fields });
      } else {
        user.set({ ...fields, updatedBy: actor.user.uid, updatedAt: new Date() });
      }
      if (item.pass_hash !== undefined) user.passHashEnc = await sealPassHash(uid, item.pass_hash);
      checkPeriod(user.activeFrom, user.activeTo, at);
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
  await b2bDb().transaction(async (transaction) => {
    await lockDomain(domainUid, transaction);
    for (const [i, item] of items.entries()) {
      const at = `data.${i}`;
      const uid = qualify(item.uid, domainUid, `${at}.uid`);
      let group = await Group.findOne({ where: { uid }, transaction, lock: transaction.LOCK.UPDATE });
      if (!group) {
        group = Group.build({
          uid, domainUid, name: uid.slice(0, uid.indexOf('@')), createdBy: actor.user.uid, updatedBy: actor.user.uid, ...commonFields(item),
        });
      } else {
        group.set({ ...commonFields(item), updatedBy: actor.user.uid, updatedAt: new Date() });
      }
      checkPeriod(group.activeFrom, group.activeTo, at);
      await group.save({ transaction });
    }
  });
}
