/**
 * Contract plugin of the account service (spec/account.yaml): Bearer JWTs from a login, users made with the admin
 * command under --self, and the outcomes the spec documents for valid input that is still refused.
 *
 * --auth kinds:
 *   account:user=NAME:PASSWORD           log in with these credentials (their token signs the secured cases)
 *   account:token=JWT                    use this token as it is (no login; the scenarios need `user`)
 *   account:scenario-user=NAME:PASSWORD  a second account for the scenarios (default: `user`; the flow changes the
 *                                        password and changes it back)
 *   account:trace=UUID                   a trace code with stored INPUT data at stage 0, readable by `user`
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { definePlugin, type PluginCase, type RequestParts, type Session } from '../../lib/contract/plugin';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function splitUser(v: string | undefined): { username: string; password: string } | undefined {
  if (!v) return undefined;
  const i = v.indexOf(':');
  if (i <= 0) throw new Error(`account credentials must be NAME:PASSWORD, got "${v}"`);
  return { username: v.slice(0, i), password: v.slice(i + 1) };
}

const SORT_FIELDS = ['time', 'username', 'company_key', 'service', 'operation', 'method_group', 'points_count', 'duration'];
const THROTTLE = 'failed logins for one username lock it for 15 minutes after 5 failures: 429 with Retry-After (x-decision)';

export default definePlugin({
  service: 'account',
  authHelp: 'account:user=NAME:PASSWORD | account:token=JWT | account:scenario-user=NAME:PASSWORD | account:trace=UUID',

  async bootstrap(admin, { tmpDir }) {
    const tag = crypto.randomBytes(4).toString('hex');
    const company = `contract_${tag}`;
    const ops = { username: `contract_ops_${tag}`, password: `pw-${crypto.randomBytes(9).toString('base64url')}` };
    const scn = { username: `contract_scn_${tag}`, password: `pw-${crypto.randomBytes(9).toString('base64url')}` };
    await admin('create-user', { username: ops.username, password: ops.password, 'company-key': company, roles: 'USER,ADMIN', name: 'Contract Runner' });
    await admin('create-user', { username: scn.username, password: scn.password, 'company-key': company, roles: 'USER', name: 'Contract Scenario' });
    await admin('set-quota', { username: ops.username, service: 'UNIVERSAL', 'method-group': 'PLAN', 'points-per-request': '15', 'points-per-day': '1500' });
    const trace = crypto.randomUUID();
    const file = path.join(tmpDir, `usage-${tag}.ndjson`);
    fs.writeFileSync(file, `${JSON.stringify({
      tracedata: { code: trace, client: `${company}_|_${ops.username}`, server: 'contract_runner', service: 'UNIVERSAL', operation: 'run_plan_calculation', time: new Date().toISOString() },
      method_group: 'PLAN', points_count: 10, duration: 'PT1.5S',
      payloads: [{ flow_type: 'INPUT', stage: 0, json: { orders: [{ id: 1, address: 'contract' }] } }],
    })}\n`);
    await admin('record-usage', { file });
    return { user: `${ops.username}:${ops.password}`, 'scenario-user': `${scn.username}:${scn.password}`, trace };
  },

  async connect(auth, ctx): Promise<Session> {
    const user = splitUser(auth.user);
    const scenarioUser = splitUser(auth['scenario-user']) ?? user;
    let token = auth.token;
    const notes: string[] = [];
    if (user && !token) {
      const res = await ctx.request('POST', '/account/token/generation', { body: { username: user.username, password: user.password } });
      if (res.status !== 200 || typeof res.json !== 'string') throw new Error(`account: login of ${user.username} answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
      token = res.json;
    }
    if (!token) notes.push('no account credentials (--auth account:user=NAME:PASSWORD): secured operations get only credential and method checks');
    const forged = (alg: string, sig: string) => `${b64url({ alg, typ: 'JWT' })}.${b64url({
      sub: user?.username ?? 'contract', ck: 'contract', roles: ['ADMIN'], ep: 0, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600,
    })}.${sig}`;
    const cases: PluginCase[] = [];
    if (user) {
      cases.push({ operationId: 'run_token_generation', name: 'login with the right password', request: { body: { username: user.username, password: user.password } }, expect: [200], auth: 'none' });
    }
    if (token) {
      cases.push({ operationId: 'run_token_validation', name: 'the session token is valid', request: { body: token }, expect: [200], auth: 'none' });
    }
    if (auth.trace) {
      cases.push({ operationId: 'read_data', name: 'stored INPUT data of a known trace', request: { path: { tracecode: auth.trace }, query: { data_flow_type: 'INPUT' } }, expect: [200] });
      cases.push({ operationId: 'read_data', name: 'stored data converted to XLSX', request: { path: { tracecode: auth.trace }, query: { data_flow_convert: 'XLSX' } }, expect: [200] });
      cases.push({ operationId: 'read_data', name: 'stored data as JSON', request: { path: { tracecode: auth.trace }, query: { data_flow_convert: 'JSON' } }, expect: [200] });
      cases.push({ operationId: 'read_data', name: 'no OUTPUT data stored', request: { path: { tracecode: auth.trace }, query: { data_flow_type: 'OUTPUT' } }, expect: [404] });
    }
    return {
      authHeaders: (scheme) => (scheme === 'BearerAuth' && token ? { Authorization: `Bearer ${token}` } : undefined),
      headersFor: (c): Record<string, string> => (c.token ? { Authorization: `Bearer ${String(c.token)}` } : {}),
      vars: {
        ...(scenarioUser ? { username: scenarioUser.username, password: scenarioUser.password } : {}),
        ...(token ? { token } : {}),
      },
      badCredentials: [
        { name: 'a well-formed JWT signed with another key', headers: { Authorization: `Bearer ${forged('HS256', crypto.randomBytes(32).toString('base64url'))}` } },
        { name: 'an unsigned JWT (alg none)', headers: { Authorization: `Bearer ${forged('none', '')}` } },
        ...(token ? [{ name: 'the session token with its signature cut off', headers: { Authorization: `Bearer ${token.split('.').slice(0, 2).join('.')}.` } }] : []),
      ],
      cases,
      notes,
    };
  },

  operations: {
    run_token_generation: {
      accept: { 401: 'generated credentials are wrong credentials: 401 (description)', 429: THROTTLE },
    },
    change_password: {
      accept: { 401: 'a generated current_password is wrong: 401 (description)', 429: THROTTLE },
      // each such case counts as a failed login of the session's user: stay well under the throttle's 5
      budget: 2,
    },
    read_data: {
      accept: {
        404: 'an unknown trace code, flow type or stage answers 404 (description)',
        400: 'a payload that cannot be converted to the requested form answers 400 (x-decision)',
      },
    },
    file: { accept: { 404: 'an unknown file answers 404 (description)' } },
    read_audit: {
      prepare: (r) => {
        const sf = r.query.sort_field;
        if (typeof sf === 'string' && !SORT_FIELDS.includes(sf)) {
          // sort_field is a free string in the schema; the description allows only these (400 otherwise)
          r.query = { ...r.query, sort_field: SORT_FIELDS[[...sf].reduce((a, c) => a + c.codePointAt(0)!, 0) % SORT_FIELDS.length] };
        }
        return r;
      },
    },
  },
});
