/**
 * Negative data: every constraint of a schema violated in turn, one at a time, on a valid base value. Each mutation
 * is re-validated: one the schema would still accept is dropped rather than sent as "invalid".
 */
import { mergeAllOf, stringOfLength, typeOf, validValue } from './generate';
import { isValid, matchesPattern, validate } from './schema';
import type { Schema } from './spec';

export interface Violation {
  /** JSON-pointer-like location inside the value, '' for the value itself */
  pointer: string;
  keyword: string;
  description: string;
  /** the whole value with the violation applied (undefined = remove the value entirely) */
  value: unknown;
  /** remove the value (a required property) instead of replacing it */
  remove?: boolean;
}

const MAX_LENGTH_PROBE = 100_000;
const MAX_ITEMS_PROBE = 2_000;

function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

function setAt(root: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  if (!path.length) return value;
  const out = clone(root) as Record<string | number, unknown>;
  let node = out;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = value;
  return out;
}

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}…(${[...String(v)].length} chars)` : s;
};

/** Values of the wrong JSON type for a schema type (a JSON body, where types are visible on the wire). */
function wrongTypeFor(type: string | undefined): unknown {
  switch (type) {
    case 'string': return 12345;
    case 'integer': return 'not-an-integer';
    case 'number': return 'not-a-number';
    case 'boolean': return 'not-a-boolean';
    case 'array': return 'not-an-array';
    case 'object': return 'not-an-object';
    default: return undefined;
  }
}

/** A string that breaks the pattern but keeps the length bounds (and the format, which patterns rarely carry). */
function patternBreaker(schema: Schema): string | undefined {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Math.max(min, 16);
  const seeds = [' ', '!', '@', '#', '-', 'é', '.', ':', '/', 'a b', 'A', '0', 'a', '_', '\t', '%', '*'];
  for (const c of seeds) {
    for (const s of [c, c.repeat(Math.max(1, min)), `${c}${'a'.repeat(Math.max(0, min - 1))}`, `${'a'.repeat(Math.max(0, min - 1))}${c}`]) {
      const n = [...s].length;
      if (n >= min && n <= max && !matchesPattern(schema.pattern, s)) return s;
    }
  }
  return undefined;
}

const FORMAT_BREAKERS: Record<string, string[]> = {
  date: ['not-a-date', '2024-02-30', '2024-13-01', '24-1-1'],
  'date-time': ['not-a-date-time', '2024-02-21T25:61:00Z', '2024-02-21 09:30:00', '2024-02-21T09:30:00'],
  time: ['not-a-time', '25:61:00Z'],
  email: ['not-an-email', 'a@', 'abc'],
  uuid: ['not-a-uuid', '11111111-2222-3333-4444-55555555555Z', '1234'],
  uri: ['not a uri', '::'],
  hostname: ['-bad-.host-', 'a..b'],
  ipv4: ['999.1.1.1', '1.2.3'],
  ipv6: ['not:an:ipv6::address::', '1:2'],
  byte: ['not base64!', '%%%%'],
};

function formatBreaker(schema: Schema): string | undefined {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.MAX_SAFE_INTEGER;
  for (const s of FORMAT_BREAKERS[schema.format] ?? []) {
    const n = [...s].length;
    if (n >= min && n <= max && (schema.pattern === undefined || matchesPattern(schema.pattern, s)) && !isValid({ type: 'string', format: schema.format }, s)) return s;
  }
  return undefined;
}

function enumBreaker(schema: Schema): unknown {
  const values = schema.enum as unknown[];
  const type = typeOf(schema) ?? typeof values.find((v) => v !== null);
  if (type === 'string') {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? Number.MAX_SAFE_INTEGER;
    for (const s of ['NOT_IN_ENUM', `${values[0]}_x`, 'x', 'ZZZ', `${values[0]}`.toLowerCase(), `${values[0]}`.toUpperCase()]) {
      if (!values.includes(s) && s.length >= min && s.length <= max) return s;
    }
    return undefined;
  }
  if (type === 'integer' || type === 'number') {
    const nums = values.filter((v): v is number => typeof v === 'number');
    return Math.max(...nums, 0) + 1;
  }
  if (type === 'boolean') return values.includes(true) ? false : true;
  return undefined;
}

/**
 * Every single-constraint violation of `schema` reachable in `base` (which must be valid). `wire` = 'json' for a
 * body, 'text' for parameters, whose values travel as strings: there a wrong JSON type is not expressible.
 */
export function violations(schema0: Schema, base: unknown, seed: number, wire: 'json' | 'text' = 'json'): Violation[] {
  const out: Violation[] = [];
  const visit = (schemaIn: Schema, value: unknown, path: (string | number)[], depth: number) => {
    if (!schemaIn || depth > 8) return;
    const schema = mergeAllOf(schemaIn);
    if (schema.oneOf || schema.anyOf || schema.not) return; // a violation of one branch may satisfy another
    const at = path.join('.');
    const push = (keyword: string, description: string, v: unknown) =>
      out.push({ pointer: at, keyword, description: `${at || 'value'}: ${description}`, value: setAt(base, path, v) });
    const type = typeOf(schema);

    // type
    if (schema.type) {
      if (wire === 'json') {
        const wrong = wrongTypeFor(type);
        if (wrong !== undefined) push('type', `${show(wrong)} is not ${type}`, wrong);
      } else if (type === 'integer') {
        push('type', '"1.5" is not an integer', '1.5');
        push('type', '"abc" is not an integer', 'abc');
      } else if (type === 'number') push('type', '"abc" is not a number', 'abc');
      else if (type === 'boolean') push('type', '"maybe" is not a boolean', 'maybe');
    }
    if (schema.enum) {
      const v = enumBreaker(schema);
      if (v !== undefined) push('enum', `${show(v)} is not one of the enum`, v);
    }
    if (type === 'string' && !schema.enum) {
      if (typeof schema.minLength === 'number' && schema.minLength > 0) {
        const s = stringOfLength({ pattern: schema.pattern }, schema.minLength - 1, seed) ?? 'a'.repeat(schema.minLength - 1);
        push('minLength', `${schema.minLength - 1} characters, below minLength ${schema.minLength}`, s);
      }
      if (typeof schema.maxLength === 'number' && schema.maxLength < MAX_LENGTH_PROBE) {
        const s = stringOfLength({ pattern: schema.pattern, format: schema.format }, schema.maxLength + 1, seed)
          ?? stringOfLength({ pattern: schema.pattern }, schema.maxLength + 1, seed) ?? 'a'.repeat(schema.maxLength + 1);
        push('maxLength', `${schema.maxLength + 1} characters, above maxLength ${schema.maxLength}`, s);
      }
      if (schema.pattern !== undefined) {
        const s = patternBreaker(schema);
        if (s !== undefined) push('pattern', `${show(s)} does not match ${schema.pattern}`, s);
      }
      if (schema.format && FORMAT_BREAKERS[schema.format]) {
        const s = formatBreaker(schema);
        if (s !== undefined) push('format', `${show(s)} is not a valid ${schema.format}`, s);
      }
    }
    if (type === 'integer' || type === 'number') {
      const step = type === 'integer' ? 1 : 0.5;
      const asText = (n: number) => (wire === 'text' ? String(n) : n);
      if (typeof schema.minimum === 'number') {
        const v = schema.exclusiveMinimum === true ? schema.minimum : schema.minimum - step;
        push('minimum', `${v}, below the minimum ${schema.minimum}${schema.exclusiveMinimum === true ? ' (exclusive)' : ''}`, asText(v));
      }
      if (typeof schema.maximum === 'number') {
        const v = schema.exclusiveMaximum === true ? schema.maximum : schema.maximum + step;
        push('maximum', `${v}, above the maximum ${schema.maximum}${schema.exclusiveMaximum === true ? ' (exclusive)' : ''}`, asText(v));
      }
    }
    if (type === 'array' && wire === 'json') {
      const arr = Array.isArray(value) ? value : [];
      const item = arr[0] ?? validValue(schema.items ?? {}, seed);
      if (typeof schema.minItems === 'number' && schema.minItems > 0) {
        push('minItems', `${schema.minItems - 1} items, below minItems ${schema.minItems}`, Array.from({ length: schema.minItems - 1 }, (_, i) => clone(arr[i] ?? item)));
      }
      if (typeof schema.maxItems === 'number' && schema.maxItems < MAX_ITEMS_PROBE && item !== undefined) {
        push('maxItems', `${schema.maxItems + 1} items, above maxItems ${schema.maxItems}`, Array.from({ length: schema.maxItems + 1 }, (_, i) => clone(arr[i] ?? item)));
      }
      if (schema.uniqueItems && item !== undefined && (schema.maxItems ?? 2) >= 2) {
        push('uniqueItems', 'the same item twice', [clone(item), clone(item), ...arr.slice(1).map(clone)].slice(0, Math.max(2, schema.maxItems ?? 2)));
      }
      if (arr.length && schema.items) visit(schema.items, arr[0], [...path, 0], depth + 1);
    }
    if (type === 'object' && wire === 'json' && value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      for (const r of (schema.required ?? []) as string[]) {
        if (!(r in obj)) continue;
        const where = [...path, r].join('.');
        out.push({ pointer: where, keyword: 'required', description: `${where}: required property missing`, value: setAt(base, [...path, r], undefined, true), remove: true });
      }
      if (schema.additionalProperties === false) push('additionalProperties', 'an undocumented property "contract_unknown_field"', { ...obj, contract_unknown_field: true });
      for (const [k, p] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        if (k in obj && !p.readOnly) visit(p, obj[k], [...path, k], depth + 1);
      }
    }
  };
  visit(schema0, base, [], 0);
  // keep only real violations, once each
  const seen = new Set<string>();
  return out.filter((v) => {
    const key = `${v.pointer}|${v.keyword}|${JSON.stringify(v.value)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (wire === 'text') return true; // parameters are checked by the caller, after coercion
    return validate(schema0, v.value).length > 0;
  });
}
