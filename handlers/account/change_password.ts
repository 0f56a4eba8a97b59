/**
 * POST /account/password (spec/account.yaml · change_password) — bumps the token epoch, so every older token stops
 * working. Wrong current passwords have a throttle of their own (they never lock the login); the new password must
 * pass the password rule (_password-policy.ts).
 */
import { badRequest, tooManyRequests, unauthorized } from '../../lib/errors';
import { handler } from './_context';
import { hashPassword, verifyPassword } from './_password';
import { passwordProblem } from './_password-policy';
import { beginAttempt, clearFailures, passwordCounters, recordFailure } from './_throttle';
import { issueToken } from './_tokens';

export default handler('change_password', async ({ body }, { principal: user }) => {
  const counters = passwordCounters(user.username);
  const { wait } = await beginAttempt(counters);
  if (wait > 0) throw tooManyRequests(`Too many wrong current passwords for this account; try again in ${wait} s`, wait);
  if (!(await verifyPassword(body.current_password, user.passwordHash))) {
    await recordFailure(counters);
    throw unauthorized('Current password is wrong');
  }
  await clearFailures(counters);
  const problem = passwordProblem(body.new_password, user.username);
  if (problem) throw badRequest(`new_password ${problem}`, [{ location: 'body', field: 'new_password', message: problem }]);
  user.passwordHash = await hashPassword(body.new_password);
  user.tokenEpoch += 1;
  await user.save();
  return { status: 200, body: await issueToken(user, 86400) };
});
