/**
 * Operator commands of the b2b service: create-domain, create-group, create-user, set-state, set-password, token.
 * Values are checked against the spec's schemas; anything wrong is an AdminError. Writes are recorded as by "system".
 */
import { AdminError, intFlag, required, type AdminCommands } from '../../lib/admin';
import { explain, specValidator } from '../../lib/spec-schemas';
import { Domain, Group, User, UserGroup } from '../../models/b2b';
import { sealPassHash } from './_crypto';
import { splitList, toDomainWire, toGroupWire, toUserWire } from './_mappers';
import { buildToken, passHashOf } from './_token';
import { lockDomain } from './_upsert';

function check(schema: string, value: unknown, what: string) {
  const validate = specValidator('b2b').schema(schema);
  if (!validate(value)) throw new AdminError(`invalid ${what}: ${explain(validate.errors)}`);
}

const upperList = (s: string | undefined) => (s === undefined ? undefined : splitList(s.toUpperCase()).join(','));

/** Exactly one of --password and --pass-hash, as the pass_hash to store. */
function passHashFlag(f: Record<string, string | undefined>): string {
  if ((f.password === undefined) === (f['pass-hash'] === undefined)) throw new AdminError('give exactly one of --password, --pass-hash');
  if (f.password !== undefined) {
    if (!f.password) throw new AdminError('--password must not be empty');
    return passHashOf(f.password);
  }
  check('pass_hash', f['pass-hash'], 'pass hash');
  return f['pass-hash']!;
}

function domainPart(uid: string): string {
  return uid.slice(uid.indexOf('@') + 1);
}

async function detailed(user: User) {
  const domain = await Domain.findOne({ where: { uid: user.domainUid } });
  const memberships = await UserGroup.findAll({ where: { userId: user.id } });
  const groups = await Group.findAll({ where: { id: memberships.map((m) => m.groupId) } });
  return toUserWire(user, { domain: domain!, groups });
}

export const commands: AdminCommands = {
  'create-domain': {
    flags: ['uid', 'name', 'comment', 'roles', 'tags', 'state'],
    async run(f) {
      required(f, 'uid');
      check('domain_uid', f.uid, 'domain uid');
      const roles = upperList(f.roles) ?? '';
      check('roles', roles, 'roles');
      if (f.state !== undefined) check('domain_state', f.state, 'state');
      if (await Domain.findOne({ where: { uid: f.uid } })) throw new AdminError(`domain ${f.uid} already exists`);
      const domain = await Domain.create({
        uid: f.uid!, name: f.name ?? f.uid!, comment: f.comment ?? '', roles: splitList(roles), tags: splitList(f.tags ?? ''),
        ...(f.state && { state: f.state as Domain['state'] }),
      });
      return toDomainWire(domain);
    },
  },

  'create-group': {
    flags: ['uid', 'domain', 'name', 'comment', 'roles', 'tags'],
    async run(f) {
      required(f, 'uid');
      check('uid_input', f.uid, 'group uid');
      if (!f.uid!.includes('@') && !f.domain) throw new AdminError('give the group as NAME@DOMAIN, or --domain');
      const uid = f.uid!.includes('@') ? f.uid! : `${f.uid}@${f.domain}`;
      if (f.domain && domainPart(uid) !== f.domain) throw new AdminError(`group ${uid} is not in domain ${f.domain}`);
      const roles = upperList(f.roles) ?? '';
      check('roles', roles, 'roles');
      if (!(await Domain.findOne({ where: { uid: domainPart(uid) } }))) throw new AdminError(`no domain ${domainPart(uid)}`);
      if (await Group.findOne({ where: { uid } })) throw new AdminError(`group ${uid} already exists`);
      const group = await Group.create({
        uid, domainUid: domainPart(uid), name: f.name ?? uid.slice(0, uid.indexOf('@')), comment: f.comment ?? '',
        roles: splitList(roles), tags: splitList(f.tags ?? ''),
      });
      return toGroupWire(group);
    },
  },

  'create-user': {
    flags: ['uid', 'password', 'pass-hash', 'name', 'comment', 'email', 'contacts', 'roles', 'tags', 'groups', 'state'],
    async run(f, sequelize) {
      required(f, 'uid');
      check('qualified_uid', f.uid, 'user uid (NAME@DOMAIN)');
      const uid = f.uid!;
      const domainUid = domainPart(uid);
      const passHash = passHashFlag(f);
      const roles = upperList(f.roles) ?? '';
      check('roles', roles, 'roles');
      if (f.email !== undefined) check('email', f.email, 'email');
      if (f.state !== undefined) check('user_state', f.state, 'state');
      const groupUids = splitList(f.groups ?? '').map((g) => (g.includes('@') ? g : `${g}@${domainUid}`));
      for (const g of groupUids) if (domainPart(g) !== domainUid) throw new AdminError(`group ${g} is not in the user's domain ${domainUid}`);

      const user = await sequelize.transaction(async (transaction) => {
        await lockDomain(domainUid, transaction);
        if (!(await Domain.findOne({ where: { uid: domainUid }, transaction }))) throw new AdminError(`no domain ${domainUid}`);
        if (await User.findOne({ where: { uid }, transaction })) throw new AdminError(`user ${uid} already exists`);
        const groups = await Group.findAll({ where: { uid: groupUids }, transaction });
        const missing = groupUids.filter((g) => !groups.some((x) => x.uid === g));
        if (missing.length) throw new AdminError(`no group ${missing.join(', ')}`);
        const created = await User.create({
          uid, domainUid, login: uid, name: f.name ?? uid, comment: f.comment ?? '', email: f.email ?? '', contacts: f.contacts ?? '',
          roles: splitList(roles), tags: splitList(f.tags ?? ''), passHashEnc: await sealPassHash(uid, passHash),
          ...(f.state && { state: f.state as User['state'] }),
        }, { transaction });
        await UserGroup.bulkCreate(groups.map((g) => ({ userId: created.id, groupId: g.id })), { transaction });
        return created;
      });
      return detailed(user);
    },
  },

  'set-state': {
    flags: ['uid', 'state'],
    async run(f) {
      required(f, 'uid', 'state');
      check('user_state', f.state, 'state');
      const user = await User.findOne({ where: { uid: f.uid } });
      if (!user) throw new AdminError(`no user ${f.uid}`);
      await user.update({ state: f.state as User['state'], updatedBy: 'system' });
      return detailed(user);
    },
  },

  'set-password': {
    flags: ['uid', 'password', 'pass-hash'],
    async run(f) {
      required(f, 'uid');
      const passHash = passHashFlag(f);
      const user = await User.findOne({ where: { uid: f.uid } });
      if (!user) throw new AdminError(`no user ${f.uid}`);
      // as in upsert_users: the first pass_hash of a user waiting for one activates it
      const activates = user.passHashEnc === null && user.state === 'ACTIVATION_REQUIRED';
      await user.update({ passHashEnc: await sealPassHash(user.uid, passHash), updatedBy: 'system', ...(activates && { state: 'ACTIVE' as const }) });
      return detailed(user);
    },
  },

  /** An Authorization header for a user's password (or hash), starting now; computed only, as GET dev/token does. */
  token: {
    flags: ['uid', 'password', 'pass-hash', 'age'],
    async run(f) {
      required(f, 'uid');
      check('qualified_uid', f.uid, 'user uid (NAME@DOMAIN)');
      const age = intFlag(f, 'age') ?? 172800;
      if (age < 1) throw new AdminError('--age must be at least 1');
      const stamp = Math.floor(Date.now() / 1000);
      const t = buildToken(f.uid!, passHashFlag(f), stamp, age);
      return { user: f.uid, stamp, age, token: t.token, header: t.header };
    },
  },
};

