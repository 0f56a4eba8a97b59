/**
 * The CI graph of a workspace: scope expansion (recursive CTE bounded by depth, so a cycle cannot loop and a shared
 * child is counted once), users' effective rights (grants with descendants expanded), and the refresh of current
 * modes' effective sets after the graph changed.
 */
import { exec, select } from './_sql';

/** The end of a mode `m`'s effective window: its series' end, cut where it was cancelled (empty if before its start). */
export const WINDOW_END_SQL = `CASE WHEN m.cancelled_ms IS NULL THEN coalesce(m.series_end_ms, m.end_ms)
  ELSE GREATEST(m.start_ms, LEAST(m.cancelled_ms, coalesce(m.series_end_ms, m.end_ms))) END`;

export interface ScopeItem { id: number; scope: 'Ci' | 'CiAndChildren'; depth: number }

/**
 * SQL (a SELECT of `ci_id`) of the effective set of scope items given as bind placeholders of bigint[] ids and int[]
 * depths (0 for `Ci`). Rows are (CI, edges still allowed): at most CIs x depth of them, whatever the graph's shape.
 */
export function expansionSql(workspace: string, ids: string, depths: string): string {
  return `
    WITH RECURSIVE walk(ci_id, left_depth) AS (
      SELECT r.id, r.depth FROM unnest(${ids}::bigint[], ${depths}::int[]) AS r(id, depth)
      UNION
      SELECT e.child_id, w.left_depth - 1
        FROM walk w JOIN sm.ci_edges e ON e.workspace = ${workspace} AND e.parent_id = w.ci_id
       WHERE w.left_depth > 0
    )
    SELECT DISTINCT ci_id FROM walk`;
}

export const depthsOf = (items: ScopeItem[]) => items.map((i) => (i.scope === 'CiAndChildren' ? i.depth : 0));

/** Rewrites a mode's effective CI set from its stored items, with its window (empty when cancelled). */
export async function refreshModeScope(modeId: number): Promise<void> {
  await exec('DELETE FROM sm.mode_cis WHERE mode_id = $1', [modeId]);
  await exec(`
    WITH m AS (SELECT m.id, m.workspace, m.start_ms, ${WINDOW_END_SQL} AS end_ms FROM sm.modes m WHERE m.id = $1),
         items AS (SELECT array_agg(ci_id) AS ids, array_agg(CASE WHEN scope = 'CiAndChildren' THEN depth ELSE 0 END) AS depths
                     FROM sm.mode_items WHERE mode_id = $1)
    INSERT INTO sm.mode_cis (mode_id, ci_id, workspace, window_start, window_end)
    SELECT m.id, s.ci_id, m.workspace, m.start_ms, m.end_ms
      FROM m, items, LATERAL (${expansionSql('m.workspace', 'items.ids', 'items.depths')}) s`, [modeId]);
  await refreshModeViewers(modeId);
}

/** The users who see a mode: those who may view a CI of its effective set. */
export async function refreshModeViewers(modeId: number): Promise<void> {
  await exec('DELETE FROM sm.mode_viewers WHERE mode_id = $1', [modeId]);
  await exec(`INSERT INTO sm.mode_viewers (user_id, mode_id, workspace)
    SELECT DISTINCT r.user_id, mc.mode_id, mc.workspace FROM sm.mode_cis mc
      JOIN sm.user_rights r ON r.workspace = mc.workspace AND r.ci_id = mc.ci_id WHERE mc.mode_id = $1`, [modeId]);
}

/** Recomputes the CIs a user may view and maintain from its grants (descendants at any depth, cycle-safe). */
export async function refreshUserRights(userId: number): Promise<void> {
  await exec('DELETE FROM sm.user_rights WHERE user_id = $1', [userId]);
  await exec(`
    WITH RECURSIVE g AS (
      SELECT workspace, ci_id, "right" = 'maintain' AS m, with_descendants FROM sm.grants WHERE user_id = $1
    ), below(workspace, ci_id, m) AS (
      SELECT workspace, ci_id, m FROM g WHERE with_descendants
      UNION
      SELECT b.workspace, e.child_id, b.m FROM below b JOIN sm.ci_edges e ON e.workspace = b.workspace AND e.parent_id = b.ci_id
    ), every AS (
      SELECT workspace, ci_id, m FROM below UNION ALL SELECT workspace, ci_id, m FROM g WHERE NOT with_descendants
    )
    INSERT INTO sm.user_rights (workspace, user_id, ci_id, can_maintain)
    SELECT x.workspace, $1, x.ci_id, bool_or(x.m) FROM every x
     WHERE EXISTS (SELECT 1 FROM sm.cis c WHERE c.workspace = x.workspace AND c.id = x.ci_id)
     GROUP BY x.workspace, x.ci_id`, [userId]);
  // and the modes it sees
  await exec('DELETE FROM sm.mode_viewers WHERE user_id = $1', [userId]);
  await exec(`INSERT INTO sm.mode_viewers (user_id, mode_id, workspace)
    SELECT DISTINCT r.user_id, mc.mode_id, mc.workspace FROM sm.user_rights r
      JOIN sm.mode_cis mc ON mc.workspace = r.workspace AND mc.ci_id = r.ci_id WHERE r.user_id = $1`, [userId]);
}

/**
 * After the graph of a workspace changed: rights with descendants (and the modes each user sees), then the effective
 * sets (and viewers) of modes not yet over.
 */
export async function refreshAfterGraphChange(workspace: string, nowMs = Date.now()): Promise<{ users: number; modes: number }> {
  const users = await select<{ user_id: string }>('SELECT DISTINCT user_id FROM sm.grants WHERE workspace = $1', [workspace]);
  for (const u of users) await refreshUserRights(Number(u.user_id));
  const modes = await select<{ id: string }>(
    `SELECT m.id FROM sm.modes m WHERE m.workspace = $1 AND m.cancelled_ms IS NULL AND coalesce(m.series_end_ms, m.end_ms) > $2
        AND EXISTS (SELECT 1 FROM sm.mode_items i WHERE i.mode_id = m.id AND i.scope = 'CiAndChildren' AND i.depth > 0)`,
    [workspace, nowMs]);
  for (const m of modes) await refreshModeScope(Number(m.id));
  return { users: users.length, modes: modes.length };
}

/** A cycle in the edges (parent -> children), as the path that closes it (first CI repeated at the end), or undefined. */
export function findCycle(children: Map<number, number[]>): number[] | undefined {
  const state = new Map<number, 1 | 2>(); // 1 on the path, 2 done
  for (const start of children.keys()) {
    if (state.has(start)) continue;
    const path: number[] = [];
    const stack: Array<{ node: number; next: number }> = [{ node: start, next: 0 }];
    state.set(start, 1);
    path.push(start);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const kids = children.get(top.node) ?? [];
      if (top.next < kids.length) {
        const k = kids[top.next++];
        const s = state.get(k);
        if (s === 1) return [...path.slice(path.indexOf(k)), k];
        if (s === undefined) {
          state.set(k, 1);
          path.push(k);
          stack.push({ node: k, next: 0 });
        }
      } else {
        state.set(top.node, 2);
        path.pop();
        stack.pop();
      }
    }
  }
  return undefined;
}
