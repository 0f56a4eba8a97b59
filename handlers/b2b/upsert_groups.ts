/** POST /b2b/api/v1/domain/groups (spec/b2b.yaml · upsert_groups) — the whole batch or nothing, inside the caller's domain. */
import { handler } from './_context';
import { ok } from './_envelope';
import { requireRole, SECTION_ROLES } from './_permissions';
import { upsertGroups } from './_upsert';

export default handler('upsert_groups', async ({ body }, { principal }) => {
  requireRole(principal, SECTION_ROLES.domain);
  await upsertGroups(principal, body.data);
  return { status: 200, body: ok(body.data.map(() => true as const)) };
});
