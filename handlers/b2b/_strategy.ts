/**
 * The ArRest security scheme as a passport strategy: `Authorization: AR-REST <token>` is decoded, its stamp window
 * checked (with a clock-skew allowance for stamps in the future), its user found, the salted hash recomputed from the
 * stored pass_hash and compared in constant time, then the user's and domain's state and active periods checked.
 * Each failure is its own security event (see spec/b2b.yaml, info x-decision, for the order and statuses).
 */
import crypto from 'node:crypto';
import type { Request } from 'express';
import { Strategy } from 'passport';
import { User } from '../../models/b2b';
import { b2bConfig } from './_config';
import type { B2bPrincipal } from './_context';
import { openPassHash } from './_crypto';
import { AuthFailure } from './_events';
import { effectiveRoles } from './_permissions';
import { MalformedToken, parseToken, saltedDigest, saltOf, TOKEN_PREFIX } from './_token';

const iso = (d: Date) => d.toISOString();
const isoOfSeconds = (s: number) => {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : iso(d);
};

/** The principal of an Authorization header value, or an AuthFailure; other errors are faults. */
export async function authenticateHeader(header: string | undefined, now = new Date()): Promise<B2bPrincipal> {
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

  const nowSeconds = Math.floor(now.getTime() / 1000);
  const window = { income_stamp: isoOfSeconds(parts.stamp), income_age: parts.age, server_time: iso(now) };
  if (parts.stamp > nowSeconds + b2bConfig.clockSkewSeconds) {
    throw new AuthFailure('SecurityAuthFutureStamp',
      `Метка времени ${window.income_stamp} ещё не наступила - income_age:${parts.age}, server_time:${window.server_time}`, window);
  }
  if (nowSeconds > parts.stamp + parts.age) {
    throw new AuthFailure('SecurityAuthTimeoutedStamp',
      `Метка времени ${window.income_stamp} просрочена - income_age:${parts.age}, server_time:${window.server_time}`, window);
  }

  const user = await User.findOne({ where: { uid: parts.user }, include: ['domain', 'groups'] });
  if (!user || !user.domain) throw new AuthFailure('SecurityAuthUserNotFound', `Пользователь ${parts.user} не найден`, { user: parts.user });

  if (user.passHashEnc === null) {
    // created without a pass_hash: no token can be right until one is set, which is what activation means here
    throw new AuthFailure('SecurityAuthUserActivationRequired', `Пользователь ${user.uid} не активирован`, { user: user.uid, state: user.state });
  }
  const expected = saltedDigest(saltOf(parts.stampText, parts.ageText, await openPassHash(user.uid, user.passHashEnc)));
  if (!crypto.timingSafeEqual(expected, parts.saltedHash)) {
    throw new AuthFailure('SecurityAuthWrongHash', `Подпись токена пользователя ${user.uid} не совпадает`, { user: user.uid });
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

  override authenticate(req: Request): void {
    authenticateHeader(req.headers.authorization).then(
      (principal) => this.success(principal),
      (err) => (err instanceof AuthFailure ? this.fail(err) : this.error(err)),
    );
  }
}
