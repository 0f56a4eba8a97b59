/**
 * Stage 5, validate: path, query, header and body checked against the operation's schemas with openapi-backend's
 * compiled validators (coercing text parameters to their types), after normalising what clients spell differently:
 * booleans in any letter case (Python's requests sends `True`), a single value for an array parameter. Failures are
 * the service's 400 naming each field; a path-only failure on an operation that documents no 400 is its 404.
 */
import type { ErrorObject } from 'ajv';
import type { Operation } from 'openapi-backend';
import { ApiError, type FieldError } from '../errors';
import { ServiceSpec, type ParameterInfo } from '../spec';
import type { Exchange } from './exchange';

type Json = Record<string, unknown>;

function schemaOf(spec: ServiceSpec, p: ParameterInfo): Json | undefined {
  return spec.derefSchema(p.schema) as Json | undefined;
}

/** Text parameter values as the schema wants them before coercion: case-insensitive booleans, arrays from singles. */
export function normaliseParameters(spec: ServiceSpec, params: ParameterInfo[], where: 'query' | 'path' | 'header', values: Json): Json {
  const out: Json = { ...values };
  for (const p of params) {
    if (p.in !== where) continue;
    const key = where === 'header' ? p.name.toLowerCase() : p.name;
    const v = out[key];
    if (v === undefined) continue;
    const schema = schemaOf(spec, p);
    const bool = (x: unknown) => (typeof x === 'string' && /^(true|false)$/i.test(x) ? x.toLowerCase() : x);
    if (schema?.type === 'boolean') out[key] = Array.isArray(v) ? v.map(bool) : bool(v);
    if (schema?.type === 'array') {
      const items = spec.derefSchema(schema.items) as Json | undefined;
      const list = Array.isArray(v) ? v : [v];
      out[key] = items?.type === 'boolean' ? list.map(bool) : list;
    }
  }
  return out;
}

export function fieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  const where: Record<string, FieldError['location']> = { path: 'path', query: 'query', header: 'header', requestBody: 'body' };
  return (errors ?? []).map((e) => {
    const parts = e.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let location: FieldError['location'] = where[parts[0]] ?? 'body';
    let rest = parts.slice(1);
    const params = e.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
    if (e.instancePath === '' && e.keyword === 'required') {
      location = where[String(params.missingProperty ?? '')] ?? 'body';
      rest = [];
    }
    if (e.keyword === 'required') rest = [...rest, String(params.missingProperty)];
    if (e.keyword === 'additionalProperties') rest = [...rest, String(params.additionalProperty)];
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'enum') message += `: ${(params.allowedValues ?? []).join(', ')}`;
    if (e.keyword === 'required' && location === 'body' && rest.length === 1 && rest[0] === 'requestBody') {
      return { location, field: '', message: 'request body is required' } as FieldError;
    }
    return { location, field: rest.join('.'), message } as FieldError;
  }).filter((f, i, all) => all.findIndex((g) => g.field === f.field && g.message === f.message && g.location === f.location) === i);
}

export function describeFields(fields: FieldError[]): string {
  return fields.map((f) => (f.field ? `${f.location === 'body' ? '' : `${f.location} `}${f.field}: ${f.message}` : f.message)).join('; ');
}

/** Top-level schema defaults of query parameters and body properties the client left out. */
function applyDefaults(spec: ServiceSpec, ex: Exchange, query: Json, body: unknown): void {
  for (const p of ex.info!.parameters) {
    const d = schemaOf(spec, p)?.default;
    if (p.in === 'query' && query[p.name] === undefined && d !== undefined) query[p.name] = d;
  }
  const media = ex.info!.requestBody?.content.find((m) => m.mediaType === 'application/json');
  const schema = spec.derefSchema(media?.schema) as { properties?: Record<string, Json> } | undefined;
  if (schema?.properties && body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [k, s] of Object.entries(schema.properties)) {
      const d = (spec.derefSchema(s) as Json | undefined)?.default;
      if ((body as Json)[k] === undefined && d !== undefined) (body as Json)[k] = d;
    }
  }
}

export function validate(ex: Exchange): void {
  if (ex.bodyError) throw ex.bodyError;
  const { service, info, req } = ex;
  const spec = service!.spec;
  const op = ex.operation as Operation;
  const headers: Json = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const parameters: Json = {
    path: normaliseParameters(spec, info!.parameters, 'path', { ...ex.pathParams }),
    query: normaliseParameters(spec, info!.parameters, 'query', { ...(ex.query as Json) }),
    header: normaliseParameters(spec, info!.parameters, 'header', headers),
    cookie: {},
  };
  const body = ex.form ? ex.form.forValidation : ex.body;
  if (body !== undefined) parameters.requestBody = body;

  const errors: ErrorObject[] = [];
  for (const check of service!.api.validator.getRequestValidatorsForOperation(op.operationId!) ?? []) {
    if (!check(parameters)) errors.push(...(check.errors ?? []));
  }
  if (ex.form) {
    const missing = spec.requiredFiles(info!).filter((f) => !ex.form!.files.has(f));
    for (const f of missing) errors.push({ instancePath: '/requestBody', keyword: 'required', params: { missingProperty: f }, schemaPath: '', message: 'file is required' } as ErrorObject);
  }
  if (errors.length && !ServiceSpec.responseFor(info!, 400)) {
    // an operation that documents no 400 does not refuse a query parameter it does not know: it ignores it (the
    // spec's list of parameters is what the operation reads, not a promise to refuse others it never stated)
    const unknown = errors.filter((e) => e.keyword === 'additionalProperties' && e.instancePath === '/query');
    for (const e of unknown) delete (parameters.query as Json)[String((e.params as { additionalProperty?: string }).additionalProperty)];
    errors.splice(0, errors.length, ...errors.filter((e) => !unknown.includes(e)));
  }
  if (errors.length) {
    const fields = fieldErrors(errors);
    if (!ServiceSpec.responseFor(info!, 400) && fields.every((f) => f.location === 'path')) {
      // no such resource can exist under this name, and the operation documents no 400
      const value = Object.values(ex.pathParams).join('/');
      throw new ApiError('notFound', `${value} not found`, { resourceId: value, fields });
    }
    throw new ApiError('validation', describeFields(fields) || 'Invalid request', { fields });
  }
  const query = parameters.query as Json;
  const input = ex.form ? ex.form.value : ex.body;
  applyDefaults(spec, ex, query, input);
  ex.input = {
    path: parameters.path as Json,
    query,
    headers: req.headers as Record<string, string | undefined>,
    body: input,
  };
}
