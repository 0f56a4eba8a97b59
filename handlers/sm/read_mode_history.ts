/** GET /api/public/sm/v1/rsm-maintenance/{id}/x-history (spec/sm.yaml · read_mode_history) — who did what, when. */
import { handler } from './_context';
import { MSG } from './_errors';
import { forbidden, loadMode } from './_modes';
import { select } from './_sql';

export default handler('read_mode_history', async ({ path }, { principal }) => {
  const { visible } = await loadMode(principal, path.id);
  if (!visible) throw forbidden(MSG.forbiddenRead);
  const rows = await select<{ at: Date; actor: string; action: 'created'; changes: Record<string, unknown> | null }>(
    'SELECT at, actor, action, changes FROM sm.mode_events WHERE mode_id = $1 ORDER BY id', [path.id]);
  return {
    status: 200,
    body: rows.map((r) => ({ at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, ...(r.changes ? { changes: r.changes } : {}) })),
  };
});
