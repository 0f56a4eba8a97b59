/** PUT /account/info (spec/account.yaml · update_info) — only name, email and phone change; the other fields are ignored. */
import { currentUnitOfWork } from '../../lib/db/unit-of-work';
import { handler } from './_context';
import { forgetUser } from './_principals';
import { toInfoWire } from './_mappers';

export default handler('update_info', async ({ body }, { principal: user }) => {
  user.name = body.name ?? null;
  user.email = body.email ?? null;
  user.phone = body.phone ?? null;
  await user.save();
  // this process's cached copy goes once the change is committed (before the answer); others drop theirs on its NOTIFY
  currentUnitOfWork()?.afterCommit(() => forgetUser(user.username));
  return { status: 200, body: toInfoWire(user) };
});
