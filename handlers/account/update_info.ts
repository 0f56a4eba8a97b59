/** PUT /account/info (spec/account.yaml · update_info) — only name, email and phone change; the other fields are ignored. */
import { handler } from './_context';
import { toInfoWire } from './_mappers';

export default handler('update_info', async ({ body }, { principal: user }) => {
  user.name = body.name ?? null;
  user.email = body.email ?? null;
  user.phone = body.phone ?? null;
  await user.save();
  return { status: 200, body: toInfoWire(user) };
});
