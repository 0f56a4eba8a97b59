/**
 * Password storage: scrypt with a per-user salt, its parameters kept in the stored string (`scrypt$N$r$p$salt$hash`),
 * so they can be raised: new hashes use ACCOUNT_PASSWORD_SCRYPT_N (2^17, r=8, p=1: OWASP's current guidance) and a
 * hash made with weaker parameters is redone at the account's next successful login (`needsRehash`).
 * Each hash takes 128·N·r bytes (128 MiB at 2^17) and about a second of a CPU: at most HASH_CONCURRENCY run at once,
 * the others wait their turn, so a burst of logins neither exhausts memory nor takes every libuv thread.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { securitySettings } from './_security-settings';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;
const R = 8, P = 1, LEN = 32;
/** stored hashes with a larger cost than this are refused rather than computed (a corrupt or hostile row) */
const MAX_N = 1 << 20;
const HASH_CONCURRENCY = 2;

interface Params { n: number; r: number; p: number }

const currentN = () => securitySettings.values.ACCOUNT_PASSWORD_SCRYPT_N;
/** scrypt needs 128·N·r·p bytes and a little more: room for twice that */
const maxmem = ({ n, r, p }: Params) => 256 * n * r * p + 1024 * 1024;

let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= HASH_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  else running += 1;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next(); // the slot passes on
    else running -= 1;
  }
}

const derive = (password: string, salt: Buffer, len: number, params: Params) =>
  limited(() => scrypt(password, salt, len, { N: params.n, r: params.r, p: params.p, maxmem: maxmem(params) }));

export async function hashPassword(password: string): Promise<string> {
  const params = { n: currentN(), r: R, p: P };
  const salt = crypto.randomBytes(16);
  const hash = await derive(password, salt, LEN, params);
  return `scrypt$${params.n}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function parse(stored: string): (Params & { salt: Buffer; hash: Buffer }) | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !hash) return undefined;
  const params = { n: Number(n), r: Number(r), p: Number(p) };
  const ok = Number.isInteger(params.n) && params.n >= 2 && params.n <= MAX_N && (params.n & (params.n - 1)) === 0
    && Number.isInteger(params.r) && params.r >= 1 && params.r <= 32 && Number.isInteger(params.p) && params.p >= 1 && params.p <= 16;
  return ok ? { ...params, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') } : undefined;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || !h.hash.length) return false;
  const actual = await derive(password, h.salt, h.hash.length, h);
  return crypto.timingSafeEqual(actual, h.hash);
}

/** Whether a stored hash was made with weaker parameters than new hashes get (redo it while the password is at hand). */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.n < currentN() || h.r !== R || h.p !== P || h.hash.length !== LEN;
}

const dummies = new Map<number, Promise<string>>();
/** A hash with the current parameters to compare against when the user does not exist, so both paths cost the same. */
export function dummyHash(): Promise<string> {
  const n = currentN();
  let d = dummies.get(n);
  if (!d) {
    d = hashPassword(crypto.randomBytes(16).toString('hex'));
    dummies.set(n, d);
  }
  return d;
}
