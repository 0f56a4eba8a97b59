/** GET /b2b/api/v1/dev/ping (spec/b2b.yaml · dev_ping) — echoes the value with the server's clock on arrival and answer. */
import { openHandler } from './_context';
import { requireDevEndpoints } from './_envelope';

export default openHandler('dev_ping', async ({ query }, { startedAt }) => {
  requireDevEndpoints('GET', '/b2b/api/v1/dev/ping');
  const arrived = startedAt.getTime();
  const out = Math.max(Date.now(), arrived);
  return { status: 200, body: { value: query.value ?? '', in: arrived, out, delay: out - arrived } };
});
