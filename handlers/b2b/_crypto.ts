/**
 * pass_hash at rest: AES-256-GCM with the key of B2B_SECRET_KEY, or a key generated once into the key file
 * b2b.pass_hash_key outside the database (lib/keys.ts), which every process shares. The user's uid is bound in as
 * associated data, so a ciphertext copied to another row does not open.
 */
import crypto from 'node:crypto';
import { secretKey } from '../../lib/keys';
import { once } from '../../lib/persisted-secret';
import { b2bConfig } from './_config';

const FORMAT = 'v1';

function parseKey(raw: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(raw)) return Buffer.from(raw, 'base64');
  throw new Error('B2B_SECRET_KEY must be 32 bytes written as 64 hex digits or as base64');
}

const storedKey = once(async () =>
  parseKey(await secretKey('b2b.pass_hash_key', { generate: () => crypto.randomBytes(32).toString('base64') })));

export function encryptionKey(): Promise<Buffer> {
  const configured = b2bConfig.secretKey;
  return configured ? Promise.resolve(parseKey(configured)) : storedKey();
}

const aad = (uid: string) => Buffer.from(`b2b.users.pass_hash:${uid}`, 'utf8');

export async function sealPassHash(uid: string, passHash: string): Promise<string> {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', await encryptionKey(), iv);
  cipher.setAAD(aad(uid));
  const sealed = Buffer.concat([cipher.update(passHash, 'utf8'), cipher.final()]);
  return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
}

/** Throws when the ciphertext was made with another key, for another uid, or was altered. */
export async function openPassHash(uid: string, stored: string): Promise<string> {
  const [format, payload] = stored.split(':');
  if (format !== FORMAT || !payload) throw new Error('b2b: unknown pass_hash format');
  const buf = Buffer.from(payload, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', await encryptionKey(), buf.subarray(0, 12));
  decipher.setAAD(aad(uid));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
}
