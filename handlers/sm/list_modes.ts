/** GET /api/public/sm/v1/rsm-maintenance (spec/sm.yaml · list_modes) — the visible modes, paged, searched, sorted. */
import { handler } from './_context';
import { MSG } from './_errors';
import { listModes } from './_list';
import { canViewAny, forbidden } from './_modes';

export default handler('list_modes', async ({ query }, { principal }) => {
  if (!(await canViewAny(principal))) throw forbidden(MSG.forbiddenList);
  const { body, headers } = await listModes(principal, '/api/public/sm/v1/rsm-maintenance', query);
  return { status: 200, body, headers };
});
