/**
 * The catalogue of failure kinds. Handlers and the kernel throw ApiError; each service's renderer turns a kind into
 * its own product's error body, so no failure leaves the process in a shape the product would not use.
 */
export type ErrorKind =
  | 'validation'      // 400: request failed the spec or a documented rule
  | 'malformed'       // 400: body could not be parsed
  | 'unauthorized'    // 401
  | 'payment'         // 402: quota exhausted
  | 'forbidden'       // 403
  | 'notFound'        // 404: resource
  | 'routeNotFound'   // 404: no such path
  | 'methodNotAllowed'// 405
  | 'notAcceptable'   // 406
  | 'conflict'        // 409
  | 'unsupportedMediaType' // 415
  | 'tooManyRequests' // 429
  | 'payloadTooLarge' // 413
  | 'internal'        // 500
  | 'notImplemented'  // 501
  | 'unavailable';    // 503: a dependency is down

export const statusOf: Record<ErrorKind, number> = {
  validation: 400, malformed: 400, unauthorized: 401, payment: 402, forbidden: 403, notFound: 404,
  routeNotFound: 404, methodNotAllowed: 405, notAcceptable: 406, conflict: 409, unsupportedMediaType: 415, payloadTooLarge: 413,
  tooManyRequests: 429, internal: 500, notImplemented: 501, unavailable: 503,
};

export interface FieldError { location: 'path' | 'query' | 'header' | 'body'; field: string; message: string }

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly extra: {
      fields?: FieldError[];
      resourceId?: string;
      headers?: Record<string, string>;
      /** service-specific detail a renderer may use (e.g. an event type) */
      code?: string;
      data?: unknown;
    } = {},
  ) {
    super(message);
    this.status = statusOf[kind];
  }
}

export const badRequest = (message: string, fields?: FieldError[]) => new ApiError('validation', message, { fields });
export const unauthorized = (message = 'Unauthorized', code?: string, data?: unknown) => new ApiError('unauthorized', message, { code, data });
export const forbidden = (message = 'Forbidden', code?: string) => new ApiError('forbidden', message, { code });
export const notFound = (what: string, id?: string) => new ApiError('notFound', `${what}${id ? ` ${id}` : ''} not found`, { resourceId: id });
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new ApiError('tooManyRequests', message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
