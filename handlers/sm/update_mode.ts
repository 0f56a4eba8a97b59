/** PATCH /api/public/sm/v1/rsm-maintenance/{id} (spec/sm.yaml · update_mode) — only the fields sent change. */
import { handler } from './_context';
import { changeMode } from './_update';

export default handler('update_mode', async ({ path, query, body }, { principal }) => ({
  status: 200,
  body: await changeMode(principal, path.id, body, query.batchValidate ?? false, 'updated'),
}));
