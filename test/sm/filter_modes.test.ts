import { MSG } from '../../handlers/sm/_errors';
import { BASE, createMode, smHarness, world, type Harness } from './_fixtures';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
const ids: number[] = [];
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
  ids.push((await createMode(h, w.alice.token, { dateStart: '2031-07-08T10:00:00+03:00', dateEnd: '2031-07-11T10:00:00+03:00', configItems: [{ id: 4 }] })).id);
  ids.push((await createMode(h, w.alice.token, { dateStart: '2031-07-09T10:00:00+03:00', dateEnd: '2031-07-12T10:00:00+03:00', configItems: [{ id: 3, scope: 'CiAndChildren', depth: 1 }] })).id);
  ids.push((await createMode(h, w.alice.token, { dateStart: '2031-07-10T10:00:00+03:00', dateEnd: '2031-07-13T10:00:00+03:00', configItems: [{ id: 6 }] })).id);
});
afterAll(() => h.close());

const filter = (body: unknown, token = w.alice.token, query: Record<string, string | number> = {}) =>
  h.call('post', `${BASE}/filter`, { token, body, query });
const idsOf = (res: { body: Array<{ id: number }> }) => res.body.map((m) => m.id);

describe('POST rsm-maintenance/filter (filter_modes)', () => {
  it('ids: OR inside the list', async () => {
    expect(idsOf(await filter({ ids: [ids[0], ids[2], 99999] }))).toEqual([ids[0], ids[2]]);
  });
  it('configItemIds match the effective scope (5 is a child of 3)', async () => {
    expect(idsOf(await filter({ configItemIds: [5] }))).toEqual([ids[1]]);
    expect(idsOf(await filter({ configItemIds: [4, 6] }))).toEqual([ids[0], ids[2]]);
  });
  it('AND between lists', async () => {
    expect(idsOf(await filter({ ids: [ids[0], ids[1]], configItemIds: [4, 6] }))).toEqual([ids[0]]);
  });
  it('dateStart and dateEnd conditions compare instants', async () => {
    expect(idsOf(await filter({ dateStart: { lessThanOrEqual: '2031-07-09T07:00:00Z' } }))).toEqual([ids[0], ids[1]]);
    expect(idsOf(await filter({ dateEnd: { moreThanOrEqual: '2031-07-12T10:00:00+03:00', lessThanOrEqual: '2031-07-12T10:00:00+03:00' } }))).toEqual([ids[1]]);
    expect(idsOf(await filter({ dateStart: { Equal: '2031-07-10T07:00:00+00:00' } }))).toEqual([ids[2]]);
  });
  it('paging headers as for the list', async () => {
    const res = await filter({ ids }, w.alice.token, { perPage: 2, page: 2 });
    expect(idsOf(res)).toEqual([ids[2]]);
    expect(res.headers).toMatchObject({ 'x-total': '3', 'x-total-filtered': '3', 'x-page': '2', 'x-total-pages': '2' });
    expect(res.headers.link).toContain(`<${BASE}/filter?page=1&perPage=2>; rel="first"`);
  });
  it('400: an empty filter', async () => {
    for (const body of [{}, { ids: [] }, { dateStart: {} }]) {
      expect(await filter(body)).toMatchObject({ status: 400, body: { message: MSG.emptyFilter } });
    }
  });
  it('400: wrong data model', async () => {
    const res = await filter({ ids: ['a'], other: 1 });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(MSG.wrongModel);
    expect(Object.keys(res.body.bodyFields).sort()).toEqual(['ids.0', 'other']);
  });
  it('403: no view rights at all, or none on the CIs asked about', async () => {
    expect(await filter({ ids }, w.carol.token)).toMatchObject({ status: 403, body: { message: MSG.forbiddenFilter } });
    expect(await filter({ configItemIds: [2, 4] }, w.bob.token)).toMatchObject({ status: 403, body: { message: MSG.forbiddenFilter } });
  });
  it('415: not JSON', async () => {
    const res = await h.call('post', `${BASE}/filter`, { token: w.alice.token, raw: 'ids=1', contentType: 'application/x-www-form-urlencoded' });
    expect(res).toMatchObject({ status: 415, body: { message: MSG.unsupportedMedia } });
  });
});
