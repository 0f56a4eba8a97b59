/** GET /account/system/check (spec/account.yaml · check) — healthy when a database round trip succeeds in time. */
import { ApiError } from '../../lib/errors';
import { accountDb } from '../../models/account';
import { openHandler } from './_context';

const TIMEOUT_MS = 2000;

export default openHandler('check', async (_input, { log }) => {
  const started = Date.now();
  try {
    await Promise.race([
      accountDb().query('SELECT 1'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('database check timed out')), TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    log.warn({ err }, 'health check failed');
    throw new ApiError('unavailable', 'Service unavailable: the database does not answer');
  }
  // slow answers lower the figure: full health up to 100 ms, falling linearly to 0.5 at the timeout
  const ms = Date.now() - started;
  const health = ms <= 100 ? 1 : Math.max(0.5, 1 - (0.5 * (ms - 100)) / (TIMEOUT_MS - 100));
  return { status: 200, body: { health: Math.round(health * 1000) / 1000 } };
});
