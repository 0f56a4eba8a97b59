/**
 * Validators for a service's component schemas outside HTTP (the admin command, fixtures): the spec stays the one
 * place where a field's rules are written down. The spec is lib/spec's parsed document, and the Ajv is lib/spec's
 * one setup (formats, OpenAPI's own formats, the 3.0 dialect), so the admin commands accept what the HTTP API accepts.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { loadSpec, newAjv, toJsonSchema } from './spec';

export interface SpecValidator {
  /** validator for an ad-hoc schema that may $ref '#/components/schemas/<name>' of the spec */
  compile(schema: object): ValidateFunction;
  schema(name: string): ValidateFunction;
  document: Record<string, unknown>;
}

const cache = new Map<string, SpecValidator>();

/** Validators of spec/<service>.yaml (read from lib/spec's `specDir()`); defaults are filled in as values are checked. */
export function specValidator(service: string): SpecValidator {
  const hit = cache.get(service);
  if (hit) return hit;
  const spec = loadSpec(service);
  const document = spec.doc as Record<string, unknown>;
  const ajv = newAjv({ useDefaults: true });
  ajv.addSchema({ ...toJsonSchema(document), $id: 'spec' });
  const relink = (s: unknown): unknown =>
    JSON.parse(JSON.stringify(s), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `spec${v}` : v));
  const v: SpecValidator = {
    document,
    compile: (schema) => ajv.compile(toJsonSchema(relink(schema) as Record<string, unknown>)),
    schema: (name) => ajv.getSchema(`spec#/components/schemas/${name}`) ?? (() => { throw new Error(`no schema ${name} in ${spec.file}`); })(),
  };
  cache.set(service, v);
  return v;
}

export function explain(errors: ErrorObject[] | null | undefined, prefix = ''): string {
  return (errors ?? []).map((e) => {
    const at = `${prefix}${e.instancePath.replace(/^\//, '').replace(/\//g, '.')}`;
    const extra = e.keyword === 'additionalProperties' ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
      : e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
    return `${at || 'value'} ${e.message}${extra}`;
  }).join('; ');
}
