/**
 * Names that are members of Object.prototype ('constructor', 'toString', '__proto__', ...) sent where a field name or
 * a lookup key goes: each is a name like any other, answered with the service's documented 400 (found by a
 * hostile-input probe: sm's error grouping and account's sort_field lookup answered 500).
 */
import { permissionsOfRoles } from '../../handlers/b2b/_permissions';
import { MSG } from '../../handlers/sm/_errors';
import { accountHarness, createUser } from '../account/_fixtures';
import { BASE, smHarness, window, world } from '../sm/_fixtures';

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf'];

describe('sm', () => {
  let h: Awaited<ReturnType<typeof smHarness>>;
  let w: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    h = await smHarness();
    w = await world(h);
  });
  afterAll(() => h.close());

  it('an unknown query parameter named like a prototype member is a 400 naming it', async () => {
    for (const name of NAMES) {
      const res = await h.call('get', `${BASE}?${name}=1`, { token: w.alice.token }); // in the URL as sent (a query object would drop __proto__)
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect(res.body.message).toBe(MSG.queryError);
      expect(Object.keys(res.body.queryFields)).toEqual([name]);
    }
  });

  it('a body property named like a prototype member is a 400 naming it, and nothing is written', async () => {
    for (const name of NAMES) {
      const body = JSON.parse(`{"dateStart":"${window(1, 2).dateStart}","dateEnd":"${window(1, 2).dateEnd}","title":"p","configItems":[{"id":2}],"${name}":"x"}`);
      const res = await h.call('post', BASE, { token: w.alice.token, body });
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect(res.body.message).toBe(MSG.wrongModel);
      expect(Object.keys(res.body.bodyFields)).toEqual([name]);
    }
    const [[n]] = await h.sequelize.query("SELECT count(*)::int AS n FROM sm.modes WHERE workspace = :ws AND title = 'p'", { replacements: { ws: w.workspace } });
    expect(n).toEqual({ n: 0 });
  });
});

describe('account', () => {
  it('sort_field named like a prototype member is the documented 400', async () => {
    const h = await accountHarness();
    try {
      const u = await createUser(h);
      for (const name of NAMES) {
        const res = await h.call('get', '/account/audit', { token: u.token, query: { sort_field: name } });
        expect({ name, status: res.status }).toEqual({ name, status: 400 });
        expect(res.body.tracedata).toBeDefined();
      }
    } finally {
      await h.close();
    }
  });
});

describe('b2b', () => {
  it('a role named like a prototype member grants nothing', () => {
    expect([...permissionsOfRoles(NAMES)]).toEqual([]);
    expect([...permissionsOfRoles([...NAMES, 'ALL_REPORTS_READ'])]).toEqual(['READ_REPORT_CONTENT']);
  });
});
