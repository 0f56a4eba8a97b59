/**
 * Contract plugin of the b2b service (spec/b2b.yaml): AR-REST tokens computed here from a user and password (as any
 * client computes them), a domain with an administrator made by the admin command under --self, and batch upserts
 * kept inside the caller's domain.
 *
 * --auth kinds:
 *   b2b:user=NAME@DOMAIN:PASSWORD   an administrator (roles ADMIN and USER, own or through its domain) of DOMAIN
 *   b2b:header=AR-REST TOKEN        a ready Authorization value (no scenarios: they need the password)
 *   b2b:decoy=NAME@DOMAIN           an existing user the wrong-password cases sign for (default: the administrator);
 *                                   wrong signatures count toward a lock of their user (B2B_AUTH_MAX_FAILURES), so
 *                                   repeated runs against one deployment should not spend the administrator's
 */
import crypto from 'node:crypto';
import { definePlugin, type RequestParts, type Session } from '../../lib/contract/plugin';

const md5b64 = (s: string) => crypto.createHash('md5').update(s, 'utf8').digest('base64');
export const passHash = (password: string) => md5b64(password);

/** `AR-REST <token>` for a user (name@domain) and pass_hash, starting a minute ago (clock skew) for `age` seconds. */
export function arRest(uid: string, hash: string, opts: { stamp?: number; age?: number } = {}): string {
  const stamp = opts.stamp ?? Math.floor(Date.now() / 1000) - 60;
  const age = opts.age ?? 4 * 3600;
  const salted = md5b64(`${stamp}:${age}:${hash}`);
  return `AR-REST ${Buffer.from(`${uid}:${stamp}:${age}:${salted}`, 'utf8').toString('base64')}`;
}

function splitUser(v: string): { uid: string; password: string } {
  const m = /^([^:@\s]+@[^:\s]+):(.*)$/s.exec(v);
  if (!m) throw new Error(`b2b credentials must be NAME@DOMAIN:PASSWORD, got "${v}"`);
  return { uid: m[1], password: m[2] };
}

const localRef = (ref: unknown) => (typeof ref === 'string' ? ref.split('@')[0] : ref);

// Generated uids repeat ("3", "a"): an item would then update an earlier case's user, and the merged active period
// may be inverted, a documented 400. Every item gets a uid of its own: a run tag and a counter replace its start.
const runTag = crypto.randomBytes(2).toString('hex');
let uids = 0;
function freshUid(uid: unknown): unknown {
  if (typeof uid !== 'string') return uid;
  const name = uid.split('@')[0];
  const tag = `${runTag}${(uids++).toString(36)}`;
  return name.length > tag.length ? `${tag}${name.slice(tag.length)}` : tag;
}

/**
 * A moment must lie within 0001-01-01..9999-12-31 once converted to UTC (a documented 400 otherwise). Offsets are under
 * a day, so only the first and the last day can cross the edge: such a generated value becomes the edge itself.
 */
function inStampRange(item: Record<string, unknown>): void {
  for (const k of ['active_from', 'active_to']) {
    const v = item[k];
    if (typeof v !== 'string') continue;
    if (v.startsWith('0001-01-01')) item[k] = '0001-01-01T00:00:00.000Z';
    else if (v.startsWith('9999-12-31')) item[k] = '9999-12-31T23:59:59.999Z';
  }
}

/** Batch items create new users or groups in the caller's domain (a foreign uid is a documented 403). */
function inOwnDomain(req: RequestParts, users: boolean): RequestParts {
  const body = req.body as { data?: Array<Record<string, unknown>> } | undefined;
  if (!body || !Array.isArray(body.data)) return req;
  for (const item of body.data) {
    if (!item || typeof item !== 'object') continue;
    item.uid = freshUid(item.uid);
    if (users && Array.isArray(item.groups_refs)) item.groups_refs = item.groups_refs.map(localRef);
    inStampRange(item);
  }
  return req;
}

const DEV_OFF = 'the dev operations can be switched off on a server (B2B_DEV_ENDPOINTS=false): 404 (x-decision)';

export default definePlugin({
  service: 'b2b',
  authHelp: 'b2b:user=NAME@DOMAIN:PASSWORD [b2b:decoy=NAME@DOMAIN] | b2b:header=AR-REST TOKEN',

  async bootstrap(admin) {
    const tag = crypto.randomBytes(4).toString('hex');
    const domain = `contract_${tag}`;
    const password = `pw-${crypto.randomBytes(9).toString('base64url')}`;
    await admin('create-domain', { uid: domain, roles: 'CLIENT,USER', name: 'Contract runner' });
    await admin('create-user', { uid: `admin@${domain}`, password, roles: 'ADMIN,USER', name: 'Contract administrator' });
    await admin('create-user', { uid: `decoy@${domain}`, password: `${password}-decoy`, name: 'Contract wrong-password target' });
    return { user: `admin@${domain}:${password}`, decoy: `decoy@${domain}` };
  },

  async connect(auth): Promise<Session> {
    const notes: string[] = [];
    const user = auth.user ? splitUser(auth.user) : undefined;
    const fixed = auth.header;
    if (!user && !fixed) notes.push('no b2b credentials (--auth b2b:user=NAME@DOMAIN:PASSWORD): secured operations get only credential and method checks');
    const header = () => fixed ?? (user ? arRest(user.uid, passHash(user.password)) : undefined);
    const domain = user?.uid.split('@')[1];
    const badCredentials = [
      { name: 'AR-REST with a token that is not base64', headers: { Authorization: 'AR-REST !!not-a-token!!' } },
      { name: 'a Bearer token instead of AR-REST', headers: { Authorization: 'Bearer contract-invalid-token' } },
      { name: 'AR-REST of an unknown user', headers: { Authorization: arRest(`nobody_${crypto.randomBytes(3).toString('hex')}@${domain ?? 'contract'}`, passHash('x')) } },
    ];
    if (user) {
      badCredentials.push(
        { name: 'AR-REST with the wrong password', headers: { Authorization: arRest(auth.decoy ?? user.uid, passHash(`${user.password}-wrong`)) } },
        { name: 'AR-REST whose stamp expired long ago', headers: { Authorization: arRest(user.uid, passHash(user.password), { stamp: 1483634723, age: 5 }) } },
        { name: 'AR-REST starting a day in the future', headers: { Authorization: arRest(user.uid, passHash(user.password), { stamp: Math.floor(Date.now() / 1000) + 86_400 }) } },
      );
    }
    return {
      authHeaders: (scheme) => {
        if (scheme !== 'ArRest') return undefined;
        const h = header();
        return h ? { Authorization: h } : undefined;
      },
      headersFor: (c): Record<string, string> => (c.user && c.password !== undefined ? { Authorization: arRest(String(c.user), passHash(String(c.password))) } : {}),
      vars: user ? { admin_uid: user.uid, admin_password: user.password, domain: domain! } : {},
      badCredentials,
      notes,
    };
  },

  functions: {
    pass_hash: (password) => passHash(String(password)),
  },

  operations: {
    upsert_users: { prepare: (r) => inOwnDomain(r, true) },
    upsert_groups: { prepare: (r) => inOwnDomain(r, false) },
    dev_token: { accept: { 404: DEV_OFF } },
    dev_ping: { accept: { 404: DEV_OFF } },
  },
});
