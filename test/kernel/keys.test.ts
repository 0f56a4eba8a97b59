/**
 * Keys outside the database (lib/keys.ts; issue 11, item 5): an environment variable wins; otherwise a 0600 file in a
 * 0700 KEYS_DIR, made once with a warning naming it, reused by later starts, agreed on by processes racing to make it;
 * and migration 20261202-0300 moves a key stored in a settings table to its file so old tokens and ciphertexts stay
 * valid, refusing when the file already holds another key.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { QueryTypes, Sequelize } from 'sequelize';
import { projectRoot } from '../../lib/config';
import { ensureKeyFile, keyFilePath, keysDir as currentKeysDir, readKeyFile, secretKey } from '../../lib/keys';
import { logger } from '../../lib/logger';
import { down, up } from '../../models/migrations/20261202-0300-keys-out-of-database';
import { jwtSecret } from '../../handlers/account/_tokens';
import { encryptionKey, openPassHash, sealPassHash } from '../../handlers/b2b/_crypto';
import { accountHarness, createUser, type Harness } from '../account/_fixtures';

// keys are read at first use, never at import: set before any test runs
const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformant-keys-'));
process.env.KEYS_DIR = keysDir;
delete process.env.ACCOUNT_JWT_SECRET;
delete process.env.B2B_SECRET_KEY;

const fresh = () => `t${crypto.randomBytes(4).toString('hex')}`;
const mode = (p: string) => fs.statSync(p).mode & 0o777;

afterAll(() => {
  delete process.env.KEYS_DIR;
  fs.rmSync(keysDir, { recursive: true, force: true });
});

describe('secretKey', () => {
  it('takes the environment variable when it is set, and then reads and makes no file', async () => {
    const name = fresh();
    process.env.CONFORMANT_TEST_KEY = 'from-the-environment';
    try {
      const generate = jest.fn(() => 'generated');
      expect(await secretKey(name, { env: 'CONFORMANT_TEST_KEY', generate })).toBe('from-the-environment');
      expect(generate).not.toHaveBeenCalled();
      expect(fs.existsSync(keyFilePath(name))).toBe(false);
    } finally {
      delete process.env.CONFORMANT_TEST_KEY;
    }
    // an empty variable counts as unset
    process.env.CONFORMANT_TEST_KEY = '';
    try {
      expect(await secretKey(name, { env: 'CONFORMANT_TEST_KEY', generate: () => 'generated' })).toBe('generated');
    } finally {
      delete process.env.CONFORMANT_TEST_KEY;
    }
  });

  it('makes a 0600 file in a 0700 KEYS_DIR once, warns naming it, and reuses it on every later start', async () => {
    const sub = path.join(keysDir, 'nested', 'keys');
    process.env.KEYS_DIR = sub;
    const warn = jest.spyOn(logger, 'warn');
    try {
      const name = fresh();
      const first = await secretKey(name, { env: 'CONFORMANT_TEST_UNSET', generate: () => 'k1-abc' });
      expect(first).toBe('k1-abc');
      const file = path.join(sub, `${name}.key`);
      expect(fs.readFileSync(file, 'utf8')).toBe('k1-abc\n');
      expect(mode(file)).toBe(0o600);
      expect(mode(sub)).toBe(0o700);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][1])).toContain(file);
      expect(String(warn.mock.calls[0][1])).toContain('CONFORMANT_TEST_UNSET');

      // a restart: the file is read, nothing is generated, nothing is said
      const generate = jest.fn(() => 'k2-other');
      expect(await secretKey(name, { generate })).toBe('k1-abc');
      expect(generate).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(fs.readdirSync(sub)).toEqual([`${name}.key`]); // no temporary file left behind
    } finally {
      warn.mockRestore();
      process.env.KEYS_DIR = keysDir;
    }
  });

  it('defaults to <DATA_DIR>/keys', () => {
    const saved = { KEYS_DIR: process.env.KEYS_DIR, DATA_DIR: process.env.DATA_DIR };
    try {
      delete process.env.KEYS_DIR;
      process.env.DATA_DIR = '/srv/conformant-data';
      expect(currentKeysDir()).toBe('/srv/conformant-data/keys');
      process.env.KEYS_DIR = 'relative/keys';
      expect(currentKeysDir()).toBe(path.join(projectRoot, 'relative/keys'));
    } finally {
      process.env.KEYS_DIR = saved.KEYS_DIR;
      if (saved.DATA_DIR === undefined) delete process.env.DATA_DIR;
      else process.env.DATA_DIR = saved.DATA_DIR;
    }
  });

  it('leaves the key of a writer that got there first: the loser reads the winner\'s key', () => {
    const name = fresh();
    const result = ensureKeyFile(name, () => {
      // another process publishes its key between this one's look and its write
      fs.writeFileSync(keyFilePath(name), 'winner\n', { mode: 0o600 });
      return 'loser';
    });
    expect(result).toEqual({ value: 'winner', file: keyFilePath(name), created: false });
    expect(fs.readFileSync(keyFilePath(name), 'utf8')).toBe('winner\n');
  });

  it('gives processes racing to make a key one and the same key', async () => {
    const name = fresh();
    const script = `require('${path.join(projectRoot, 'lib/keys.ts')}').secretKey('${name}', { generate: () => require('node:crypto').randomBytes(16).toString('hex') }).then((k) => process.stdout.write(k))`;
    const run = () => promisify(execFile)(path.join(projectRoot, 'node_modules/.bin/tsx'), ['-e', script],
      { env: { ...process.env, KEYS_DIR: keysDir, LOG_LEVEL: 'silent' } });
    const outs = await Promise.all([run(), run(), run(), run()]);
    const keys = new Set(outs.map((o) => o.stdout));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f]{32}$/);
    expect(readKeyFile(name)).toBe([...keys][0]);
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    const name = fresh();
    fs.writeFileSync(keyFilePath(name), '', { mode: 0o600 });
    await expect(secretKey(name, { generate: () => 'new' })).rejects.toThrow(/one line of visible ASCII/);
    expect(fs.readFileSync(keyFilePath(name), 'utf8')).toBe('');
  });
});

describe('migration 20261202-0300: keys stored in the settings tables move to their files', () => {
  let h: Harness;
  let owner: Sequelize;
  const ctx = () => ({ context: owner.getQueryInterface() });
  beforeAll(async () => {
    h = await accountHarness();
    owner = new Sequelize(process.env.DATABASE_URL!, { logging: false });
  });
  afterAll(async () => {
    await h.close();
    await owner.close();
  });

  const tables = async () => owner.query<{ account: string | null; b2b: string | null }>(
    "SELECT to_regclass('account.settings')::text AS account, to_regclass('b2b.settings')::text AS b2b", { type: QueryTypes.SELECT, plain: true });

  it('refuses, deleting nothing, when a key file already holds another key', async () => {
    const saved = process.env.KEYS_DIR;
    process.env.KEYS_DIR = path.join(keysDir, 'conflict');
    try {
      await down(ctx()); // an existing deployment: the settings tables, a key in one of them
      await owner.query("INSERT INTO b2b.settings (key, value) VALUES ('pass_hash_key', :v)", { replacements: { v: crypto.randomBytes(32).toString('base64') } });
      ensureKeyFile('b2b.pass_hash_key', () => crypto.randomBytes(32).toString('base64'));
      const fileBefore = readKeyFile('b2b.pass_hash_key');
      await expect(up(ctx())).rejects.toThrow(/b2b\.settings holds the key pass_hash_key, and the key file .*b2b\.pass_hash_key\.key holds another one/);
      const [row] = await owner.query<{ n: number }>("SELECT count(*)::int AS n FROM b2b.settings WHERE key = 'pass_hash_key'", { type: QueryTypes.SELECT });
      expect(row.n).toBe(1);
      expect(readKeyFile('b2b.pass_hash_key')).toBe(fileBefore);
      await owner.query('DELETE FROM b2b.settings');
      await up(ctx());
    } finally {
      process.env.KEYS_DIR = saved;
    }
    expect(await tables()).toEqual({ account: null, b2b: null });
  });

  it('keeps tokens signed and pass_hash sealed with the stored keys valid, and drops the emptied tables', async () => {
    await down(ctx());
    const oldJwt = crypto.randomBytes(48).toString('base64url');
    const oldB2b = crypto.randomBytes(32).toString('base64');
    await owner.query("INSERT INTO account.settings (key, value) VALUES ('jwt_secret', :v)", { replacements: { v: oldJwt } });
    await owner.query("INSERT INTO b2b.settings (key, value) VALUES ('pass_hash_key', :v)", { replacements: { v: oldB2b } });
    // made before the move, with the stored key
    process.env.B2B_SECRET_KEY = oldB2b;
    const sealed = await sealPassHash('old@d', 'ICy5YqxZB1uWSwcVLSNLcA==');
    delete process.env.B2B_SECRET_KEY;

    await up(ctx());

    expect(await tables()).toEqual({ account: null, b2b: null });
    expect(readKeyFile('account.jwt_secret')).toBe(oldJwt);
    expect(readKeyFile('b2b.pass_hash_key')).toBe(oldB2b);
    expect(mode(keyFilePath('account.jwt_secret'))).toBe(0o600);

    expect((await jwtSecret()).export().toString('utf8')).toBe(oldJwt);
    expect((await encryptionKey()).equals(Buffer.from(oldB2b, 'base64'))).toBe(true);
    expect(await openPassHash('old@d', sealed)).toBe('ICy5YqxZB1uWSwcVLSNLcA==');

    // a token issued before the move (signed with the stored secret) still opens the account
    const user = await createUser(h);
    const [{ ep }] = await owner.query<{ ep: number }>('SELECT token_epoch AS ep FROM account.users WHERE username = :u',
      { replacements: { u: user.username }, type: QueryTypes.SELECT });
    const old = jwt.sign({ sub: user.username, ck: user.companyKey, roles: ['USER'], ep }, oldJwt,
      { algorithm: 'HS256', expiresIn: 300, issuer: 'conformant-account' });
    const res = await h.call('get', '/account/info', { token: old });
    expect(res.status).toBe(200);
    // and one signed with any other secret does not
    const forged = jwt.sign({ sub: user.username, ck: user.companyKey, roles: ['USER'], ep }, 'guessed',
      { algorithm: 'HS256', expiresIn: 300, issuer: 'conformant-account' });
    expect((await h.call('get', '/account/info', { token: forged })).status).toBe(401);
  });
});
