/**
 * Stage 2, negotiate: before any byte of the body is read, a body of a media type the operation does not take is a
 * 415, and an Accept that names nothing the operation produces at any status a 406. Accept that names only error
 * media types (generated clients send `Accept: application/json` on every call) still gets the success body.
 */
import { ApiError } from '../errors';
import { isJsonMedia, mediaMatches, negotiate as negotiateMedia, ServiceSpec } from '../spec';
import type { Exchange } from './exchange';

export function hasBody(ex: Exchange): boolean {
  const len = ex.req.headers['content-length'];
  return (len !== undefined && Number(len) > 0) || ex.req.headers['transfer-encoding'] !== undefined;
}

export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

export function negotiate(ex: Exchange): void {
  const info = ex.info!;
  const consumes = ServiceSpec.consumes(info);
  if (hasBody(ex) && consumes.length) {
    const ct = mediaTypeOf(ex.req.headers['content-type']);
    // any JSON media type (application/*+json) is taken where application/json is: it is read and validated as JSON
    const json = isJsonMedia(ct) && consumes.some((d) => isJsonMedia(d));
    if (!ct || (!json && !consumes.some((d) => mediaMatches(d, ct)))) {
      throw new ApiError('unsupportedMediaType', `Content-Type ${ct || '(none)'} is not supported; use ${consumes.join(' or ')}`);
    }
  }
  const produces = ServiceSpec.produces(info);
  const result = negotiateMedia(ex.req.headers.accept, produces);
  if (!result.acceptable) {
    throw new ApiError('notAcceptable', `None of the acceptable media types is produced; this operation answers ${produces.success.join(', ')}`);
  }
  ex.accepted = result.success;
}
