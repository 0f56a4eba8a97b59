/** pass_hash at rest (handlers/b2b/_crypto.ts): AES-256-GCM, key from B2B_SECRET_KEY or generated once into a key file (lib/keys.ts). */
import crypto from 'node:crypto';
import { encryptionKey, openPassHash, sealPassHash } from '../../handlers/b2b/_crypto';
import { readKeyFile } from '../../lib/keys';
import { b2bHarness, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await b2bHarness(); });
afterAll(async () => {
  delete process.env.B2B_SECRET_KEY;
  await h.close();
});

describe('pass_hash encryption', () => {
  it('round-trips, with a fresh IV every time', async () => {
    const a = await sealPassHash('u@d', 'ICy5YqxZB1uWSwcVLSNLcA==');
    const b = await sealPassHash('u@d', 'ICy5YqxZB1uWSwcVLSNLcA==');
    expect(a).not.toBe(b);
    expect(await openPassHash('u@d', a)).toBe('ICy5YqxZB1uWSwcVLSNLcA==');
    expect(await openPassHash('u@d', b)).toBe('ICy5YqxZB1uWSwcVLSNLcA==');
  });

  it('refuses a ciphertext that was altered, belongs to another uid, or has an unknown format', async () => {
    const sealed = await sealPassHash('u@d', 'secret');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    await expect(openPassHash('u@d', `v1:${raw.toString('base64')}`)).rejects.toThrow();
    await expect(openPassHash('other@d', sealed)).rejects.toThrow();
    await expect(openPassHash('u@d', 'plain-text')).rejects.toThrow(/format/);
  });

  it('without B2B_SECRET_KEY uses one generated key, kept in the key file b2b.pass_hash_key (lib/keys.ts)', async () => {
    const key = await encryptionKey();
    expect(key.length).toBe(32);
    expect(Buffer.from(readKeyFile('b2b.pass_hash_key')!.trim(), 'base64').equals(key)).toBe(true);
    expect((await encryptionKey()).equals(key)).toBe(true);
  });

  it('with B2B_SECRET_KEY (hex or base64) uses that key; ciphertexts of another key do not open', async () => {
    const stored = await sealPassHash('u@d', 'secret');
    const key = crypto.randomBytes(32);
    for (const written of [key.toString('hex'), key.toString('base64')]) {
      process.env.B2B_SECRET_KEY = written;
      try {
        expect((await encryptionKey()).equals(key)).toBe(true);
        expect(await openPassHash('u@d', await sealPassHash('u@d', 'secret'))).toBe('secret');
        await expect(openPassHash('u@d', stored)).rejects.toThrow();
      } finally {
        delete process.env.B2B_SECRET_KEY;
      }
    }
    process.env.B2B_SECRET_KEY = 'too short';
    try {
      await expect(sealPassHash('u@d', 'x')).rejects.toThrow(/B2B_SECRET_KEY must be 32 bytes/);
    } finally {
      delete process.env.B2B_SECRET_KEY;
    }
  });
});
