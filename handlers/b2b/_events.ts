/**
 * The product's failure bodies: a catalogue of event types, the errors that carry them, and the renderer. Failed
 * authentication answers the bare event; malformed JSON the vendor framework's body; everything else the envelope.
 */
import { ApiError, type ErrorKind } from '../../lib/errors';
import type { ErrorInfo, RenderedError } from '../../lib/service';
import type { components } from '../../generated/b2b';

type Schemas = components['schemas'];
export type EventType = Schemas['event']['type'];
type EventClass = Schemas['event']['cls'];

const CATALOGUE: Record<EventType, { cls: EventClass; name: string }> = {
  SecurityAuthMissingToken: { cls: 'Security', name: 'Отсутствует токен авторизации' },
  SecurityAuthMalformedToken: { cls: 'Security', name: 'Неверная структура токена авторизации' },
  SecurityAuthTimeoutedStamp: { cls: 'Security', name: 'Метка времени просрочена' },
  SecurityAuthFutureStamp: { cls: 'Security', name: 'Метка времени ещё не наступила' },
  SecurityAuthUserNotFound: { cls: 'Security', name: 'Пользователь не найден' },
  SecurityAuthWrongHash: { cls: 'Security', name: 'Неверная подпись токена авторизации' },
  SecurityAuthUserBanned: { cls: 'Security', name: 'Пользователь заблокирован' },
  SecurityAuthUserActivationRequired: { cls: 'Security', name: 'Требуется активация пользователя' },
  SecurityAuthUserInactive: { cls: 'Security', name: 'Учётная запись пользователя неактивна' },
  SecurityAuthDomainInactive: { cls: 'Security', name: 'Домен неактивен' },
  SecurityAuthLocked: { cls: 'Security', name: 'Вход временно заблокирован после неудачных попыток' },
  SecurityAccessDenied: { cls: 'Security', name: 'Недостаточно прав' },
  SecurityForeignDomain: { cls: 'Security', name: 'Доступ к чужому домену запрещён' },
  DataValidationError: { cls: 'Data', name: 'Ошибка в данных запроса' },
  DataSeekObjectError: { cls: 'Data', name: 'Отсутствие объекта с заданным идентификатором' },
  HttpRouteNotFound: { cls: 'Global', name: 'Ресурс не найден' },
  HttpMethodNotAllowed: { cls: 'Global', name: 'Метод не поддерживается' },
  HttpMediaTypeNotAcceptable: { cls: 'Global', name: 'Недопустимый формат ответа' },
  HttpMediaTypeNotSupported: { cls: 'Global', name: 'Неподдерживаемый формат запроса' },
  HttpPayloadTooLarge: { cls: 'Global', name: 'Слишком большой запрос' },
  GenericSystemError: { cls: 'Global', name: 'Общая ошибка системы' },
};

const TYPE_OF_KIND: Record<ErrorKind, EventType> = {
  validation: 'DataValidationError',
  malformed: 'DataValidationError',
  unauthorized: 'SecurityAuthMissingToken',
  payment: 'GenericSystemError',
  forbidden: 'SecurityAccessDenied',
  notFound: 'DataSeekObjectError',
  routeNotFound: 'HttpRouteNotFound',
  methodNotAllowed: 'HttpMethodNotAllowed',
  notAcceptable: 'HttpMediaTypeNotAcceptable',
  conflict: 'DataValidationError',
  unsupportedMediaType: 'HttpMediaTypeNotSupported',
  tooManyRequests: 'GenericSystemError',
  payloadTooLarge: 'HttpPayloadTooLarge',
  internal: 'GenericSystemError',
  notImplemented: 'GenericSystemError',
  unavailable: 'GenericSystemError',
};

/** Authentication failures with their status; answered as the bare event. */
const AUTH_STATUS = {
  SecurityAuthMissingToken: 401,
  SecurityAuthMalformedToken: 401,
  SecurityAuthUserNotFound: 401,
  SecurityAuthWrongHash: 401,
  SecurityAuthTimeoutedStamp: 403,
  SecurityAuthFutureStamp: 403,
  SecurityAuthUserBanned: 403,
  SecurityAuthUserActivationRequired: 403,
  SecurityAuthUserInactive: 403,
  SecurityAuthDomainInactive: 403,
  SecurityAuthLocked: 403,
} as const;
export type AuthFailureType = keyof typeof AUTH_STATUS;

export class AuthFailure extends ApiError {
  /** the user the token names, once it is decoded (for the log; it may not exist) */
  user?: string;
  /** the brute-force locks this failure has just set (for the log) */
  locks: string[] = [];

  constructor(readonly type: AuthFailureType, message: string, data: Record<string, unknown> = {}, headers?: Record<string, string>) {
    super(AUTH_STATUS[type] === 403 ? 'forbidden' : 'unauthorized', message, { code: type, data, headers });
  }

  locking(scopes: string[]): this {
    this.locks = scopes;
    return this;
  }
}

export const accessDenied = (role: string) =>
  new ApiError('forbidden', `Нужна роль ${role}`, { code: 'SecurityAccessDenied', data: { required_role: role } });

export const foreignDomain = (uid: string, domain: string, field: string) =>
  new ApiError('forbidden', `${field}: ${uid} принадлежит другому домену; доступен только домен ${domain}`, {
    code: 'SecurityForeignDomain', data: { field, uid, domain_uid: domain },
  });

export const invalidItem = (field: string, message: string) =>
  new ApiError('validation', `${field}: ${message}`, { code: 'DataValidationError', fields: [{ location: 'body', field, message }] });

export const isoNow = () => new Date().toISOString();

function eventOf(err: ApiError, requestId: string, stamp: string): Schemas['event'] {
  const code = err.extra.code as EventType | undefined;
  const type = code && code in CATALOGUE ? code : TYPE_OF_KIND[err.kind];
  const hidden = type === 'GenericSystemError';
  const data = hidden ? {} : (err.extra.data as Record<string, unknown> | undefined) ?? (err.extra.fields ? { fields: err.extra.fields } : {});
  return {
    uid: requestId,
    stamp,
    cls: CATALOGUE[type].cls,
    type,
    name: CATALOGUE[type].name,
    message: hidden ? 'В системе произошла непредвиденная ошибка' : err.message,
    data,
    events: [],
  };
}

export function renderB2bError(err: ApiError, info: ErrorInfo): RenderedError {
  const stamp = isoNow();
  if (err.kind === 'malformed') {
    const body: Schemas['framework_error'] = {
      timestamp: stamp, status: 400, error: 'Bad Request',
      exception: 'org.springframework.http.converter.HttpMessageNotReadableException', message: 'Bad Request', path: info.path,
    };
    return { status: 400, body };
  }
  const event = eventOf(err, info.requestId, stamp);
  const headers: Record<string, string> = {};
  if (err.status === 401) headers['WWW-Authenticate'] = 'AR-REST realm="b2b"';
  if (err instanceof AuthFailure || err.kind === 'unauthorized') return { status: err.status, headers, body: event };
  const body: Schemas['fail_response'] = { state: 'fail', stamp, event };
  return { status: err.status, headers, body };
}
