/** GET /api/public/sm/v1/rsm-maintenance/{id} (spec/sm.yaml · read_mode) — one mode, if a CI of it is visible. */
import { handler } from './_context';
import { MSG } from './_errors';
import { forbidden, loadMode, toModeWire } from './_modes';

export default handler('read_mode', async ({ path }, { principal }) => {
  const { row, visible } = await loadMode(principal, path.id);
  if (!visible) throw forbidden(MSG.forbiddenRead);
  return { status: 200, body: toModeWire(row) };
});
