/** POST /b2b/api/v1/domain/users (spec/b2b.yaml · upsert_users) — the whole batch or nothing, inside the caller's domain. */
import { handler } from './_context';
import { ok } from './_envelope';
import { requireRole, SECTION_ROLES } from './_permissions';
import { upsertUsers } from './_upsert';

export default handler('upsert_users', async ({ body }, { principal }) => {
  requireRole(principal, SECTION_ROLES.domain);
  await upsertUsers(principal, body.data);
  return { status: 200, body: ok(body.data.map(() => true as const)) };
});
