/**
 * Contract plugin of the sm service (spec/sm.yaml): personal bearer tokens, and under --self a workspace with a small
 * CI graph and a user who may put all of it into maintenance, made with the admin commands.
 *
 * --auth kinds:
 *   sm:token=TOKEN       a personal token of a user who may maintain the CIs named by ci-ids
 *   sm:ci-ids=1,2,3      CIs that user may put into maintenance (default 1)
 *   sm:revoked=TOKEN     a revoked token of the same deployment (then also refused as a bad credential)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { definePlugin, type RequestParts, type Session } from '../../lib/contract/plugin';

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** A valid window from now on, and CIs the caller may maintain: the business rules no schema can say. */
function modeBody(req: RequestParts, session: Session, partial: boolean): RequestParts {
  const body = req.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return req;
  const ids = session.vars.ciIds as number[];
  if (!partial || body.dateStart !== undefined) body.dateStart = iso(Date.now() + HOUR);
  if (!partial || body.dateEnd !== undefined) body.dateEnd = iso(Date.now() + 2 * HOUR);
  if (Array.isArray(body.configItems)) {
    body.configItems = body.configItems.map((item, i) => (item && typeof item === 'object' ? { ...item, id: ids[i % ids.length] } : item));
  }
  if (body.cancel === true) body.cancel = false;
  return req;
}

const RULES = 'windows relative to the current time, CIs the caller may maintain and the state rules of a mode are rules the schema cannot say: 400 with the product\'s message (description)';
const UNKNOWN = 'a mode id that does not exist in the caller\'s workspace: 404 (description)';

export default definePlugin({
  service: 'sm',
  authHelp: 'sm:token=TOKEN [sm:ci-ids=1,2] [sm:revoked=TOKEN]',

  async bootstrap(admin, { tmpDir }) {
    const workspace = `contract_${crypto.randomBytes(4).toString('hex')}`;
    const file = path.join(tmpDir, `${workspace}-cis.json`);
    fs.writeFileSync(file, JSON.stringify([
      { id: 1, name: 'contract service', type: 'service' },
      { id: 2, name: 'contract host a', type: 'host', parents: [1] },
      { id: 3, name: 'contract host b', type: 'host', parents: [1] },
      { id: 4, name: 'contract database', type: 'db', parents: [2, 3] },
    ]));
    await admin('import-cis', { workspace, file });
    const user = (await admin('create-user', { workspace, login: 'contract' })) as { token: string };
    await admin('grant', { workspace, login: 'contract', ci: '1', right: 'maintain', descendants: 'true' });
    const gone = (await admin('new-token', { workspace, login: 'contract' })) as { token: string };
    await admin('revoke-token', { workspace, login: 'contract', token: gone.token });
    return { token: user.token, 'ci-ids': '1,2,3,4', revoked: gone.token };
  },

  async connect(auth): Promise<Session> {
    const token = auth.token;
    const ciIds = (auth['ci-ids'] ?? '1').split(',').map((s) => Number(s.trim())).filter((n) => Number.isSafeInteger(n) && n > 0);
    return {
      authHeaders: (scheme) => (scheme === 'PersonalToken' && token ? { Authorization: `Bearer ${token}` } : undefined),
      headersFor: (c): Record<string, string> => (c.token ? { Authorization: `Bearer ${String(c.token)}` } : {}),
      vars: { ...(token ? { token } : {}), ciIds, ci: ciIds[0], ci2: ciIds[1] ?? ciIds[0] },
      badCredentials: [
        { name: 'a token of the right shape that was never issued', headers: { Authorization: `Bearer smpt_${crypto.randomBytes(32).toString('base64url')}` } },
        ...(auth.revoked ? [{ name: 'a revoked token', headers: { Authorization: `Bearer ${auth.revoked}` } }] : []),
      ],
      notes: token ? [] : ['no sm token: secured operations skipped'],
    };
  },

  operations: {
    create_mode: { accept: { 400: RULES }, prepare: (r, s) => modeBody(r, s, false) },
    replace_mode: { accept: { 400: RULES, 404: UNKNOWN, 403: 'a mode of CIs the caller may not maintain: 403 (description)' }, prepare: (r, s) => modeBody(r, s, false) },
    update_mode: { accept: { 400: RULES, 404: UNKNOWN, 403: 'a mode of CIs the caller may not maintain: 403 (description)' }, prepare: (r, s) => modeBody(r, s, true) },
    read_mode: { accept: { 404: UNKNOWN } },
    read_mode_history: { accept: { 404: UNKNOWN } },
    filter_modes: {
      accept: {
        400: 'a filter with no condition is a 400 "Empty filter in request." (description)',
        403: 'configItemIds none of which the caller may view: 403 (description)',
      },
    },
    read_ci_maintenance: { accept: { 404: 'a CI unknown in the workspace: 404 (description)', 403: 'a CI the caller may not view: 403 (description)' } },
  },
});
