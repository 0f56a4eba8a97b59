/** GET /account/info (spec/account.yaml · read_info) — the caller's own account. */
import { databaseFree } from '../../lib/db/unit-of-work';
import { handler } from './_context';
import { toInfoWire } from './_mappers';

// the principal was read by authentication: no unit of work (the call's audit action is still written before the answer)
export default databaseFree(handler('read_info', async (_input, { principal }) => ({ status: 200, body: toInfoWire(principal) })));
