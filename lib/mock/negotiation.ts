/**
 * Accept negotiation in the mock, by the server's rule (lib/spec `negotiate`): a request is refused with 406 only when
 * Accept names nothing the operation produces at any status; otherwise the success body is sent, in the best
 * acceptable success media type, or in the first declared one when Accept names only error types (generated clients
 * send `Accept: application/json` on every call, binary downloads included). The router applies the rule itself to the
 * operations it answers, and rewrites Accept for Prism, whose own negotiation looks at the answered status only.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { negotiate, ServiceSpec, type OperationInfo, type ResponseInfo } from '../spec';

/** `Prefer: code=401, example=x` as a map of lower-case keys. */
export function parsePrefer(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(header ?? '').split(',')) {
    const m = /^\s*([\w-]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
    if (m) out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

/** Whether an answer may be sent at all: false only when Accept names nothing the operation produces (406). */
export function acceptable(op: OperationInfo, accept: string | undefined): boolean {
  return negotiate(accept, ServiceSpec.produces(op)).acceptable;
}

/**
 * The declared media types of one response that Accept takes, best first: empty when it takes none of them (the
 * caller then sends the response's first declared type, the request having passed the operation-wide 406 check).
 */
export function ranked(response: ResponseInfo, accept: string | undefined): string[] {
  const declared = response.content.map((m) => m.mediaType);
  if (!accept || !accept.trim()) return declared;
  return negotiate(accept, { success: declared, any: declared }).success;
}

/** The response Prism answers a valid request with: the one `Prefer: code=` names, else the lowest 2xx. */
function answeredResponse(op: OperationInfo, preferCode: string | undefined): ResponseInfo | undefined {
  if (preferCode) {
    const forced = ServiceSpec.responseFor(op, preferCode);
    if (forced) return forced;
  }
  return op.responses.filter((r) => /^2\d\d$/.test(r.status)).sort((a, b) => Number(a.status) - Number(b.status))[0];
}

/**
 * The Accept to send Prism for an acceptable request, or undefined to leave the request's own: the media type of the
 * answered response chosen by the rule. Prism 5 negotiates against that response alone and answers its own 406
 * (application/problem+json) when Accept names only other statuses' types, where the server sends the success body.
 */
export function acceptForPrism(op: OperationInfo, headers: IncomingHttpHeaders): string | undefined {
  const accept = headers.accept;
  if (!accept || !accept.trim()) return undefined;
  const response = answeredResponse(op, parsePrefer(headers.prefer).code);
  if (!response?.content.length) return undefined;
  return ranked(response, accept)[0] ?? response.content[0].mediaType;
}
