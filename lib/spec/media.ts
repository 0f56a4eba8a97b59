/** Media-type matching shared by the kernel, the contract runner and the test harness (parameters are ignored). */
import Negotiator from 'negotiator';

export function isJsonMedia(m: string): boolean {
  const t = m.split(';')[0].trim().toLowerCase();
  return t === 'application/json' || /^application\/[\w.+-]+\+json$/.test(t);
}

/** Whether `actual` is covered by `declared` (exact, `type/*` or `*\/*`). */
export function mediaMatches(declared: string, actual: string): boolean {
  const d = declared.split(';')[0].trim().toLowerCase();
  const a = actual.split(';')[0].trim().toLowerCase();
  if (d === '*/*' || d === a) return true;
  const [dt, ds] = d.split('/');
  const [at] = a.split('/');
  return ds === '*' && dt === at;
}

/** Accept with its media-type parameters (charset, version ...) dropped: only type and q take part in negotiation. */
function withoutParameters(accept: string): string {
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((x) => x.trim());
    return [type, ...params.filter((p) => /^q=/i.test(p))].join(';');
  }).join(', ');
}

/**
 * What an answer may be, given the request's Accept and what the operation produces: `success` are the acceptable
 * success media types, best first (empty when Accept names only types of other statuses: the success body is still
 * sent, as generated clients send `Accept: application/json` on every call, binary ones included); `acceptable` is
 * false only when Accept names nothing the operation produces at any status, the one case for a 406.
 */
export function negotiate(
  accept: string | undefined,
  produces: { success: string[]; any: string[] },
): { acceptable: boolean; success: string[] } {
  if (!accept || !accept.trim() || !produces.any.length) return { acceptable: true, success: produces.success };
  const n = new Negotiator({ headers: { accept: withoutParameters(accept) } });
  const success = produces.success.length ? n.mediaTypes(produces.success) : [];
  const acceptable = success.length > 0 || n.mediaTypes(produces.any).length > 0;
  return { acceptable, success };
}
