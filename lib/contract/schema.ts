/**
 * JSON Schema validation of OpenAPI 3.0 schemas (already dereferenced): the runner's judge of generated data and of
 * answers, on the project's one Ajv setup and OpenAPI-to-draft-07 mapping (lib/spec/ajv.ts).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { newAjv, toJsonSchema } from '../spec/ajv';
import type { Schema } from './spec';

export { toJsonSchema };

/** The project's one Ajv setup (lib/spec/ajv.ts): what the runner judges valid is what the kernel validates. */
const ajv = newAjv();
const compiled = new WeakMap<object, ValidateFunction>();

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

const patterns = new Map<string, ValidateFunction | null>();

/** Check a string against a pattern the way the validator does: through the same Ajv (unanchored search, `u` flag). */
export function matchesPattern(pattern: string, value: string): boolean {
  let v = patterns.get(pattern);
  if (v === undefined) {
    try {
      v = ajv.compile({ type: 'string', pattern });
    } catch {
      v = null; // a pattern the validator cannot compile: fall back to a plain ECMA-262 search
    }
    patterns.set(pattern, v);
  }
  return v ? v(value) === true : new RegExp(pattern).test(value);
}

export function formatValid(format: string, value: string): boolean {
  return isValid({ type: 'string', format }, value);
}
