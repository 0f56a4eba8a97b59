/** GET /b2b/api/v1/user (spec/b2b.yaml · read_user) — the caller itself, with its domain and groups when detailed. */
import { handler } from './_context';
import { ok } from './_envelope';
import { toUserWire } from './_mappers';
import { requireRole, SECTION_ROLES } from './_permissions';

export default handler('read_user', async ({ query }, { principal }) => {
  requireRole(principal, SECTION_ROLES.user);
  const { user, domain, groups } = principal;
  return { status: 200, body: ok([toUserWire(user, query._detailed ? { domain, groups } : undefined)]) };
});
