import { MSG } from '../../handlers/sm/_errors';
import { createMode, smHarness, window, world, type Harness } from './_fixtures';

let h: Harness;
let w: Awaited<ReturnType<typeof world>>;
beforeAll(async () => {
  h = await smHarness();
  w = await world(h);
});
afterAll(() => h.close());

const ask = (ci: number, at?: string, token = w.alice.token) =>
  h.call('get', `/api/public/sm/v1/x-config-items/${ci}/maintenance`, { token, query: at ? { at } : {} });

describe('GET x-config-items/{ciId}/maintenance (read_ci_maintenance)', () => {
  it('a CI in the effective scope is in maintenance inside the window only, not once cancelled', async () => {
    const win = window(-1, 1);
    const mode = await createMode(h, w.alice.token, { ...win, configItems: [{ id: 5, scope: 'CiAndChildren', depth: 1 }] });
    expect((await ask(6)).body).toMatchObject({ ciId: 6, inMaintenance: true, modeIds: [mode.id] });
    expect((await ask(7)).body).toMatchObject({ inMaintenance: false, modeIds: [] });
    expect((await ask(6, win.dateEnd)).body.inMaintenance).toBe(false); // the end is exclusive
    expect((await ask(6, win.dateStart)).body.inMaintenance).toBe(true);
    const future = await createMode(h, w.alice.token, { ...window(3, 4), configItems: [{ id: 4 }] });
    expect((await ask(4, window(3.5, 3.5).dateStart)).body.modeIds).toEqual([future.id]);
    await h.call('patch', `/api/public/sm/v1/rsm-maintenance/${future.id}`, { token: w.alice.token, body: { cancel: true } });
    expect((await ask(4, window(3.5, 3.5).dateStart)).body.modeIds).toEqual([]);
  });

  it('403 on a CI the caller may not view, 404 on an unknown CI, 400 on a bad moment', async () => {
    expect(await ask(2, undefined, w.bob.token)).toMatchObject({ status: 403, body: { message: MSG.forbiddenCi } });
    expect(await ask(4242)).toMatchObject({ status: 404, body: { message: 'CI with ID 4242 not found' } });
    expect(await ask(2, '2031-02-30T00:00:00Z')).toMatchObject({ status: 400, body: { message: MSG.queryError } });
  });
});
