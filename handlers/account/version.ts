/** GET /account/system/version (spec/account.yaml · version) — major.minor from package.json, build from BUILD_ID or git. */
import { buildInfo } from '../../lib/build';
import { databaseFree } from '../../lib/db/unit-of-work';
import { openHandler } from './_context';

export default databaseFree(openHandler('version', async () => {
  const { major, minor, build } = buildInfo();
  return { status: 200, body: { major, minor, build } };
}));
