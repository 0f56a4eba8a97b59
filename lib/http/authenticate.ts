/**
 * Stage 4, authenticate: the operation's effective security requirements (OR of ANDs) tried in order through
 * passport, one strategy per security scheme (`<service>:<scheme>`). The first requirement whose schemes all succeed
 * gives the principal; an empty requirement makes credentials optional. Otherwise the first strategy's own ApiError
 * (each service says why in its own words) or a plain 401.
 */
import { ApiError } from '../errors';
import type { Exchange } from './exchange';

function runStrategy(ex: Exchange, name: string): Promise<{ user?: unknown; error?: ApiError }> {
  return new Promise((resolve, reject) => {
    ex.app.passport.authenticate(name, { session: false }, (err: unknown, user: unknown, info: unknown) => {
      if (err) return reject(err);
      if (!user) return resolve({ error: info instanceof ApiError ? info : new ApiError('unauthorized', 'Authentication required') });
      resolve({ user });
    })(ex.req, ex.res, reject);
  });
}

export async function authenticate(ex: Exchange): Promise<void> {
  const requirements = ex.info!.security;
  if (!requirements.length) return;
  let firstError: ApiError | undefined;
  for (const requirement of requirements) {
    const schemes = Object.keys(requirement);
    if (!schemes.length) return; // credentials optional
    let principal: unknown;
    let ok = true;
    for (const scheme of schemes) {
      const r = await runStrategy(ex, `${ex.service!.def.name}:${scheme}`);
      if (r.error) {
        firstError ??= r.error;
        ok = false;
        break;
      }
      principal ??= r.user;
    }
    if (ok) {
      ex.principal = principal; // known from here on, so later failures (validation) name the caller
      return;
    }
  }
  throw firstError ?? new ApiError('unauthorized', 'Authentication required');
}
