/**
 * The ArRest security scheme as a passport strategy: `Authorization: AR-REST <token>` is decoded, its stamp window
 * checked (a life of at most B2B_MAX_TOKEN_AGE_SECONDS whatever the token's age says, and a clock-skew allowance for
 * stamps in the future), its user found, the brute-force limits consulted (_throttle.ts), the salted hash recomputed
 * from the stored pass_hash and compared in constant time, then the user's and domain's state and active periods
 * checked. Each failure is its own security event (see spec/b2b.yaml, info x-decision, for the order and statuses),
 * logged with the user the token names and the event type, never the token or a hash.
 */
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport';
import { clientAddressOf } from '../../lib/http/client-address';
import { requestIdOf } from '../../lib/http/request-id';
import { logger } from '../../lib/logger';
import { User } from '../../models/b2b';
import { b2bConfig } from './_config';
import type { B2bPrincipal } from './_context';
import { openPassHash } from './_crypto';
import { AuthFailure } from './_events';
import { effectiveRoles } from './_permissions';
import { lockOf, recordFailure, type Lock } from './_throttle';
import { MalformedToken, parseToken, saltedDigest, saltOf, TOKEN_PREFIX, type TokenParts } from './_token';

const iso = (d: Date) => d.toISOString();
const isoOfSeconds = (s: number) => {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : iso(d);
};

const locked = (user: string, lock: Lock) => new AuthFailure('SecurityAuthLocked',
  lock.scope === 'user'
    ? `Вход пользователя ${user} заблокирован после неудачных попыток; повторите через ${lock.seconds} с`
    : `Вход с этого адреса заблокирован после неудачных попыток; повторите через ${lock.seconds} с`,
  { user, scope: lock.scope, retry_after: lock.seconds },
  { 'Retry-After': String(lock.seconds) });

export interface AuthenticateOptions {
  now?: Date;
  /** the client's address (lib/http/client-address.ts), counted by the brute-force limits */
  address?: string;
}

/** The principal of an Authorization header value, or an AuthFailure (naming the token's user once known); other errors are faults. */
export async function authenticateHeader(header: string | undefined, opts: AuthenticateOptions = {}): Promise<B2bPrincipal> {
  const m = /^\s*(\S+)(?:\s+(.*?))?\s*$/.exec(header ?? '');
  if (!m || m[1].toUpperCase() !== TOKEN_PREFIX) {
    throw new AuthFailure('SecurityAuthMissingToken', `Запрос должен содержать заголовок Authorization: ${TOKEN_PREFIX} <токен>`);
  }
  const token = m[2] ?? '';
  let parts;
  try {
    parts = parseToken(token);
  } catch (e) {
    if (!(e instanceof MalformedToken)) throw e;
    const shown = token.length > 256 ? `${token.slice(0, 256)}...` : token;
    throw new AuthFailure('SecurityAuthMalformedToken', `Неверная структура токена авторизации:${shown}`, {
      token: shown, error_cause: { detailMessage: e.message },
    });
  }
  try {
    return await authenticateParts(parts, opts.now ?? new Date(), opts.address);
  } catch (e) {
    if (e instanceof AuthFailure) e.user ??= parts.user;
    throw e;
  }
}

async function authenticateParts(parts: TokenParts, now: Date, address: string | undefined): Promise<B2bPrincipal> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const window = { income_stamp: isoOfSeconds(parts.stamp), income_age: parts.age, server_time: iso(now) };
  if (parts.stamp > nowSeconds + b2bConfig.clockSkewSeconds) {
    throw new AuthFailure('SecurityAuthFutureStamp',
      `Метка времени ${window.income_stamp} ещё не наступила - income_age:${parts.age}, server_time:${window.server_time}`, window);
  }
  // the token's age is the client's wish; its life is at most the server's cap
  const cap = b2bConfig.maxTokenAgeSeconds;
  if (nowSeconds > parts.stamp + Math.min(parts.age, cap)) {
    const capped = parts.age > cap;
    throw new AuthFailure('SecurityAuthTimeoutedStamp',
      `Метка времени ${window.income_stamp} просрочена - income_age:${parts.age}${capped ? `, max_age:${cap}` : ''}, server_time:${window.server_time}`,
      capped ? { income_stamp: window.income_stamp, income_age: parts.age, max_age: cap, server_time: window.server_time } : window);
  }

  // a lock in force is answered before anything is checked, so a locked address does not even learn whether a user exists
  const [user, lock] = await Promise.all([
    User.findOne({ where: { uid: parts.user }, include: ['domain', 'groups'] }),
    lockOf({ user: parts.user, address }),
  ]);
  if (lock) throw locked(parts.user, lock);
  if (!user || !user.domain) {
    const counted = await recordFailure({ address });
    if (counted.answer) throw locked(parts.user, counted.answer);
    throw new AuthFailure('SecurityAuthUserNotFound', `Пользователь ${parts.user} не найден`, { user: parts.user }).locking(counted.locking);
  }

  if (user.passHashEnc === null) {
    // created without a pass_hash: no token can be right until one is set, which is what activation means here
    throw new AuthFailure('SecurityAuthUserActivationRequired', `Пользователь ${user.uid} не активирован`, { user: user.uid, state: user.state });
  }
  const expected = saltedDigest(saltOf(parts.stampText, parts.ageText, await openPassHash(user.uid, user.passHashEnc)));
  if (!crypto.timingSafeEqual(expected, parts.saltedHash)) {
    const counted = await recordFailure({ user: user.uid, address });
    if (counted.answer) throw locked(user.uid, counted.answer);
    throw new AuthFailure('SecurityAuthWrongHash', `Подпись токена пользователя ${user.uid} не совпадает`, { user: user.uid }).locking(counted.locking);
  }

  if (user.state === 'BANNED') throw new AuthFailure('SecurityAuthUserBanned', `Пользователь ${user.uid} заблокирован`, { user: user.uid, state: user.state });
  if (user.state === 'ACTIVATION_REQUIRED') {
    throw new AuthFailure('SecurityAuthUserActivationRequired', `Пользователь ${user.uid} не активирован`, { user: user.uid, state: user.state });
  }
  if (now < user.activeFrom || now > user.activeTo) {
    throw new AuthFailure('SecurityAuthUserInactive', `Учётная запись ${user.uid} активна только с ${iso(user.activeFrom)} по ${iso(user.activeTo)}`, {
      user: user.uid, active_from: iso(user.activeFrom), active_to: iso(user.activeTo), server_time: iso(now),
    });
  }
  const domain = user.domain;
  if (domain.state !== 'ACTIVE' || now < domain.activeFrom || now > domain.activeTo) {
    throw new AuthFailure('SecurityAuthDomainInactive', `Домен ${domain.uid} неактивен (${domain.state}, с ${iso(domain.activeFrom)} по ${iso(domain.activeTo)})`, {
      domain: domain.uid, state: domain.state, active_from: iso(domain.activeFrom), active_to: iso(domain.activeTo), server_time: iso(now),
    });
  }
  const groups = user.groups ?? [];
  return { user, domain, groups, roles: effectiveRoles(user, groups, domain, now) };
}

export class ArRestStrategy extends Strategy {
  override name = 'ar-rest';

  override authenticate(req: IncomingMessage): void {
    const address = clientAddressOf(req);
    authenticateHeader(req.headers.authorization, { address }).then(
      (principal) => this.success(principal),
      (err) => {
        if (!(err instanceof AuthFailure)) return this.error(err);
        // who and why, never the token: the user part is the name the token claims, which may not exist
        const requestId = requestIdOf(req);
        logger.warn({
          requestId, client: address, event: err.type, ...(err.user !== undefined && { user: err.user }),
          ...(err.locks.length && { locks: err.locks }),
        }, 'b2b authentication refused');
        this.fail(err);
      },
    );
  }
}
