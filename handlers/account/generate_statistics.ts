/** GET /account/statistics (spec/account.yaml · generate_statistics) — usage per local day, service and method group. */
import { badRequest } from '../../lib/errors';
import { handler } from './_context';
import { dayPeriod } from './_period';
import { usageDatesJson } from './_statistics';

/** statistics.dates holds at most this many days (the vendor's bound); only days with usage are listed */
const MAX_DATES = 3653;

/**
 * The body is JSON text written by PostgreSQL (see usageDatesJson) and answered as it is: ten years are ~2 MB that
 * Node would otherwise parse as rows, build as objects and serialise again. Being raw, the kernel checks only its
 * media type; test/account/generate_statistics.test.ts checks it against the schema and the object-building answer.
 */
export default handler('generate_statistics', async ({ query }, { principal: user }) => {
  const period = dayPeriod(query, user.timezone);
  const { days, json } = period.empty ? { days: 0, json: '[]' } : await usageDatesJson(user, period.from, period.to);
  if (days > MAX_DATES) {
    throw badRequest(`the period holds usage on more than ${MAX_DATES} days, more than one answer lists; ask for a shorter period`,
      [{ location: 'query', field: 'to', message: `period with usage on more than ${MAX_DATES} days` }]);
  }
  const body = `{"username":${JSON.stringify(user.username)},"dates":${json}}`;
  return { status: 200, body: { raw: Buffer.from(body), contentType: 'application/json; charset=utf-8' } };
});
