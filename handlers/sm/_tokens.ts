/** Personal tokens: 256 random bits shown once, stored as their sha-256, looked up by that hash, revocable. */
import crypto from 'node:crypto';
import { select } from './_sql';
import type { SmPrincipal } from './_context';

export const TOKEN_PREFIX = 'smpt_';
export const newToken = () => `${TOKEN_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
export const tokenHash = (token: string) => crypto.createHash('sha256').update(token, 'utf8').digest();

/** The user a token stands for, or undefined (unknown, revoked, malformed); runs unscoped: the tenant is not known yet. */
export async function principalOfToken(token: string): Promise<SmPrincipal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const rows = await select<{ user_id: string; workspace: string; login: string }>(
    `SELECT u.id AS user_id, u.workspace, u.login FROM sm.tokens t JOIN sm.users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, [tokenHash(token)]);
  if (!rows.length) return undefined;
  return { userId: Number(rows[0].user_id), workspace: rows[0].workspace, login: rows[0].login };
}
