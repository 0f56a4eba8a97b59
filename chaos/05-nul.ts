/**
 * Finding 5: U+0000 in a JSON string answered 200 and was stored altered (or a 500). The account name and the tags of
 * a b2b group, each with a \u0000 escape: the service's 400, and nothing stored.
 */
import crypto from 'node:crypto';
import type { Scenario } from './context';
import { request } from './http';

const scenario: Scenario = {
  id: 5,
  fault: 'U+0000 in the account name (PUT /account/info) and in b2b group tags (POST domain/groups)',
  expected: '400 in each service\'s error body; the account unchanged and no group stored',
  timeoutMs: 90_000,
  async run(ctx) {
    const base = await ctx.shared.base();
    const [user, b2b] = await Promise.all([ctx.shared.accountUser('main'), ctx.shared.b2bAdmin()]);
    const before = await request(base.url, '/account/info', { headers: user.auth });
    if (before.status !== 200) throw new Error(`GET /account/info answered ${before.status} before the fault`);
    const put = await request(base.url, '/account/info', {
      method: 'PUT', headers: user.auth,
      body: `{"username":"${user.username}","company_key":"${before.json.company_key}","name":"Null\\u0000Byte","email":null,"phone":null}`,
    });
    const after = await request(base.url, '/account/info', { headers: user.auth });
    const accountOk = put.status === 400 && typeof put.json?.message === 'string' && after.status === 200 && after.json?.name === before.json.name;

    const group = `chaos_nul_${crypto.randomBytes(4).toString('hex')}`;
    const post = await request(base.url, '/b2b/api/v1/domain/groups', {
      method: 'POST', headers: { Authorization: b2b.header() },
      body: `{"data":[{"uid":"${group}","name":"nul","tags":"alpha,be\\u0000ta"}]}`,
    });
    const stored = await ctx.shared.cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM b2b.groups WHERE uid LIKE $1', [`${group}@%`]);
    const b2bOk = post.status === 400 && post.json?.state === 'fail' && stored[0].n === 0;
    return {
      pass: accountOk && b2bOk,
      observed: `account: ${put.status}, name after "${after.json?.name}" (before "${before.json.name}"); `
        + `b2b: ${post.status} ${post.json?.event?.type ?? ''}, groups stored ${stored[0].n}`,
      details: [`account answer: ${put.text.slice(0, 300)}`, `b2b answer: ${post.text.slice(0, 300)}`],
    };
  },
};
export default scenario;
