/** GET /account/info (spec/account.yaml · read_info) — the caller's own account. */
import { handler } from './_context';
import { toInfoWire } from './_mappers';

export default handler('read_info', async (_input, { principal }) => ({ status: 200, body: toInfoWire(principal) }));
