import { MSG } from '../../handlers/sm/_errors';
import { BASE, createMode, effectiveSet, smHarness, window, world, type Harness } from './_fixtures';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
});
afterAll(() => h.close());

const post = (body: unknown, opts: { token?: string; query?: Record<string, string | boolean> } = {}) =>
  h.call('post', BASE, { token: opts.token ?? w.alice.token, body, query: opts.query });
const valid = (over: Record<string, unknown> = {}) => ({ ...window(1, 3), title: 'Upgrade', configItems: [{ id: 2 }], labels: { team: 'db' }, ...over });

describe('POST rsm-maintenance (create_mode)', () => {
  it('201: creates the mode, answered with its CI entries, state and the offsets as given', async () => {
    const res = await post({ dateStart: '2031-07-09T10:56:17+03:00', dateEnd: '2031-07-12T10:56:17+03:00', title: 'Test Service Mode',
      configItems: [{ id: 1, scope: 'CiAndChildren', depth: 3 }], labels: { x1: 'y1', x2: 'y2' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number), dateStart: '2031-07-09T10:56:17+03:00', dateEnd: '2031-07-12T10:56:17+03:00', title: 'Test Service Mode',
      configItems: [{ id: 1, scope: 'CiAndChildren', depth: 3, state: 'Pending', dateStart: '2031-07-09T10:56:17+03:00', dateEnd: '2031-07-12T10:56:17+03:00' }],
      labels: { x1: 'y1', x2: 'y2' },
    });
    const read = await h.call('get', `${BASE}/${res.body.id}`, { token: w.alice.token });
    expect(read.body).toEqual(res.body);
  });

  it('defaults: scope Ci, depth 0, title null, labels {}; a mode that started already is Active', async () => {
    const res = await post({ ...window(-1, 1), configItems: [{ id: 4 }] });
    expect(res.status).toBe(201);
    expect(res.body.title).toBeNull();
    expect(res.body.labels).toEqual({});
    expect(res.body.configItems).toEqual([expect.objectContaining({ id: 4, scope: 'Ci', depth: 0, state: 'Active' })]);
  });

  describe('scope expansion over the DAG', () => {
    it.each([
      [0, [1]], [1, [1, 2, 3]], [2, [1, 2, 3, 4, 5]], [3, [1, 2, 3, 4, 5, 6]], [10, [1, 2, 3, 4, 5, 6, 7]],
    ])('CiAndChildren depth %i from the root covers %j (the shared child once)', async (depth, expected) => {
      const mode = await createMode(h, w.alice.token, { configItems: [{ id: 1, scope: 'CiAndChildren', depth }] });
      expect(await effectiveSet(h, mode.id)).toEqual(expected);
    });
    it('scope Ci never expands, whatever its depth', async () => {
      const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2, scope: 'Ci', depth: 5 }] });
      expect(await effectiveSet(h, mode.id)).toEqual([2]);
    });
    it('overlapping items count each CI once', async () => {
      const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2, scope: 'CiAndChildren', depth: 1 }, { id: 3, scope: 'CiAndChildren', depth: 1 }] });
      expect(await effectiveSet(h, mode.id)).toEqual([2, 3, 4, 5]);
    });
  });

  describe('batchValidate', () => {
    it('false (default): unknown and unavailable CIs are dropped silently', async () => {
      const res = await post(valid({ configItems: [{ id: 2 }, { id: 999 }, { id: 8 }] }));
      expect(res.status).toBe(201);
      expect(res.body.configItems.map((c: { id: number }) => c.id)).toEqual([2]);
    });
    it('true: one unknown CI refuses the whole request and writes nothing', async () => {
      // this workspace's modes only: other suites write modes of their own into the same database meanwhile
      const modes = () => h.sequelize.query('SELECT count(*)::int AS n FROM sm.modes WHERE workspace = :ws', { replacements: { ws: w.workspace } });
      const [before] = await modes();
      const res = await post(valid({ configItems: [{ id: 2 }, { id: 999 }] }), { query: { batchValidate: true } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: MSG.cisNotFound });
      const [after] = await modes();
      expect(after).toEqual(before);
    });
    it('true: a CI the caller may only view is refused', async () => {
      const res = await post(valid({ configItems: [{ id: 8 }, { id: 3 }] }), { token: w.bob.token, query: { batchValidate: 'true' } });
      expect(res).toMatchObject({ status: 400, body: { message: MSG.cisNotFound } });
    });
    it('false with nothing left: the same 400', async () => {
      const res = await post(valid({ configItems: [{ id: 999 }] }));
      expect(res).toMatchObject({ status: 400, body: { message: MSG.cisNotFound } });
    });
  });

  describe('400 rows of the product table, each with its own message', () => {
    it.each([
      ['empty body {}', {}, MSG.emptyBody],
      ['missing dateStart', { dateEnd: window(1, 2).dateEnd, configItems: [{ id: 2 }] }, MSG.noStart],
      ['missing dateEnd', { dateStart: window(1, 2).dateStart, configItems: [{ id: 2 }] }, MSG.noEnd],
      ['missing CI list', { ...window(1, 2) }, MSG.noCis],
      ['empty CI list', { ...window(1, 2), configItems: [] }, MSG.noCis],
      ['missing CI id', { ...window(1, 2), configItems: [{ scope: 'Ci' }] }, MSG.noCiId],
      ['invalid CI id', { ...window(1, 2), configItems: [{ id: 'x' }] }, MSG.invalidCiId],
      ['CI id 0', { ...window(1, 2), configItems: [{ id: 0 }] }, MSG.invalidCiId],
      ['invalid depth', { ...window(1, 2), configItems: [{ id: 2, scope: 'CiAndChildren', depth: -1 }] }, MSG.invalidDepth],
      ['end not after start', { ...window(2, 1), configItems: [{ id: 2 }] }, MSG.endBeforeStart],
      ['end in the past', { ...window(-3, -1), configItems: [{ id: 2 }] }, MSG.endInPast],
    ])('%s', async (_name, body, message) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message });
    });

    it('no body at all: empty body', async () => {
      const res = await h.call('post', BASE, { token: w.alice.token });
      expect(res).toMatchObject({ status: 400, body: { message: MSG.emptyBody } });
    });

    it('wrong data model: the fields named in bodyFields', async () => {
      const res = await post(valid({ title: 5, extra: true }));
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(MSG.wrongModel);
      expect(Object.keys(res.body.bodyFields).sort()).toEqual(['extra', 'title']);
    });

    it('wrong data model: malformed JSON', async () => {
      const res = await h.call('post', BASE, { token: w.alice.token, raw: '{"dateStart": ' });
      expect(res).toMatchObject({ status: 400, body: { message: MSG.wrongModel } });
    });

    it('wrong data model: a date that does not exist', async () => {
      const res = await post(valid({ dateStart: '2031-02-30T10:00:00+03:00' }));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ message: MSG.wrongModel, bodyFields: { dateStart: [expect.any(String)] } });
    });
  });

  it('401: no token, an unknown token', async () => {
    for (const token of [undefined, 'smpt_nothing']) {
      const res = await h.call('post', BASE, { token, body: valid() });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: MSG.unauthorized });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="sm"');
    }
  });

  it('403: a user who may put no CI into maintenance', async () => {
    const res = await post(valid(), { token: w.carol.token });
    expect(res).toMatchObject({ status: 403, body: { message: MSG.forbiddenCreate } });
  });

  it('415: a body that is not JSON', async () => {
    const res = await h.call('post', BASE, { token: w.alice.token, raw: 'title=x', contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ message: MSG.unsupportedMedia });
  });

  it('the history names the creator', async () => {
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    const res = await h.call('get', `${BASE}/${mode.id}/x-history`, { token: w.alice.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([expect.objectContaining({ actor: 'alice', action: 'created' })]);
  });
});
