/** The account service (VRt.Account 6.20) as the kernel loads it: models, bearer JWT auth, error bodies, audit. */
import { HeaderBearerStrategy } from '../../lib/auth/bearer';
import { currentUnitOfWork } from '../../lib/db/unit-of-work';
import { ApiError } from '../../lib/errors';
import { defineService } from '../../lib/service';
import { initAccountModels, User } from '../../models/account';
import { auditJob, flushAudit, recordAction } from './_audit';
import { cachedCheck, stopPrincipalCache } from './_principals';
import { defaultQuota } from './_quota';
import { accountSettings } from './_settings';
import { securityProblems } from './_security-settings';
import { handlers } from './index';
import { userOfToken } from './_tokens';
import { clientOf, isoDuration, newLocals, serverName, SERVICE, tracedata, type TraceLocals } from './_trace';

type AccountLocals = TraceLocals & { actor?: User; revoked?: boolean };

const service = defineService<User, AccountLocals>({
  name: 'account',
  handlers,
  init: (sequelize) => initAccountModels(sequelize),
  /** an account's rows belong to its company */
  tenantOf: (principal) => principal.companyKey,
  makeLocals: () => newLocals(),
  strategies: () => ({
    // the header only: never `?access_token=` nor a body field
    BearerAuth: new HeaderBearerStrategy(userOfToken),
  }),
  renderError(err, info) {
    const locals = info.locals;
    // only an authenticated caller is named: a failed login must not tell whether the username exists
    const user = locals.revoked ? undefined : info.principal;
    const td = tracedata({ traceCode: locals.traceCode, operation: info.operationId, user });
    const headers: Record<string, string> = {};
    if (err.kind === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer realm="account"';
    if (err.status === 404) {
      return { status: 404, headers, body: { resource_id: err.extra.resourceId ?? null, detail: { tracedata: td } } };
    }
    const message = err.kind === 'internal' ? 'Internal Server Error' : err.message;
    return { status: err.status, headers, body: { tracedata: td, message } };
  },
  /** every call attributable to an account becomes an audit action, written with the call's own work */
  async recordCall(call) {
    const locals = call.locals;
    const user = call.principal ?? locals.actor;
    if (!user || locals.revoked) return;
    // a cached principal's guard, where no unit of work checked it first (a databaseFree operation, a failure's record)
    const guard = currentUnitOfWork() ? undefined : cachedCheck(call.principal);
    const written = await recordAction({
      username: user.username,
      companyKey: user.companyKey,
      traceCode: locals.traceCode,
      client: clientOf(user.companyKey, user.username),
      server: serverName,
      service: SERVICE,
      operation: call.operationId,
      time: call.startedAt,
      tzOffsetMinutes: user.timezone * 60,
      methodGroup: 'NOTRACE',
      pointsCount: 0,
      duration: isoDuration(call.durationMs),
      durationMs: call.durationMs,
    }, guard);
    if (written) return;
    // the token was revoked (a password change) after it was cached: not the caller's action, and not answered
    locals.revoked = true;
    if (call.status < 400) throw new ApiError('unauthorized', 'Invalid or expired token');
  },
  jobs: [auditJob()],
  settings: {
    check: () => {
      const problems = [...accountSettings.check(), ...securityProblems()];
      try {
        defaultQuota();
      } catch (e) {
        problems.push((e as Error).message);
      }
      return problems;
    },
  },
  async stop() {
    await flushAudit();
    await stopPrincipalCache();
  },
});
export default service;
