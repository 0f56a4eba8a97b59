/** b2b test fixtures: domains, groups and users made through the admin commands' own code, tokens computed locally. */
import { commands } from '../../handlers/b2b/_admin';
import { buildToken, passHashOf } from '../../handlers/b2b/_token';
import { harness, unique } from '../support/harness';

export type Harness = Awaited<ReturnType<typeof harness>>;

export const b2bHarness = () => harness(['b2b']);

export async function createDomain(h: Harness, opts: { uid?: string; roles?: string; state?: string; name?: string } = {}): Promise<string> {
  const uid = opts.uid ?? unique('dom');
  await commands['create-domain'].run({ uid, roles: opts.roles, state: opts.state, name: opts.name }, h.sequelize);
  return uid;
}

export async function createGroup(h: Harness, domain: string, opts: { name?: string; roles?: string } = {}): Promise<string> {
  const name = opts.name ?? unique('grp').toUpperCase();
  await commands['create-group'].run({ uid: `${name}@${domain}`, roles: opts.roles }, h.sequelize);
  return `${name}@${domain}`;
}

export interface TestUser { uid: string; password: string; passHash: string; header: string }

export async function createUser(h: Harness, domain: string, opts: { name?: string; roles?: string; groups?: string; state?: string; password?: string } = {}): Promise<TestUser> {
  const uid = `${opts.name ?? unique('usr')}@${domain}`;
  const password = opts.password ?? `pw-${unique()}`;
  await commands['create-user'].run({ uid, password, roles: opts.roles, groups: opts.groups, state: opts.state }, h.sequelize);
  return { uid, password, passHash: passHashOf(password), header: header(uid, passHashOf(password)) };
}

/** `AR-REST <token>` for a user and pass_hash; by default valid from a minute ago for an hour. */
export function header(uid: string, passHash: string, opts: { stamp?: number; age?: number } = {}): string {
  const stamp = opts.stamp ?? Math.floor(Date.now() / 1000) - 60;
  return buildToken(uid, passHash, stamp, opts.age ?? 3600).header;
}

export const as = (authorization: string) => ({ headers: { Authorization: authorization } });

/** A domain (roles CLIENT,USER) with an administrator (roles ADMIN). */
export async function adminWorld(h: Harness, opts: { domainRoles?: string; adminRoles?: string } = {}) {
  const domain = await createDomain(h, { roles: opts.domainRoles ?? 'CLIENT,USER' });
  const admin = await createUser(h, domain, { roles: opts.adminRoles ?? 'ADMIN' });
  return { domain, admin };
}

/** Rows of a table of the b2b schema, for "nothing was written" assertions. */
export async function count(h: Harness, table: string, where = 'true', replacements: Record<string, unknown> = {}): Promise<number> {
  const [rows] = await h.sequelize.query(`SELECT count(*)::int AS n FROM b2b.${table} WHERE ${where}`, { replacements });
  return (rows as { n: number }[])[0].n;
}

/** A snapshot of everything stored for a domain (users, groups, memberships), to prove a refused batch changed nothing. */
export async function snapshot(h: Harness, domain: string): Promise<unknown> {
  const [users] = await h.sequelize.query(
    'SELECT uid, name, comment, email, contacts, state, roles, tags, data, pass_hash_enc, updated_at, active_from, active_to FROM b2b.users WHERE domain_uid = :d ORDER BY uid',
    { replacements: { d: domain } },
  );
  const [groups] = await h.sequelize.query('SELECT uid, name, comment, roles, tags, updated_at FROM b2b.groups WHERE domain_uid = :d ORDER BY uid', { replacements: { d: domain } });
  const [members] = await h.sequelize.query(
    `SELECT u.uid AS user_uid, g.uid AS group_uid FROM b2b.user_groups m JOIN b2b.users u ON u.id = m.user_id JOIN b2b.groups g ON g.id = m.group_id
     WHERE u.domain_uid = :d ORDER BY 1, 2`,
    { replacements: { d: domain } },
  );
  return { users, groups, members };
}

/** Group uids a user belongs to, from the database. */
export async function membershipsOf(h: Harness, userUid: string): Promise<string[]> {
  const [rows] = await h.sequelize.query(
    'SELECT g.uid FROM b2b.user_groups m JOIN b2b.users u ON u.id = m.user_id JOIN b2b.groups g ON g.id = m.group_id WHERE u.uid = :u ORDER BY g.uid',
    { replacements: { u: userUid } },
  );
  return (rows as { uid: string }[]).map((r) => r.uid);
}

/** The bare security event of a failed authentication. */
export function expectSecurityEvent(res: { status: number; body: any }, status: number, type: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect({ status: res.status, type: res.body.type }).toEqual({ status, type });
  expect(res.body.cls).toBe('Security');
  expect(res.body.state).toBeUndefined();
  expect(res.body.events).toEqual([]);
}

/** The failure envelope with its event. */
export function expectFailure(res: { status: number; body: any }, status: number, cls: string, type: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect({ status: res.status, state: res.body.state, cls: res.body.event?.cls, type: res.body.event?.type }).toEqual({ status, state: 'fail', cls, type });
}
