/**
 * JSON Schema validation of OpenAPI 3.0 schemas (already dereferenced) with ajv and ajv-formats: the runner's own
 * judge of generated data and of answers. OpenAPI's dialect is mapped to draft-07 where the two differ.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Schema } from './spec';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false });
addFormats(ajv);
// OpenAPI's numeric and binary formats are hints, not checks
for (const f of ['int32', 'int64', 'float', 'double', 'binary', 'password']) ajv.addFormat(f, true);
ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);

const converted = new WeakMap<object, Schema>();
const compiled = new WeakMap<object, ValidateFunction>();

/** Keys whose values are maps of names to schemas: their names are never keywords to drop. */
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'schemas', 'dependencies']);

/** OpenAPI 3.0 schema -> draft-07 for ajv: boolean exclusive bounds, nullable enums, no discriminator. */
export function toJsonSchema(schema: Schema, isNameMap = false): Schema {
  if (!schema || typeof schema !== 'object') return schema;
  const hit = converted.get(schema);
  if (hit) return hit;
  const out: Schema = Array.isArray(schema) ? [] : {};
  converted.set(schema, out);
  for (const [k, v] of Object.entries(schema)) {
    if (!isNameMap && !Array.isArray(schema)
      && (k === 'example' || k === 'examples' || k === 'discriminator' || k === 'xml' || k === 'externalDocs' || k.startsWith('x-'))) continue;
    out[k] = v && typeof v === 'object' ? toJsonSchema(v as Schema, !isNameMap && NAME_MAPS.has(k)) : v;
  }
  if (!Array.isArray(schema) && !isNameMap) {
    if (schema.exclusiveMinimum === true) {
      out.exclusiveMinimum = schema.minimum;
      delete out.minimum;
    } else if (schema.exclusiveMinimum === false) delete out.exclusiveMinimum;
    if (schema.exclusiveMaximum === true) {
      out.exclusiveMaximum = schema.maximum;
      delete out.maximum;
    } else if (schema.exclusiveMaximum === false) delete out.exclusiveMaximum;
    if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
  }
  return out;
}

/** Make a raw document's schemas reachable as `<id>#/...` (the $refs a recursive schema keeps). */
export function registerDocument(id: string, document: Schema): void {
  if (!ajv.getSchema(id)) ajv.addSchema({ ...toJsonSchema(document), $id: id }, id, undefined, false);
}

export function validator(schema: Schema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(toJsonSchema(schema));
    compiled.set(schema, v);
  }
  return v;
}

export function validate(schema: Schema | undefined, value: unknown): ErrorObject[] {
  if (!schema || (typeof schema === 'object' && Object.keys(schema).length === 0)) return [];
  const v = validator(schema);
  return v(value) ? [] : [...(v.errors ?? [])];
}

export function isValid(schema: Schema | undefined, value: unknown): boolean {
  return validate(schema, value).length === 0;
}

export function explainErrors(errors: ErrorObject[], max = 5): string {
  const parts = errors.slice(0, max).map((e) => {
    const at = e.instancePath || '(root)';
    const p = e.params as Record<string, unknown>;
    const extra = e.keyword === 'additionalProperties' ? ` (${p.additionalProperty})`
      : e.keyword === 'enum' ? ` (${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')})`
        : e.keyword === 'required' ? '' : '';
    return `${at} ${e.message}${extra}`;
  });
  if (errors.length > max) parts.push(`… ${errors.length - max} more`);
  return parts.join('; ');
}

/** Check a string against a pattern the way JSON Schema does (unanchored search, unicode). */
export function matchesPattern(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return new RegExp(pattern).test(value);
  }
}

export function formatValid(format: string, value: string): boolean {
  return isValid({ type: 'string', format }, value);
}
