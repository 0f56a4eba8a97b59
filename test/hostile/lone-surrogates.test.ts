/**
 * Unpaired surrogates in JSON strings (a lone \ud800 escape): each service's documented 400 naming the field, and
 * nothing written (found by a hostile-input probe: sm and b2b answered 500 from PostgreSQL's json, account stored
 * U+FFFD while answering what was sent). A surrogate pair (an emoji) is kept as sent.
 */
import { findLoneSurrogate } from '../../lib/http/body';
import { MSG } from '../../handlers/sm/_errors';
import { accountHarness, createUser } from '../account/_fixtures';
import { adminWorld, as, b2bHarness, count, expectFailure } from '../b2b/_fixtures';
import { BASE, smHarness, window, world } from '../sm/_fixtures';

const LONE = ['ab\udc00cd', '\ud800', 'x\ud83d'];

it('findLoneSurrogate names the first key or string holding one', () => {
  expect(findLoneSurrogate({ a: 'ok', b: ['\ud83d\ude00', { c: 'y\ud800' }] })).toBe('b.1.c');
  expect(findLoneSurrogate({ ['k\udc00']: 1 })).toBe('k\ufffd');
  expect(findLoneSurrogate({ a: '\ud83d\ude00', b: [1, null, true] })).toBeUndefined();
});

describe('account', () => {
  it('PUT /account/info: 400 naming the field, the stored name unchanged; a pair is kept', async () => {
    const h = await accountHarness();
    try {
      const u = await createUser(h, { name: 'Before' });
      for (const name of LONE) {
        const res = await h.call('put', '/account/info', { token: u.token, body: { username: u.username, company_key: u.companyKey, name } });
        expect({ name, status: res.status }).toEqual({ name, status: 400 });
        expect(res.body.tracedata).toBeDefined();
        expect(res.body.message).toMatch(/^name: an unpaired surrogate/);
      }
      expect((await h.call('get', '/account/info', { token: u.token })).body.name).toBe('Before');
      const ok = await h.call('put', '/account/info', { token: u.token, body: { username: u.username, company_key: u.companyKey, name: 'smile \ud83d\ude00' } });
      expect({ status: ok.status, message: ok.body.message }).toEqual({ status: 200, message: undefined });
      expect((await h.call('get', '/account/info', { token: u.token })).body.name).toBe('smile \ud83d\ude00');
    } finally {
      await h.close();
    }
  });
});

describe('b2b', () => {
  it('POST domain/users: 400 DataValidationError, no user written', async () => {
    const h = await b2bHarness();
    try {
      const { domain, admin } = await adminWorld(h);
      for (const data of [{ k: '\ud800' }, { ['\udc00']: 'v' }]) {
        const uid = `lone@${domain}`;
        const res = await h.call('post', '/b2b/api/v1/domain/users', { ...as(admin.header), body: { data: [{ uid, name: 'n', data }] } });
        expectFailure(res, 400, 'Data', 'DataValidationError');
        expect(await count(h, 'users', 'uid = :u', { u: uid })).toBe(0);
      }
    } finally {
      await h.close();
    }
  });
});

describe('sm', () => {
  it('create: 400 wrong model naming the field, nothing written; a NUL in the query is a query error', async () => {
    const h = await smHarness();
    try {
      const w = await world(h);
      for (const [field, body] of [
        ['title', { title: '\ud800' }], ['title', { title: 'ab\udc00cd' }], ['labels.x1', { labels: { x1: '\ud800' } }],
      ] as const) {
        const res = await h.call('post', BASE, { token: w.alice.token, body: { ...window(1, 2), configItems: [{ id: 2 }], ...body } });
        expect({ field, status: res.status }).toEqual({ field, status: 400 });
        expect(res.body.message).toBe(MSG.wrongModel);
        expect(Object.keys(res.body.bodyFields)).toEqual([field]);
      }
      const [[n]] = await h.sequelize.query('SELECT count(*)::int AS n FROM sm.modes WHERE workspace = :ws', { replacements: { ws: w.workspace } });
      expect(n).toEqual({ n: 0 });
      const q = await h.call('get', `${BASE}?search=a%00b`, { token: w.alice.token });
      expect(q.status).toBe(400);
      expect(q.body.message).toBe(MSG.queryError);
    } finally {
      await h.close();
    }
  });
});
