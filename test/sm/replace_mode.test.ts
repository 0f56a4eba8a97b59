import { MSG } from '../../handlers/sm/_errors';
import { BASE, createMode, effectiveSet, smHarness, window, world, type Harness } from './_fixtures';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
});
afterAll(() => h.close());

const put = (id: number | string, body: unknown, opts: { token?: string; query?: Record<string, string | boolean> } = {}) =>
  h.call('put', `${BASE}/${id}`, { token: opts.token ?? w.alice.token, body, query: opts.query });

describe('PUT rsm-maintenance/{id} (replace_mode)', () => {
  it('replaces the whole model of a planned mode (absent title and labels cleared) and rebuilds its scope', async () => {
    const mode = await createMode(h, w.alice.token, { title: 'Old', labels: { a: 'b' }, configItems: [{ id: 2 }] });
    const win = window(5, 6);
    const res = await put(mode.id, { ...win, configItems: [{ id: 3, scope: 'CiAndChildren', depth: 1 }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: mode.id, title: null, labels: {}, ...win, configItems: [{ id: 3, scope: 'CiAndChildren', depth: 1, state: 'Pending' }] });
    expect(await effectiveSet(h, mode.id)).toEqual([3, 5]);
    const history = await h.call('get', `${BASE}/${mode.id}/x-history`, { token: w.alice.token });
    expect(history.body.map((e: { action: string }) => e.action)).toEqual(['created', 'replaced']);
  });

  it('cancel: true on a planned mode cancels it (Cancelled, out of maintenance)', async () => {
    const mode = await createMode(h, w.alice.token, { ...window(1, 2), configItems: [{ id: 2 }] });
    const res = await put(mode.id, { ...window(1, 2), configItems: [{ id: 2 }], cancel: true });
    expect(res.status).toBe(200);
    expect(res.body.configItems[0].state).toBe('Cancelled');
    const [rows] = await h.sequelize.query('SELECT window_start = window_end AS empty FROM sm.mode_cis WHERE mode_id = :id', { replacements: { id: mode.id } });
    expect(rows).toEqual([{ empty: true }]);
  });

  it('cancel: true on an active mode ends it now (Completed); then it is frozen', async () => {
    const body = { ...window(-1, 2), configItems: [{ id: 2 }] };
    const mode = await createMode(h, w.alice.token, body);
    expect(mode.configItems[0].state).toBe('Active');
    const ended = await put(mode.id, { ...body, cancel: true });
    expect(ended.status).toBe(200);
    expect(ended.body.configItems[0].state).toBe('Completed');
    expect(Date.parse(ended.body.dateEnd)).toBeLessThanOrEqual(Date.now());
    expect(await put(mode.id, { ...body, cancel: true })).toMatchObject({ status: 400, body: { message: MSG.endedCannotEnd } });
    expect(await put(mode.id, { ...body, title: 'again' })).toMatchObject({ status: 400, body: { message: MSG.endedCannotChange } });
  });

  it('a started mode keeps its start, and cannot be cancelled together with other changes', async () => {
    const body = { ...window(-1, 2), configItems: [{ id: 2 }] };
    const mode = await createMode(h, w.alice.token, body);
    expect(await put(mode.id, { ...body, ...window(-2, 2) })).toMatchObject({ status: 400, body: { message: MSG.startedCannotMoveStart } });
    expect(await put(mode.id, { ...body, title: 'x', cancel: true })).toMatchObject({ status: 400, body: { message: MSG.startedCannotCancel } });
    const longer = await put(mode.id, { ...body, dateEnd: window(0, 5).dateEnd, title: 'extended' });
    expect(longer).toMatchObject({ status: 200, body: { title: 'extended' } });
  });

  it('400 rows shared with create, and an invalid mode id', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    expect(await put(mode.id, {})).toMatchObject({ status: 400, body: { message: MSG.emptyBody } });
    expect(await put(mode.id, { ...window(1, 2) })).toMatchObject({ status: 400, body: { message: MSG.noCis } });
    expect(await put(mode.id, { dateEnd: window(1, 2).dateEnd, configItems: [{ id: 2 }] })).toMatchObject({ status: 400, body: { message: MSG.noStart } });
    expect(await put(mode.id, { dateStart: window(1, 2).dateStart, configItems: [{ id: 2 }] })).toMatchObject({ status: 400, body: { message: MSG.noEnd } });
    expect(await put(mode.id, { ...window(3, 2), configItems: [{ id: 2 }] })).toMatchObject({ status: 400, body: { message: MSG.endBeforeStart } });
    expect(await put(mode.id, { ...window(1, 2), configItems: [{}] })).toMatchObject({ status: 400, body: { message: MSG.noCiId } });
    expect(await put(mode.id, { ...window(1, 2), configItems: [{ id: -4 }] })).toMatchObject({ status: 400, body: { message: MSG.invalidCiId } });
    expect(await put(mode.id, { ...window(1, 2), configItems: [{ id: 2, depth: 1000 }] })).toMatchObject({ status: 400, body: { message: MSG.invalidDepth } });
    expect(await put(mode.id, { ...window(1, 2), configItems: [{ id: 777 }] }, { query: { batchValidate: true } }))
      .toMatchObject({ status: 400, body: { message: MSG.cisNotFound } });
    expect(await put(mode.id, { ...window(1, 2), configItems: [{ id: 2 }], title: [] })).toMatchObject({ status: 400, body: { message: MSG.wrongModel } });
    expect(await put('x1', { ...window(1, 2), configItems: [{ id: 2 }] })).toMatchObject({ status: 400, body: { message: MSG.invalidModeId } });
  });

  it('401, 403 (not visible; visible without maintain right), 404, 415', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 5 }] });
    const body = { ...window(1, 2), configItems: [{ id: 5 }] };
    expect((await h.call('put', `${BASE}/${mode.id}`, { body })).status).toBe(401);
    expect(await put(mode.id, body, { token: w.carol.token })).toMatchObject({ status: 403, body: { message: MSG.forbiddenEdit } });
    expect(await put(mode.id, body, { token: w.bob.token })).toMatchObject({ status: 403, body: { message: MSG.forbiddenEdit } });
    expect(await put(55555555, body)).toMatchObject({ status: 404, body: { message: 'mode with ID 55555555 not found' } });
    const res = await h.call('put', `${BASE}/${mode.id}`, { token: w.alice.token, raw: '<x/>', contentType: 'application/xml' });
    expect(res).toMatchObject({ status: 415, body: { message: MSG.unsupportedMedia } });
  });
});
