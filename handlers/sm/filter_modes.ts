/** POST /api/public/sm/v1/rsm-maintenance/filter (spec/sm.yaml · filter_modes) — the visible modes matching a filter. */
import { handler } from './_context';
import { MSG, rule } from './_errors';
import { listModes } from './_list';
import { canViewAny, forbidden } from './_modes';
import { select } from './_sql';
import { bodyInstant } from './_write';

export default handler('filter_modes', async ({ query, body }, { principal }) => {
  const f = body ?? {};
  const dateConds = (['dateStart', 'dateEnd'] as const).flatMap((k) => Object.entries(f[k] ?? {}).map(([op, v]) => [`${k}.${op}`, v] as const));
  for (const [field, v] of dateConds) bodyInstant(field, v as string);
  if (!f.ids?.length && !f.configItemIds?.length && !dateConds.length) throw rule(MSG.emptyFilter);
  if (!(await canViewAny(principal))) throw forbidden(MSG.forbiddenFilter);
  if (f.configItemIds?.length) {
    const seen = await select('SELECT 1 FROM sm.user_rights WHERE user_id = $1 AND ci_id = ANY($2::bigint[]) LIMIT 1', [principal.userId, f.configItemIds]);
    if (!seen.length) throw forbidden(MSG.forbiddenFilter);
  }
  const { body: out, headers } = await listModes(principal, '/api/public/sm/v1/rsm-maintenance/filter', query, f, (s) => bodyInstant('filter', s).ms);
  return { status: 200, body: out, headers };
});
