/**
 * POST /account/token/generation (spec/account.yaml · run_token_generation) — wrong credentials are a 401; an address
 * locked out of the username, or a username locked by failures from several addresses, a 429. A right password
 * stored with weaker hashing parameters than today's is hashed again.
 */
import { tooManyRequests, unauthorized } from '../../lib/errors';
import { User } from '../../models/account';
import { openHandler } from './_context';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './_password';
import { beginAttempt, clearFailures, loginCounters, recordFailure } from './_throttle';
import { issueToken } from './_tokens';

export default openHandler('run_token_generation', async ({ body }, ctx) => {
  const counters = loginCounters(body.username, ctx.clientAddress);
  const verdict = await beginAttempt(counters);
  if (verdict.wait > 0) {
    throw tooManyRequests(verdict.by === 'login-source'
      ? `Too many failed logins for this username from this address; try again in ${verdict.wait} s`
      : `Too many failed logins for this username; try again in ${verdict.wait} s`, verdict.wait);
  }
  const user = await User.findOne({ where: { username: body.username } });
  const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash()));
  if (user) ctx.locals.actor = user; // audited as the account's action, failed or not (errors never name it)
  if (!user || !ok) {
    await recordFailure(counters);
    throw unauthorized('Wrong username or password');
  }
  await clearFailures(counters);
  if (needsRehash(user.passwordHash)) {
    user.passwordHash = await hashPassword(body.password);
    await user.save({ fields: ['passwordHash'] });
  }
  return { status: 200, body: await issueToken(user, body.ttl_seconds ?? 86400) };
});
