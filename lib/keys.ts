/**
 * Secret keys kept outside the database whose data they protect (a JWT signing secret, an encryption key, the
 * application role's database password): a single read of the database must not hand out the key to its own data.
 *
 * A key is, in this order: the environment variable the caller names (production: the environment or a key manager
 * that fills it); otherwise the file `<KEYS_DIR>/<name>.key` (KEYS_DIR default `<DATA_DIR>/keys`, folder 0700, file
 * 0600), made on first use with a warning naming the file. Several processes agree on one key: a new key is written to
 * a private temporary file opened with O_EXCL and published with link(2), which never replaces an existing file, so the
 * first writer wins and every other process reads the winner's complete file. Several machines must share KEYS_DIR
 * (or set the variables): each would otherwise make its own key.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { config, projectRoot } from './config';
import { logger } from './logger';

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** one line of visible ASCII: what a key file may hold */
const VALUE = /^[\x21-\x7e]+$/;

/** Where key files live: KEYS_DIR (relative to the project), else `<DATA_DIR>/keys`. */
export function keysDir(): string {
  const dir = process.env.KEYS_DIR;
  return dir ? path.resolve(projectRoot, dir) : path.join(config.dataDir, 'keys');
}

export function keyFilePath(name: string): string {
  if (!NAME.test(name)) throw new Error(`not a key name: ${JSON.stringify(name)}`);
  return path.join(keysDir(), `${name}.key`);
}

export interface SecretKeyOptions {
  /** an environment variable that, when set and not empty, is the key (and no file is read or made) */
  env?: string;
  /** a new key, one line of visible ASCII, made only when neither the variable nor the file exists */
  generate: () => string;
}

/** The key `name`: the environment variable, else its key file, made with `generate` (and a warning) when missing. */
export async function secretKey(name: string, opts: SecretKeyOptions): Promise<string> {
  const fromEnv = opts.env ? process.env[opts.env] : undefined;
  if (fromEnv) return fromEnv;
  const { value, file, created } = ensureKeyFile(name, opts.generate);
  if (created) {
    logger.warn({ key: name, file },
      `generated the secret key ${name} in ${file}: back it up (losing it loses what it protects)` +
      `${opts.env ? `; set ${opts.env} or` : '; set'} KEYS_DIR to storage every server process shares when there are several machines`);
  }
  return value;
}

/** The key file's value; undefined when there is none. An empty or multi-line file is refused, never replaced. */
export function readKeyFile(name: string): string | undefined {
  const file = keyFilePath(name);
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const value = raw.replace(/\r?\n$/, '');
  if (!VALUE.test(value)) throw new Error(`key file ${file} must hold one line of visible ASCII (is it damaged?)`);
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) logger.warn({ file, mode: mode.toString(8) }, `key file ${file} is readable by others: chmod 600 it`);
  return value;
}

/**
 * The key file of `name`, made from `make()` when missing. `created` says whether this call wrote it; when another
 * process wrote it first, its value is returned and `make()`'s is dropped.
 */
export function ensureKeyFile(name: string, make: () => string): { value: string; file: string; created: boolean } {
  const file = keyFilePath(name);
  const existing = readKeyFile(name);
  if (existing !== undefined) return { value: existing, file, created: false };

  const value = make();
  if (!VALUE.test(value)) throw new Error(`key ${name}: a key must be one line of visible ASCII`);
  const dir = path.dirname(file);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const tmp = path.join(dir, `.${name}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  let created = false;
  try {
    try {
      fs.writeSync(fd, `${value}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.linkSync(tmp, file); // atomic, and fails with EEXIST rather than replace another process's key
    created = true;
    syncDir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  if (created) return { value, file, created };
  const winner = readKeyFile(name);
  if (winner === undefined) throw new Error(`key file ${file} vanished while it was being made`);
  return { value: winner, file, created: false };
}

/** So a new file's name survives a crash (best effort: not every file system lets a folder be opened). */
function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* the file itself is synced */
  }
}
