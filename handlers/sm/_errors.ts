/**
 * The product's failure bodies: `{message}`, `{message, queryFields}`, `{message, bodyFields}`; every distinct 400
 * reason of the product's tables has its own message (spec/sm.yaml lists them with the Russian originals).
 */
import { ApiError, type FieldError } from '../../lib/errors';
import type { ErrorInfo, RenderedError } from '../../lib/service';

export const MSG = {
  emptyBody: 'Request body is empty.',
  wrongModel: 'Wrong data model in request body.',
  queryError: 'Error in query parameters.',
  invalidModeId: 'Invalid service mode ID.',
  noStart: 'Maintenance start time is not specified.',
  noEnd: 'Maintenance end time is not specified.',
  noCis: 'The list of CIs to put into maintenance is not specified.',
  endBeforeStart: 'Maintenance end time must be later than its start time.',
  endInPast: 'Maintenance end time must be later than the current time.',
  noCiId: 'CI ID is not specified.',
  invalidCiId: 'Invalid CI ID value.',
  invalidDepth: 'Invalid RSM graph depth value.',
  cisNotFound: 'The specified CIs were not found or you do not have enough rights.',
  endedCannotEnd: 'The specified maintenance has already ended. You cannot end it.',
  startedCannotCancel: 'The specified maintenance has already started. You cannot cancel it.',
  endedCannotChange: 'The specified maintenance has already ended. You cannot change it.',
  startedCannotMoveStart: 'The specified maintenance has already started. You cannot change its start time.',
  emptyFilter: 'Empty filter in request.',
  unauthorized: 'Failed to authorize the user.',
  forbiddenList: 'Not enough rights to view service modes.',
  forbiddenRead: 'Not enough rights to view this service mode.',
  forbiddenFilter: 'Not enough rights to view service modes by this filter.',
  forbiddenCreate: 'Not enough rights to create a service mode.',
  forbiddenEdit: 'Not enough rights to edit this service mode.',
  forbiddenCi: 'Not enough rights to view this CI.',
  unsupportedMedia: 'Wrong type of input data. Specify the type: application/json',
  internal: 'An unexpected error occurred while processing the request.',
} as const;

/** A documented 400 of the product with its own message. */
export const rule = (message: string) => new ApiError('validation', message);
export const modeNotFound = (id: number | string) => new ApiError('notFound', `mode with ID ${id} not found`, { resourceId: String(id) });

/** field -> its messages; a Map first, so that names such as 'constructor' or '__proto__' are fields like any other */
const group = (fields: FieldError[]) => {
  const out = new Map<string, string[]>();
  for (const f of fields) {
    const key = f.field || (f.location === 'body' ? 'body' : f.location);
    const list = out.get(key) ?? [];
    list.push(f.message);
    out.set(key, list);
  }
  return Object.fromEntries(out) as Record<string, string[]>;
};

/** The product's reason for body field errors: a specific one when every error is one of the named kinds. */
function bodyReason(fields: FieldError[]): string | undefined {
  const reasons = fields.map((f) => {
    const field = f.field;
    const required = /required/.test(f.message);
    if (field === '' && (f.message === 'request body is required' || /fewer than 1 propert/.test(f.message))) return MSG.emptyBody;
    if (field === 'dateStart' && required) return MSG.noStart;
    if (field === 'dateEnd' && required) return MSG.noEnd;
    if (field === 'configItems' && (required || /fewer than 1 item/.test(f.message))) return MSG.noCis;
    if (/^configItems\.\d+\.id$/.test(field)) return required ? MSG.noCiId : MSG.invalidCiId;
    if (/^configItems\.\d+\.depth$/.test(field)) return MSG.invalidDepth;
    return undefined;
  });
  if (reasons.includes(MSG.emptyBody)) return MSG.emptyBody;
  if (reasons.some((r) => r === undefined)) return undefined;
  const order = [MSG.noStart, MSG.noEnd, MSG.noCis, MSG.noCiId, MSG.invalidCiId, MSG.invalidDepth];
  return order.find((m) => reasons.includes(m));
}

function validationBody(err: ApiError, info: ErrorInfo): { message: string; queryFields?: Record<string, string[]>; bodyFields?: Record<string, string[]> } {
  const fields = err.extra.fields;
  if (!fields?.length) return { message: err.message };
  const params = fields.filter((f) => f.location !== 'body');
  if (params.length) {
    if (params.some((f) => f.location === 'path' && f.field === 'id')) return { message: MSG.invalidModeId };
    return { message: MSG.queryError, queryFields: group(params) };
  }
  if (err.kind === 'validation') {
    const reason = bodyReason(fields);
    // a body-less PATCH/PUT/POST is empty however the validator words it
    if (reason) return { message: reason };
  }
  void info;
  return { message: MSG.wrongModel, bodyFields: group(fields) };
}

export function renderSmError(err: ApiError, info: ErrorInfo): RenderedError {
  const headers: Record<string, string> = {};
  switch (err.kind) {
    case 'validation':
    case 'malformed':
      return { status: 400, body: validationBody(err, info) };
    case 'unauthorized':
      headers['WWW-Authenticate'] = 'Bearer realm="sm"';
      return { status: 401, headers, body: { message: MSG.unauthorized } };
    case 'unsupportedMediaType':
      return { status: 415, body: { message: MSG.unsupportedMedia } };
    case 'internal':
      return { status: 500, body: { message: MSG.internal } };
    default:
      return { status: err.status, body: { message: err.message } };
  }
}
