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

/** The user a token stands for, or undefined when it is malformed, forged, expired, or older than a password change. */
export async function userOfToken(token: string): Promise<User | undefined> {
  let claims: Claims;
  try {
    claims = jwt.verify(token, await jwtSecret(), { algorithms: ['HS256'], issuer: ISSUER }) as unknown as Claims;
  } catch {
    return undefined;
  }
  if (typeof claims.sub !== 'string') return undefined;
  const stands = (u: User | null | undefined): u is User => !!u && u.tokenEpoch === claims.ep && u.companyKey === claims.ck;
  // the process's cache first (_principals.ts: guarded, so a revoked token is still refused at the request's first
  // statement); a token the cached entry does not match (newer or older epoch) reads the row
  const cached = cachedUser(claims.sub);
  if (stands(cached)) return cached;
  const user = await loadUser(claims.sub);
  return stands(user) ? user : undefined;
}
