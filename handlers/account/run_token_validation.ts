/** POST /account/token/validation (spec/account.yaml · run_token_validation) — any unusable token is simply not valid. */
import { openHandler } from './_context';
import { userOfToken } from './_tokens';

export default openHandler('run_token_validation', async ({ body }, ctx) => {
  const user = await userOfToken(body);
  if (!user) return { status: 200, body: { valid: false, roles: [] } };
  ctx.locals.actor = user;
  return { status: 200, body: { valid: true, roles: user.roles as never } };
});
