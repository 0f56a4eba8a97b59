/**
 * JWTs for the account service. The signing secret comes from ACCOUNT_JWT_SECRET, or is generated once into the key
 * file account.jwt_secret outside the database (lib/keys.ts), which every process shares. A token carries the user's
 * token epoch: a password change bumps the epoch and every older token stops validating.
 */
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { secretKey } from '../../lib/keys';
import { once } from '../../lib/persisted-secret';
import type { User } from '../../models/account';
import { cachedUser, loadUser } from './_principals';
import { accountSettings } from './_settings';

const ISSUER = 'conformant-account';
/** The HS256 key as a KeyObject (jsonwebtoken would otherwise re-derive one from the string on every call). */
export const jwtSecret = once(async () => crypto.createSecretKey(Buffer.from(
  accountSettings.values.ACCOUNT_JWT_SECRET ||
    (await secretKey('account.jwt_secret', { generate: () => crypto.randomBytes(48).toString('base64url') })),
  'utf8',
)));

interface Claims { sub: string; ck: string; roles: string[]; ep: number }

export async function issueToken(user: User, ttlSeconds: number): Promise<string> {
  const claims: Claims = { sub: user.username, ck: user.companyKey, roles: user.roles, ep: user.tokenEpoch };
  return jwt.sign(claims, await jwtSecret(), { algorithm: 'HS256', expiresIn: ttlSeconds, issuer: ISSUER, jwtid: crypto.randomUUID() });
}

/**
 * Tokens whose signature and issuer this process has verified, with their claims. A token's signature is a fact of the
 * token and the key alone (the same in every process, for as long as the process runs with that key), so this is a
 * memo of a pure computation, not a cache of credentials: expiry is checked again at every use, and whether the token
 * still stands (its epoch against the user's row) is decided below exactly as for a token verified just now. Bounded;
 * the oldest entry goes first.
 */
const verified = new Map<string, Claims & { exp: number }>();
const MAX_VERIFIED = 10_000;

export function tokenClaims(token: string, key: crypto.KeyObject): Claims | undefined {
  const now = Math.floor(Date.now() / 1000);
  const memo = verified.get(token);
  // expired as jsonwebtoken judges it: at the second `exp` names
  if (memo) return now < memo.exp ? memo : undefined;
  let claims: Claims & { exp?: number };
  try {
    claims = jwt.verify(token, key, { algorithms: ['HS256'], issuer: ISSUER }) as unknown as Claims & { exp?: number };
  } catch {
    return undefined;
  }
  if (typeof claims.exp === 'number') {
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
    verified.set(token, claims as Claims & { exp: number });
  }
  return claims;
}

/** The user a token stands for, or undefined when it is malformed, forged, expired, or older than a password change. */
export async function userOfToken(token: string): Promise<User | undefined> {
  const claims = tokenClaims(token, await jwtSecret());
  if (!claims) return undefined;
  if (typeof claims.sub !== 'string') return undefined;
  const stands = (u: User | null | undefined): u is User => !!u && u.tokenEpoch === claims.ep && u.companyKey === claims.ck;
  // the process's cache first (_principals.ts: guarded, so a revoked token is still refused at the request's first
  // statement); a token the cached entry does not match (newer or older epoch) reads the row
  const cached = cachedUser(claims.sub);
  if (stands(cached)) return cached;
  const user = await loadUser(claims.sub);
  return stands(user) ? user : undefined;
}
