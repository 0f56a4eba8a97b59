/** Requests built from a spec alone: parameters and bodies from its examples (or sampled), credentials of any value. */
import { sample } from '../../lib/mock/sample';
import { isJsonMedia, ServiceSpec, type OperationInfo, type ParameterInfo } from '../../lib/spec';

export interface BuiltRequest {
  url: string;
  init: RequestInit & { headers: Record<string, string> };
}

const valueOf = (spec: ServiceSpec, p: ParameterInfo) => (p.examples.length ? p.examples[0].value : sample(spec, p.schema));

/** Headers (or query entries) that satisfy the operation's first security requirement with made-up values. */
export function credentials(spec: ServiceSpec, op: OperationInfo): { headers: Record<string, string>; query: Record<string, string> } {
  const out = { headers: {} as Record<string, string>, query: {} as Record<string, string> };
  const requirement = op.security.find((r) => Object.keys(r).length > 0);
  if (!ServiceSpec.secured(op) || !requirement) return out;
  for (const name of Object.keys(requirement)) {
    const s = spec.securityScheme(name);
    if (s.type === 'http' && String(s.scheme).toLowerCase() === 'basic') out.headers.Authorization = 'Basic bW9jazptb2Nr';
    else if (s.type === 'http') out.headers.Authorization = `${s.scheme[0].toUpperCase()}${s.scheme.slice(1)} mock-credential`;
    else if (s.type === 'apiKey' && s.in === 'header') out.headers[s.name] = 'mock-credential';
    else if (s.type === 'apiKey' && s.in === 'query') out.query[s.name] = 'mock-credential';
    else if (s.type === 'apiKey') out.headers.Cookie = `${s.name}=mock-credential`;
    else out.headers.Authorization = 'Bearer mock-credential';
  }
  return out;
}

export function buildRequest(spec: ServiceSpec, op: OperationInfo, base: string, opts: { auth?: boolean } = {}): BuiltRequest {
  let p = op.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const param of op.parameters) {
    if (!param.required && !param.examples.length) continue;
    const v = valueOf(spec, param);
    if (param.in === 'path') p = p.replace(`{${param.name}}`, encodeURIComponent(String(v)));
    else if (param.in === 'query') (Array.isArray(v) ? v : [v]).forEach((x) => query.append(param.name, String(x)));
    else if (param.in === 'header' && !/^(authorization|accept|content-type)$/i.test(param.name)) headers[param.name] = String(v);
  }
  if (opts.auth !== false) {
    const c = credentials(spec, op);
    Object.assign(headers, c.headers);
    for (const [k, v] of Object.entries(c.query)) query.set(k, v);
  }
  const init: BuiltRequest['init'] = { method: op.method.toUpperCase(), headers };
  const media = op.requestBody?.content[0];
  if (media) {
    const value = media.examples.length ? media.examples[0].value : sample(spec, media.schema);
    if (isJsonMedia(media.mediaType)) {
      headers['Content-Type'] = media.mediaType;
      init.body = JSON.stringify(value);
    } else if (/^multipart\/form-data/i.test(media.mediaType)) {
      const form = new FormData();
      const schema = spec.derefSchema(media.schema) ?? {};
      for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        const fs = spec.derefSchema(schema.properties?.[k]);
        form.append(k, fs?.format === 'binary' ? new Blob([String(v)]) : String(typeof v === 'object' ? JSON.stringify(v) : v));
      }
      init.body = form; // fetch sets the multipart Content-Type with its boundary
    } else if (/^application\/x-www-form-urlencoded/i.test(media.mediaType)) {
      headers['Content-Type'] = media.mediaType;
      init.body = new URLSearchParams(Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)] as [string, string])).toString();
    } else {
      headers['Content-Type'] = media.mediaType;
      init.body = typeof value === 'string' ? value : 'mock bytes';
    }
  }
  const qs = query.toString();
  return { url: `${base}${p}${qs ? `?${qs}` : ''}`, init };
}
