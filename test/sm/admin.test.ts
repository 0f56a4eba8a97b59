import { AdminError } from '../../lib/admin';
import { commands } from '../../handlers/sm/_admin';
import { MSG } from '../../handlers/sm/_errors';
import { unique } from '../support/harness';
import { BASE, createMode, createUser, effectiveSet, grant, GRAPH, importGraph, smHarness, tmpFile, world, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => {
  h = await smHarness();
});
afterAll(() => h.close());

const edges = async (ws: string) => {
  const [rows] = await h.sequelize.query('SELECT parent_id, child_id FROM sm.ci_edges WHERE workspace = :ws ORDER BY 1, 2', { replacements: { ws } });
  return (rows as Array<{ parent_id: string; child_id: string }>).map((r) => `${r.parent_id}>${r.child_id}`);
};

describe('sm admin: import-cis', () => {
  it('imports JSON, and again idempotently', async () => {
    const ws = unique('ws');
    const first = await importGraph(h, ws);
    expect(first).toMatchObject({ cis: 8, created: 8, edges: 7 });
    const before = await edges(ws);
    expect(await importGraph(h, ws)).toMatchObject({ cis: 8, created: 0, edges: 7 });
    expect(await edges(ws)).toEqual(before);
  });

  it('imports CSV (quoted fields, parents and labels lists)', async () => {
    const ws = unique('ws');
    const csv = 'id,name,type,parents,labels\n10,"Core, main",service,,env=prod\n11,web,host,10,"env=prod;role=web"\n12,db,host,10|11,\n';
    const out = await commands['import-cis'].run({ workspace: ws, file: tmpFile('cis.csv', csv) }, h.sequelize);
    expect(out).toMatchObject({ cis: 3, edges: 3 });
    const [rows] = await h.sequelize.query('SELECT id, name, labels FROM sm.cis WHERE workspace = :ws ORDER BY id', { replacements: { ws } });
    expect(rows).toEqual([
      { id: '10', name: 'Core, main', labels: { env: 'prod' } },
      { id: '11', name: 'web', labels: { env: 'prod', role: 'web' } },
      { id: '12', name: 'db', labels: {} },
    ]);
  });

  it('refuses a cycle, naming its path, and imports nothing of that file', async () => {
    const ws = unique('ws');
    await importGraph(h, ws);
    const before = await edges(ws);
    const cyclic = [{ id: 1, parents: [7] }, { id: 9, name: 'new' }];
    const err = await commands['import-cis'].run({ workspace: ws, file: tmpFile('c.json', JSON.stringify(cyclic)) }, h.sequelize).catch((e: Error) => e);
    expect(err).toBeInstanceOf(AdminError);
    const path = /cycle: ([0-9 >-]+)$/.exec((err as Error).message)![1].split(' -> ').map(Number);
    expect(path[0]).toBe(path[path.length - 1]); // a closed path through the new edge 7 -> 1 and the shared child 5
    expect((err as Error).message).toContain('7 -> 1');
    expect(path).toEqual(expect.arrayContaining([1, 5, 6, 7]));
    expect(await edges(ws)).toEqual(before);
    const [rows] = await h.sequelize.query('SELECT count(*)::int AS n FROM sm.cis WHERE workspace = :ws AND id = 9', { replacements: { ws } });
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('refuses an unknown parent and a bad id with the line named', async () => {
    const ws = unique('ws');
    await expect(commands['import-cis'].run({ workspace: ws, file: tmpFile('x.csv', 'id,parents\n1,\n2,3\n') }, h.sequelize))
      .rejects.toThrow('line 3: unknown parent CI 3');
    await expect(commands['import-cis'].run({ workspace: ws, file: tmpFile('x.json', '[{"id": "a"}]') }, h.sequelize))
      .rejects.toThrow(AdminError);
  });

  it('a graph change updates the effective sets of current modes and the rights with descendants', async () => {
    const w = await world(h);
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 3, scope: 'CiAndChildren', depth: 2 }] });
    expect(await effectiveSet(h, mode.id)).toEqual([3, 5, 6]);
    // 8 moves under 3: the mode now covers it, and bob (view 3 with descendants) now sees it
    await importGraph(h, w.workspace, [{ id: 8, name: 'alone', type: 'host', parents: [3] }]);
    expect(await effectiveSet(h, mode.id)).toEqual([3, 5, 6, 8]);
    const other = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    expect((await h.call('get', `${BASE}/${other.id}`, { token: w.bob.token })).status).toBe(403);
    // 2 moves under 3 as well: bob (view 3 with descendants) now sees the mode on 2
    await importGraph(h, w.workspace, [{ id: 2, name: 'left', type: 'host', parents: [1, 3] }]);
    expect((await h.call('get', `${BASE}/${other.id}`, { token: w.bob.token })).status).toBe(200);
    const [rights] = await h.sequelize.query(`SELECT r.ci_id FROM sm.user_rights r JOIN sm.users u ON u.id = r.user_id
      WHERE u.workspace = :ws AND u.login = 'alice' ORDER BY 1`, { replacements: { ws: w.workspace } });
    expect((rights as Array<{ ci_id: string }>).map((r) => Number(r.ci_id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('sm admin: users, tokens, rights', () => {
  it('create-user prints a token once; only its hash is stored; revoke-token ends it', async () => {
    const ws = unique('ws');
    await importGraph(h, ws, GRAPH);
    const u = await createUser(h, ws, 'dave');
    expect(u.token).toMatch(/^smpt_[A-Za-z0-9_-]{43}$/);
    const [stored] = await h.sequelize.query('SELECT encode(token_hash, \'hex\') AS hash FROM sm.tokens t JOIN sm.users u ON u.id = t.user_id WHERE u.workspace = :ws', { replacements: { ws } });
    expect(JSON.stringify(stored)).not.toContain(u.token);
    await grant(h, ws, 'dave', 1, 'view', true);
    expect((await h.call('get', BASE, { token: u.token })).status).toBe(200);
    await expect(commands['create-user'].run({ workspace: ws, login: 'dave' }, h.sequelize)).rejects.toThrow('already exists');
    expect(await commands['revoke-token'].run({ workspace: ws, login: 'dave' }, h.sequelize)).toMatchObject({ revoked: 1 });
    expect(await h.call('get', BASE, { token: u.token })).toMatchObject({ status: 401, body: { message: MSG.unauthorized } });
  });

  it('grant checks its CI and right; history reads the events', async () => {
    const w = await world(h);
    await expect(grant(h, w.workspace, 'carol', 999, 'view')).rejects.toThrow('no CI 999');
    await expect(commands.grant.run({ workspace: w.workspace, login: 'carol', ci: '1', right: 'own' }, h.sequelize)).rejects.toThrow('--right');
    const mode = await createMode(h, w.alice.token, { configItems: [{ id: 2 }] });
    const history = await commands.history.run({ workspace: w.workspace, id: String(mode.id) }, h.sequelize);
    expect(history).toEqual([expect.objectContaining({ actor: 'alice', action: 'created' })]);
  });
});
