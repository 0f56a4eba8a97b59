/** GET /b2b/api/v1/dev/token (spec/b2b.yaml · dev_token) — a token and every intermediate value; nothing is looked up. */
import { badRequest } from '../../lib/errors';
import { openHandler } from './_context';
import { requireDevEndpoints } from './_envelope';
import { parseMoment } from './_instant';
import { buildToken, passHashOf } from './_token';

export default openHandler('dev_token', async ({ query }) => {
  requireDevEndpoints('GET', '/b2b/api/v1/dev/token');
  const date = query.date === undefined ? new Date() : parseMoment(query.date, { toSeconds: true });
  if (!(date instanceof Date)) throw badRequest(`query date: ${date.error}`, [{ location: 'query', field: 'date', message: date.error }]);
  const stamp = Math.floor(date.getTime() / 1000);
  if (stamp < 0) throw badRequest('query date: must not precede 1970-01-01T00:00:00Z', [{ location: 'query', field: 'date', message: 'must not precede 1970' }]);
  const age = query.age ?? 172800;
  const passHash = query.is_hash ? query.pass : passHashOf(query.pass);
  const t = buildToken(query.user, passHash, stamp, age);
  return {
    status: 200,
    body: {
      user: query.user, pass: query.pass, pass_hash: passHash, date: new Date(stamp * 1000).toISOString(), stamp, age,
      salt: t.salt, salted_pass_hash: t.saltedPassHash, raw_token: t.rawToken, token: t.token, header: t.header,
    },
  };
});
