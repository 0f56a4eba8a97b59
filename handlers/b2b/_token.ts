/**
 * The AR-REST token: pass_hash = base64(md5(password)); salted = base64(md5("<stamp>:<age>:<pass_hash>"));
 * token = base64("<user>:<stamp>:<age>:<salted>"), user being "name@domain".
 */
import crypto from 'node:crypto';

export const TOKEN_PREFIX = 'AR-REST';

const md5 = (s: string) => crypto.createHash('md5').update(s, 'utf8').digest();

export const passHashOf = (password: string) => md5(password).toString('base64');
export const saltOf = (stamp: number | string, age: number | string, passHash: string) => `${stamp}:${age}:${passHash}`;
/** the raw 16 digest bytes of the salted hash, for a constant-time comparison */
export const saltedDigest = (salt: string) => md5(salt);

export interface BuiltToken { salt: string; saltedPassHash: string; rawToken: string; token: string; header: string }

export function buildToken(user: string, passHash: string, stamp: number, age: number): BuiltToken {
  const salt = saltOf(stamp, age, passHash);
  const saltedPassHash = saltedDigest(salt).toString('base64');
  const rawToken = `${user}:${stamp}:${age}:${saltedPassHash}`;
  const token = Buffer.from(rawToken, 'utf8').toString('base64');
  return { salt, saltedPassHash, rawToken, token, header: `${TOKEN_PREFIX} ${token}` };
}

export interface TokenParts {
  user: string;
  /** stamp and age as the client wrote them: the salt is recomputed from these strings */
  stampText: string;
  ageText: string;
  stamp: number;
  age: number;
  saltedHash: Buffer;
}

export class MalformedToken extends Error {}

/** Decode a token (without the AR-REST prefix); throws MalformedToken saying what is wrong. */
export function parseToken(token: string): TokenParts {
  if (token.length > 2048) throw new MalformedToken('the token is longer than 2048 characters');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) throw new MalformedToken('the token is not standard base64');
  const parts = Buffer.from(token, 'base64').toString('utf8').split(':');
  if (parts.length !== 4) throw new MalformedToken('the token does not decode to user:stamp:age:salted_hash');
  const [user, stampText, ageText, salted] = parts;
  // printable ASCII without ":" and space, the class of dev/token's user in spec/b2b.yaml
  if (!/^[!-9;-~]{1,256}$/.test(user)) throw new MalformedToken('the user part is empty, too long, or not printable ASCII without ":" and spaces');
  // up to 12 digits: dev/token makes stamps up to 9999-12-31T23:59:59Z (253402300799), which are then future, not malformed
  if (!/^\d{1,12}$/.test(stampText)) throw new MalformedToken('the stamp is not Unix seconds');
  if (!/^\d{1,11}$/.test(ageText)) throw new MalformedToken('the age is not a number of seconds');
  if (!/^[A-Za-z0-9+/]{22}==$/.test(salted)) throw new MalformedToken('the salted hash is not base64 of an MD5 digest');
  return { user, stampText, ageText, stamp: Number(stampText), age: Number(ageText), saltedHash: Buffer.from(salted, 'base64') };
}
