import { MSG } from '../../handlers/sm/_errors';
import { BASE, createMode, createUser, grant, importGraph, smHarness, world, type Harness } from './_fixtures';
import { unique } from '../support/harness';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
});
afterAll(() => h.close());

describe('GET rsm-maintenance/{id} (read_mode)', () => {
  it('visibility with overlapping rights: a CI of the effective scope visible is enough', async () => {
    // alice maintains 1..7; bob views 3, 5, 6, 7
    const onLeft = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] }); // {2}: alice only
    const onShared = await createMode(h, w.alice.token, { configItems: [{ id: 2, scope: 'CiAndChildren', depth: 1 }] }); // {2,4,5}: both
    expect((await h.call('get', `${BASE}/${onLeft.id}`, { token: w.alice.token })).status).toBe(200);
    const hidden = await h.call('get', `${BASE}/${onLeft.id}`, { token: w.bob.token });
    expect(hidden).toMatchObject({ status: 403, body: { message: MSG.forbiddenRead } });
    const shared = await h.call('get', `${BASE}/${onShared.id}`, { token: w.bob.token });
    expect(shared.status).toBe(200);
    expect(shared.body.id).toBe(onShared.id);
  });

  it('404: mode with ID {id} not found', async () => {
    const res = await h.call('get', `${BASE}/987654321`, { token: w.alice.token });
    expect(res).toMatchObject({ status: 404, body: { message: 'mode with ID 987654321 not found' } });
  });

  it('400: an id that is not a positive integer', async () => {
    for (const id of ['abc', '0', '-1']) {
      const res = await h.call('get', `${BASE}/${id}`, { token: w.alice.token });
      expect(res).toMatchObject({ status: 400, body: { message: MSG.invalidModeId } });
    }
  });

  it('another workspace\'s mode does not exist for the caller (row-level security)', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    const other = unique('ws');
    await importGraph(h, other);
    const eve = await createUser(h, other, 'eve');
    await grant(h, other, 'eve', 1, 'maintain', true);
    const res = await h.call('get', `${BASE}/${mode.id}`, { token: eve.token });
    expect(res).toMatchObject({ status: 404, body: { message: `mode with ID ${mode.id} not found` } });
  });

  it('401 without a token', async () => {
    const res = await h.call('get', `${BASE}/1`);
    expect(res).toMatchObject({ status: 401, body: { message: MSG.unauthorized } });
  });

  it('405 with Allow for an undocumented method', async () => {
    const res = await h.call('delete', `${BASE}/1`, { token: w.alice.token });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, PATCH');
  });
});

describe('the literal path rsm-maintenance/filter', () => {
  it('answers 405 with Allow: POST to other methods (not an invalid mode id)', async () => {
    for (const method of ['get', 'put', 'patch'] as const) {
      const res = await h.call(method, `${BASE}/filter`, { token: w.alice.token });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    }
  });
});
