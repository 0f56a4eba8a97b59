import { MSG } from '../../handlers/sm/_errors';
import { BASE, createMode, smHarness, window, world, type Harness } from './_fixtures';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
let ids: number[];
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
  ids = [];
  // 7 modes visible to alice; 3 of them (on CI 5) visible to bob too; one on CI 8 only bob sees
  for (let i = 0; i < 7; i++) {
    const ci = i < 3 ? 5 : 4;
    const m = await createMode(h, w.alice.token, { ...window(i + 1, i + 10), title: `Mode ${i}`, configItems: [{ id: ci }], labels: i === 6 ? { team: 'storage' } : {} });
    ids.push(m.id);
  }
  await createMode(h, w.bob.token, { title: 'Bob only', configItems: [{ id: 8 }] });
});
afterAll(() => h.close());

const list = (query: Record<string, string | number>, token = w.alice.token) => h.call('get', BASE, { token, query });
const relsOf = (link: string) => Object.fromEntries(link.split(', ').map((part) => {
  const m = /^<([^>]+)>; rel="(\w+)"$/.exec(part)!;
  return [m[2], Number(new URL(m[1], 'http://x').searchParams.get('page'))];
}));

describe('GET rsm-maintenance (list_modes)', () => {
  it('paging headers and Link on the first, a middle, the last and a past-the-end page', async () => {
    const first = await list({ perPage: 3 });
    expect(first.status).toBe(200);
    expect(first.body.map((m: { id: number }) => m.id)).toEqual(ids.slice(0, 3));
    expect(first.headers).toMatchObject({ 'x-total': '7', 'x-total-filtered': '7', 'x-per-page': '3', 'x-page': '1', 'x-total-pages': '3' });
    expect(relsOf(first.headers.link)).toEqual({ first: 1, next: 2, last: 3 });

    const middle = await list({ perPage: 3, page: 2 });
    expect(middle.body.map((m: { id: number }) => m.id)).toEqual(ids.slice(3, 6));
    expect(relsOf(middle.headers.link)).toEqual({ first: 1, prev: 1, next: 3, last: 3 });

    const last = await list({ perPage: 3, page: 3 });
    expect(last.body.map((m: { id: number }) => m.id)).toEqual(ids.slice(6));
    expect(relsOf(last.headers.link)).toEqual({ first: 1, prev: 2, last: 3 });

    const past = await list({ perPage: 3, page: 9 });
    expect(past.body).toEqual([]);
    expect(past.headers).toMatchObject({ 'x-page': '9', 'x-total-pages': '3' });
    expect(relsOf(past.headers.link)).toEqual({ first: 1, prev: 3, last: 3 });
    expect(past.headers.link).toContain(`<${BASE}?page=1&perPage=3>; rel="first"`);
  });

  it('perPage=-1 answers every visible mode in one (streamed) page', async () => {
    const all = await list({ perPage: -1 });
    expect(all.status).toBe(200);
    expect(all.body.map((m: { id: number }) => m.id)).toEqual(ids);
    expect(all.headers).toMatchObject({ 'x-per-page': '-1', 'x-page': '1', 'x-total-pages': '1', 'x-total': '7' });
    expect(relsOf(all.headers.link)).toEqual({ first: 1, last: 1 });
  });

  it('skip shifts the pages', async () => {
    const res = await list({ perPage: 2, skip: 5 });
    expect(res.body.map((m: { id: number }) => m.id)).toEqual(ids.slice(5, 7));
    expect(res.headers['x-total-pages']).toBe('1');
  });

  it('visibility: bob sees the modes on CI 5 and his own, never those on CI 4', async () => {
    const res = await list({}, w.bob.token);
    expect(res.body.map((m: { title: string }) => m.title)).toEqual(['Mode 0', 'Mode 1', 'Mode 2', 'Bob only']);
    expect(res.headers['x-total']).toBe('4');
  });

  it('search: title, mode id, CI id in scope, label key and value', async () => {
    expect((await list({ search: 'mode 4' })).body.map((m: { id: number }) => m.id)).toEqual([ids[4]]);
    expect((await list({ search: String(ids[2]) })).body.map((m: { id: number }) => m.id)).toContain(ids[2]);
    expect((await list({ search: '5' })).body.map((m: { id: number }) => m.id)).toEqual(expect.arrayContaining(ids.slice(0, 3)));
    expect((await list({ search: 'storage' })).body.map((m: { id: number }) => m.id)).toEqual([ids[6]]);
    const byKey = await list({ search: 'team' });
    expect(byKey.body.map((m: { id: number }) => m.id)).toEqual([ids[6]]);
    expect(byKey.headers).toMatchObject({ 'x-total': '7', 'x-total-filtered': '1' });
    expect((await list({ search: '%' })).body).toEqual([]);
  });

  it('sort on every scalar field, both directions', async () => {
    expect((await list({ sortCol: 'id', sortDir: 'desc' })).body.map((m: { id: number }) => m.id)).toEqual([...ids].reverse());
    expect((await list({ sortCol: 'dateStart', sortDir: 'desc' })).body.map((m: { id: number }) => m.id)).toEqual([...ids].reverse());
    expect((await list({ sortCol: 'dateEnd' })).body.map((m: { id: number }) => m.id)).toEqual(ids);
    expect((await list({ sortCol: 'title', sortDir: 'desc' })).body.map((m: { title: string }) => m.title)).toEqual(
      ['Mode 6', 'Mode 5', 'Mode 4', 'Mode 3', 'Mode 2', 'Mode 1', 'Mode 0']);
  });

  it('400 with queryFields for bad paging parameters', async () => {
    for (const [query, field] of [[{ perPage: 0 }, 'perPage'], [{ page: 0 }, 'page'], [{ sortCol: 'configItems' }, 'sortCol'], [{ perPage: -2 }, 'perPage']] as const) {
      const res = await list(query);
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(MSG.queryError);
      expect(Object.keys(res.body.queryFields)).toEqual([field]);
    }
  });

  it('visibility follows grants and their revocation', async () => {
    const { commands } = await import('../../handlers/sm/_admin');
    await commands.grant.run({ workspace: w.workspace, login: 'carol', ci: '4', right: 'view' }, h.sequelize);
    const seen = await list({}, w.carol.token);
    expect(seen.body.map((m: { id: number }) => m.id)).toEqual(ids.slice(3));
    expect(seen.headers['x-total']).toBe('4');
    await commands['revoke-grant'].run({ workspace: w.workspace, login: 'carol', ci: '4' }, h.sequelize);
    expect((await list({}, w.carol.token)).status).toBe(403);
  });

  it('403 for a user who may view no CI', async () => {
    expect(await list({}, w.carol.token)).toMatchObject({ status: 403, body: { message: MSG.forbiddenList } });
  });
});
