/** POST /account/password (spec/account.yaml · change_password) — bumps the token epoch, so every older token stops working. */
import { tooManyRequests, unauthorized } from '../../lib/errors';
import { handler } from './_context';
import { hashPassword, verifyPassword } from './_password';
import { beginAttempt, clearFailures, recordFailure } from './_throttle';
import { issueToken } from './_tokens';

export default handler('change_password', async ({ body }, { principal: user }) => {
  const wait = await beginAttempt(user.username);
  if (wait > 0) throw tooManyRequests(`Too many failed password checks for this username; try again in ${wait} s`, wait);
  if (!(await verifyPassword(body.current_password, user.passwordHash))) {
    await recordFailure(user.username);
    throw unauthorized('Current password is wrong');
  }
  await clearFailures(user.username);
  user.passwordHash = await hashPassword(body.new_password);
  user.tokenEpoch += 1;
  await user.save();
  return { status: 200, body: await issueToken(user, 86400) };
});
