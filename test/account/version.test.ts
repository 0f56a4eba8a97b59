/** GET /account/system/version */
import fs from 'node:fs';
import path from 'node:path';
import { accountHarness, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

describe('version', () => {
  it('answers major 6, minor 20 and a non-empty build, without credentials', async () => {
    const res = await h.call('get', '/account/system/version');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ major: 6, minor: 20, build: expect.any(String) });
    expect(res.body.build.length).toBeGreaterThanOrEqual(1);
    expect(res.body.build.length).toBeLessThanOrEqual(64);
  });

  it('ignores query parameters it does not take (it documents no 400), including NUL-free garbage', async () => {
    for (const target of ['/account/system/version?x=1', '/account/system/version?&&&===&', '/account/system/version?zz=a%20b&x=2']) {
      const res = await h.call('get', target);
      expect({ target, status: res.status }).toEqual({ target, status: 200 });
      expect(res.body).toEqual({ major: 6, minor: 20, build: expect.any(String) });
    }
  });

  it('takes major and minor from package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    const [major, minor] = version.split('.').map(Number);
    const res = await h.call('get', '/account/system/version');
    expect([res.body.major, res.body.minor]).toEqual([major, minor]);
  });

  it('answers the same build on every call', async () => {
    const a = await h.call('get', '/account/system/version');
    const b = await h.call('get', '/account/system/version', { token: 'not.a.jwt' });
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });
});
