/** GET /api/public/sm/v1/x-config-items/{ciId}/maintenance (spec/sm.yaml · read_ci_maintenance) — one index range. */
import { ApiError } from '../../lib/errors';
import { handler } from './_context';
import { MSG } from './_errors';
import { formatInstant, parseInstant } from './_instant';
import { forbidden } from './_modes';
import { select } from './_sql';

export default handler('read_ci_maintenance', async ({ path, query }, { principal }) => {
  const at = query.at !== undefined ? parseInstant(query.at) : { ms: Date.now(), offset: 0 };
  if (!at) throw new ApiError('validation', MSG.queryError, { fields: [{ location: 'query', field: 'at', message: 'must be an existing date and time' }] });
  const [ci] = await select<{ visible: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM sm.user_rights r WHERE r.user_id = $2 AND r.ci_id = c.id) AS visible
       FROM sm.cis c WHERE c.workspace = $1 AND c.id = $3`, [principal.workspace, principal.userId, path.ciId]);
  if (!ci) throw new ApiError('notFound', `CI with ID ${path.ciId} not found`, { resourceId: String(path.ciId) });
  if (!ci.visible) throw forbidden(MSG.forbiddenCi);
  const rows = await select<{ mode_id: string }>(
    `SELECT mc.mode_id FROM sm.mode_cis mc WHERE mc.workspace = $1 AND mc.ci_id = $2 AND mc.window_start <= $3 AND mc.window_end > $3
        AND EXISTS (SELECT 1 FROM sm.mode_occurrences o WHERE o.mode_id = mc.mode_id AND o.start_ms <= $3 AND o.end_ms > $3)
      ORDER BY mc.mode_id`,
    [principal.workspace, path.ciId, at.ms]);
  const modeIds = rows.map((r) => Number(r.mode_id));
  return { status: 200, body: { ciId: path.ciId, at: formatInstant(at.ms, at.offset), inMaintenance: modeIds.length > 0, modeIds } };
});
