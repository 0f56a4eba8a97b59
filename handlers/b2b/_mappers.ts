/** The one place where b2b models meet wire names. pass_hash never leaves through here. */
import type { components } from '../../generated/b2b';
import type { Domain, Group, User } from '../../models/b2b';

type Schemas = components['schemas'];

/** Split a comma-separated wire list: trimmed, empty items and repeats dropped, order kept. */
export function splitList(s: string): string[] {
  return [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))];
}
export const joinList = (xs: readonly string[]) => xs.join(',');

const iso = (d: Date) => d.toISOString();

export function toDomainWire(d: Domain): Schemas['domain'] {
  return {
    state: d.state,
    roles: joinList(d.roles),
    uid: d.uid,
    name: d.name,
    comment: d.comment,
    tags: joinList(d.tags),
    created_at: iso(d.createdAt),
    created_by: d.createdBy,
    updated_at: iso(d.updatedAt),
    updated_by: d.updatedBy,
    active_from: iso(d.activeFrom),
    active_to: iso(d.activeTo),
  };
}

export function toGroupWire(g: Group): Schemas['group'] {
  return {
    roles: joinList(g.roles),
    uid: g.uid,
    name: g.name,
    comment: g.comment,
    tags: joinList(g.tags),
    created_at: iso(g.createdAt),
    created_by: g.createdBy,
    updated_at: iso(g.updatedAt),
    updated_by: g.updatedBy,
    active_from: iso(g.activeFrom),
    active_to: iso(g.activeTo),
  };
}

/** The account alone, or with `detail` its domain and groups (sorted by uid), as GET /user?_detailed=true answers. */
export function toUserWire(u: User, detail?: { domain: Domain; groups: Group[] }): Schemas['user'] {
  return {
    login: u.login,
    email: u.email,
    contacts: u.contacts,
    state: u.state,
    domain_uid: u.domainUid,
    ...(detail ? {
      domain: toDomainWire(detail.domain),
      groups: [...detail.groups].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0)).map(toGroupWire),
    } : {}),
    roles: joinList(u.roles),
    data: u.data,
    uid: u.uid,
    name: u.name,
    comment: u.comment,
    tags: joinList(u.tags),
    created_at: iso(u.createdAt),
    created_by: u.createdBy,
    updated_at: iso(u.updatedAt),
    updated_by: u.updatedBy,
    active_from: iso(u.activeFrom),
    active_to: iso(u.activeTo),
  };
}
