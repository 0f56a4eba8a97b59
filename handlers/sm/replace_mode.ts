/** PUT /api/public/sm/v1/rsm-maintenance/{id} (spec/sm.yaml · replace_mode) — full replace, or cancel / end now. */
import { handler } from './_context';
import { changeMode } from './_update';

export default handler('replace_mode', async ({ path, query, body }, { principal }) => ({
  status: 200,
  body: await changeMode(principal, path.id, body, query.batchValidate ?? false, 'replaced'),
}));
