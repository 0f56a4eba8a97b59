/** sm test fixtures: a workspace with a small CI DAG and users with rights, made through the admin commands' own code. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commands } from '../../handlers/sm/_admin';
import { harness, unique } from '../support/harness';

export type Harness = Awaited<ReturnType<typeof harness>>;
export const smHarness = () => harness(['sm']);
export const BASE = '/api/public/sm/v1/rsm-maintenance';

/**
 * The test graph (a DAG; 5 has two parents):
 *   1 -> 2 -> 4
 *   1 -> 2 -> 5 -> 6 -> 7
 *   1 -> 3 -> 5
 *   8 (alone)
 */
export const GRAPH = [
  { id: 1, name: 'root', type: 'service' },
  { id: 2, name: 'left', type: 'host', parents: [1] },
  { id: 3, name: 'right', type: 'host', parents: [1] },
  { id: 4, name: 'disk', type: 'disk', parents: [2] },
  { id: 5, name: 'shared', type: 'db', parents: [2, 3] },
  { id: 6, name: 'table', type: 'table', parents: [5] },
  { id: 7, name: 'index', type: 'index', parents: [6], labels: { tier: 'gold' } },
  { id: 8, name: 'alone', type: 'host' },
];

export function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sm-test-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

export async function importGraph(h: Harness, workspace: string, graph: unknown[] = GRAPH) {
  return commands['import-cis'].run({ workspace, file: tmpFile('cis.json', JSON.stringify(graph)) }, h.sequelize);
}

export async function createUser(h: Harness, workspace: string, login = unique('user')): Promise<{ login: string; token: string }> {
  const out = (await commands['create-user'].run({ workspace, login }, h.sequelize)) as { token: string };
  return { login, token: out.token };
}

export async function grant(h: Harness, workspace: string, login: string, ci: number, right: 'view' | 'maintain', descendants = false) {
  await commands.grant.run({ workspace, login, ci: String(ci), right, descendants: String(descendants) }, h.sequelize);
}

/**
 * A workspace with the test graph and three users: alice maintains 1 with descendants (1..7); bob views 3 with
 * descendants (3, 5, 6, 7) and maintains 8; carol has no rights.
 */
export async function world(h: Harness) {
  const workspace = unique('ws');
  await importGraph(h, workspace);
  const alice = await createUser(h, workspace, 'alice');
  const bob = await createUser(h, workspace, 'bob');
  const carol = await createUser(h, workspace, 'carol');
  await grant(h, workspace, 'alice', 1, 'maintain', true);
  await grant(h, workspace, 'bob', 3, 'view', true);
  await grant(h, workspace, 'bob', 8, 'maintain');
  return { workspace, alice, bob, carol };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
export const HOUR = 3600_000;
/** A window relative to now, in hours, as the product writes instants. */
export const window = (fromH: number, toH: number) => ({ dateStart: iso(Date.now() + fromH * HOUR), dateEnd: iso(Date.now() + toH * HOUR) });

export async function createMode(h: Harness, token: string, body: Record<string, unknown>, query: Record<string, string | boolean> = {}) {
  const res = await h.call('post', BASE, { token, body: { ...window(1, 2), ...body }, query });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; configItems: Array<{ id: number; state: string }> };
}

export async function effectiveSet(h: Harness, modeId: number): Promise<number[]> {
  const [rows] = await h.sequelize.query('SELECT ci_id FROM sm.mode_cis WHERE mode_id = :id ORDER BY ci_id', { replacements: { id: modeId } });
  return (rows as Array<{ ci_id: string }>).map((r) => Number(r.ci_id));
}
