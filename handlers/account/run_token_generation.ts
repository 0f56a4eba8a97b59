/** POST /account/token/generation (spec/account.yaml · run_token_generation) — wrong credentials are a 401, a locked username a 429. */
import { tooManyRequests, unauthorized } from '../../lib/errors';
import { User } from '../../models/account';
import { openHandler } from './_context';
import { dummyHash, verifyPassword } from './_password';
import { beginAttempt, clearFailures, recordFailure } from './_throttle';
import { issueToken } from './_tokens';

export default openHandler('run_token_generation', async ({ body }, ctx) => {
  const wait = await beginAttempt(body.username);
  if (wait > 0) throw tooManyRequests(`Too many failed logins for this username; try again in ${wait} s`, wait);
  const user = await User.findOne({ where: { username: body.username } });
  const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash));
  if (user) ctx.locals.actor = user; // audited as the account's action, failed or not (errors never name it)
  if (!user || !ok) {
    await recordFailure(body.username);
    throw unauthorized('Wrong username or password');
  }
  await clearFailures(body.username);
  return { status: 200, body: await issueToken(user, body.ttl_seconds ?? 86400) };
});
