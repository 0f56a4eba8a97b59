import { MSG } from '../../handlers/sm/_errors';
import { BASE, createMode, effectiveSet, smHarness, window, world, type Harness } from './_fixtures';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
});
afterAll(() => h.close());

const patch = (id: number | string, body: unknown, opts: { token?: string; query?: Record<string, string | boolean> } = {}) =>
  h.call('patch', `${BASE}/${id}`, { token: opts.token ?? w.alice.token, body, query: opts.query });

describe('PATCH rsm-maintenance/{id} (update_mode)', () => {
  it('changes only the fields sent', async () => {
    const mode = await createMode(h, w.alice.token, { title: 'Keep', labels: { a: '1' }, configItems: [{ id: 2 }] });
    const res = await patch(mode.id, { labels: { b: '2' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'Keep', labels: { b: '2' }, configItems: [{ id: 2 }] });
    const cleared = await patch(mode.id, { title: null });
    expect(cleared.body).toMatchObject({ title: null, labels: { b: '2' } });
  });

  it('a new scope rebuilds the effective set; batchValidate=false drops what the caller may not maintain', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    const res = await patch(mode.id, { configItems: [{ id: 5, scope: 'CiAndChildren', depth: 1 }, { id: 8 }] });
    expect(res.body.configItems.map((c: { id: number }) => c.id)).toEqual([5]);
    expect(await effectiveSet(h, mode.id)).toEqual([5, 6]);
  });

  it('the product\'s rules: start of a started mode, end before start, ended modes frozen', async () => {
    const mode = await createMode(h, w.alice.token, { ...window(-1, 3), configItems: [{ id: 2 }] });
    expect(await patch(mode.id, { dateStart: window(1, 1).dateStart })).toMatchObject({ status: 400, body: { message: MSG.startedCannotMoveStart } });
    expect(await patch(mode.id, { dateEnd: window(-2, -2).dateEnd })).toMatchObject({ status: 400, body: { message: MSG.endBeforeStart } });
    expect(await patch(mode.id, { title: 'x', cancel: true })).toMatchObject({ status: 400, body: { message: MSG.startedCannotCancel } });
    expect(await patch(mode.id, { cancel: true })).toMatchObject({ status: 200, body: { configItems: [{ state: 'Completed' }] } });
    expect(await patch(mode.id, { cancel: true })).toMatchObject({ status: 400, body: { message: MSG.endedCannotEnd } });
    expect(await patch(mode.id, { title: 'late' })).toMatchObject({ status: 400, body: { message: MSG.endedCannotChange } });
  });

  it('a cancelled planned mode is ended too', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    expect(await patch(mode.id, { cancel: true })).toMatchObject({ status: 200, body: { configItems: [{ state: 'Cancelled' }] } });
    expect(await patch(mode.id, { cancel: true })).toMatchObject({ status: 400, body: { message: MSG.endedCannotEnd } });
    expect(await patch(mode.id, { title: 'back' })).toMatchObject({ status: 400, body: { message: MSG.endedCannotChange } });
    const history = await h.call('get', `${BASE}/${mode.id}/x-history`, { token: w.alice.token });
    expect(history.body).toEqual([expect.objectContaining({ action: 'created' }), expect.objectContaining({ action: 'cancelled', actor: 'alice' })]);
  });

  it('400 rows: empty body, wrong model, CI id, depth, CIs not found, invalid id', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    expect(await patch(mode.id, {})).toMatchObject({ status: 400, body: { message: MSG.emptyBody } });
    expect((await h.call('patch', `${BASE}/${mode.id}`, { token: w.alice.token })).body).toEqual({ message: MSG.emptyBody });
    expect(await patch(mode.id, { labels: { a: 1 } })).toMatchObject({ status: 400, body: { message: MSG.wrongModel, bodyFields: { 'labels.a': expect.any(Array) } } });
    expect(await patch(mode.id, { configItems: [] })).toMatchObject({ status: 400, body: { message: MSG.noCis } });
    expect(await patch(mode.id, { configItems: [{ depth: 1 }] })).toMatchObject({ status: 400, body: { message: MSG.noCiId } });
    expect(await patch(mode.id, { configItems: [{ id: 1.5 }] })).toMatchObject({ status: 400, body: { message: MSG.invalidCiId } });
    expect(await patch(mode.id, { configItems: [{ id: 2, depth: 'deep' }] })).toMatchObject({ status: 400, body: { message: MSG.invalidDepth } });
    expect(await patch(mode.id, { configItems: [{ id: 8 }] })).toMatchObject({ status: 400, body: { message: MSG.cisNotFound } });
    expect(await patch(0, { title: 'x' })).toMatchObject({ status: 400, body: { message: MSG.invalidModeId } });
  });

  it('401, 403, 404, 415', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    expect((await h.call('patch', `${BASE}/${mode.id}`, { body: { title: 'x' } })).status).toBe(401);
    expect(await patch(mode.id, { title: 'x' }, { token: w.bob.token })).toMatchObject({ status: 403, body: { message: MSG.forbiddenEdit } });
    expect(await patch(44444444, { title: 'x' })).toMatchObject({ status: 404, body: { message: 'mode with ID 44444444 not found' } });
    expect(await h.call('patch', `${BASE}/${mode.id}`, { token: w.alice.token, raw: 'x', contentType: 'text/plain' })).toMatchObject({ status: 415 });
  });
});
