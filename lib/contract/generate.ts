/**
 * Valid data from OpenAPI 3.0 schemas: fast-check arbitraries sampled with a fixed seed, a "full" form that carries
 * every optional property (the base that negative cases mutate), values of an exact length, and explicit examples.
 * Everything produced is checked against the schema again by the caller; the generator aims, the validator decides.
 */
import fc from 'fast-check';
import { formatValid, isValid, matchesPattern } from './schema';
import { follow, type Schema } from './spec';

export interface GenOptions {
  /** every optional property present, arrays of at least one item, no nulls: the base for negative cases */
  full?: boolean;
  /** printable ASCII only (header values) */
  ascii?: boolean;
}

const MAX_DEPTH = 8;
const INT32 = 2 ** 31;

/** allOf merged into one schema (properties and required joined; other keywords: the later wins). */
export function mergeAllOf(schema0: Schema): Schema {
  const schema = follow(schema0) ?? {};
  if (!Array.isArray(schema?.allOf)) return schema;
  const { allOf, ...rest } = schema;
  let out: Schema = { ...rest };
  for (const part0 of allOf as Schema[]) {
    const part = mergeAllOf(part0);
    out = {
      ...out,
      ...part,
      properties: { ...(out.properties ?? {}), ...(part.properties ?? {}) },
      required: [...new Set([...(out.required ?? []), ...(part.required ?? [])])],
    };
  }
  if (!Object.keys(out.properties ?? {}).length) delete out.properties;
  if (!(out.required ?? []).length) delete out.required;
  return out;
}

/** The type a schema describes, inferred from its keywords when `type` is absent. */
export function typeOf(schema0: Schema): string | undefined {
  const schema = follow(schema0);
  if (!schema || typeof schema !== 'object') return undefined;
  if (typeof schema.type === 'string') return schema.type;
  if (schema.properties || schema.additionalProperties !== undefined || schema.required) return 'object';
  if (schema.items) return 'array';
  if (schema.pattern !== undefined || schema.minLength !== undefined || schema.maxLength !== undefined || schema.format) return 'string';
  if (schema.minimum !== undefined || schema.maximum !== undefined) return 'number';
  return undefined;
}

function cpLength(s: string): number {
  return [...s].length;
}

function fitLength(s: string, min: number, max: number, pad = 'a'): string {
  const cps = [...s];
  if (cps.length > max) return cps.slice(0, max).join('');
  while (cps.length < min) cps.push(pad);
  return cps.join('');
}

function stringRange(schema: Schema): { min: number; max: number } {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Math.max(min, 64) + 64;
  return { min, max };
}

function patternArb(pattern: string, min: number, max: number): fc.Arbitrary<string> {
  let base: fc.Arbitrary<string>;
  try {
    base = fc.stringMatching(new RegExp(pattern));
  } catch {
    base = fc.string();
  }
  // several candidates: the first of an acceptable length wins, else pieces are joined or cut to fit
  return fc.array(base, { minLength: 6, maxLength: 6 }).map((cands) => {
    const ok = (s: string) => cpLength(s) >= min && cpLength(s) <= max && matchesPattern(pattern, s);
    const hit = cands.find(ok);
    if (hit !== undefined) return hit;
    const joined = cands.join('');
    for (const s of [fitLength(joined, min, max), fitLength(cands[0], min, max, cands[0].slice(-1) || 'a')]) if (ok(s)) return s;
    return cands[0];
  });
}

const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
const lowerArb = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...alnum.slice(0, 26)), minLength: min, maxLength: max });
const alnumArb = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...alnum), minLength: min, maxLength: max });

const DAY = 86_400_000;
const dateArb = fc.integer({ min: 0, max: Math.floor(Date.UTC(2100, 0, 1) / DAY) }).map((d) => new Date(d * DAY));
const dateTimeArb = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }).map((ms) => new Date(ms));

function isoWithOffset(d: Date, offsetMinutes: number): string {
  if (offsetMinutes === 0) return d.toISOString();
  const local = new Date(d.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function formatArb(format: string, min: number, max: number): fc.Arbitrary<string> | undefined {
  switch (format) {
    case 'date':
      return dateArb.map((d) => d.toISOString().slice(0, 10));
    case 'date-time':
      return fc.tuple(dateTimeArb, fc.constantFrom(0, 0, 180, -300, 330)).map(([d, off]) => isoWithOffset(d, off));
    case 'time':
      return dateTimeArb.map((d) => `${d.toISOString().slice(11, 19)}Z`);
    case 'email':
      return fc.tuple(alnumArb(1, 12), lowerArb(1, 10), fc.constantFrom('com', 'org', 'ru', 'example')).map(([l, d, t]) => {
        const tail = `@${d || 'x'}.${t}`;
        const local = fitLength(l || 'a', Math.max(1, min - tail.length), Math.max(1, max - tail.length));
        return `${local}${tail}`;
      });
    case 'uuid':
      return fc.uuid();
    case 'uri':
    case 'url':
      return fc.tuple(lowerArb(1, 10), alnumArb(0, 10)).map(([h, p]) => `https://${h || 'x'}.example/${p}`);
    case 'hostname':
      return lowerArb(1, 20).map((h) => `${h || 'x'}.example`);
    case 'ipv4':
      return fc.ipV4();
    case 'ipv6':
      return fc.ipV6();
    case 'byte':
      return fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => Buffer.from(b).toString('base64'));
    default:
      return undefined;
  }
}

function stringArb(schema: Schema, opts: GenOptions): fc.Arbitrary<string> {
  const { min, max } = stringRange(schema);
  if (schema.format) {
    const f = formatArb(schema.format, min, max);
    if (f) return f;
  }
  if (schema.pattern !== undefined) return patternArb(schema.pattern, min, max);
  const hi = Math.min(max, min + 40);
  const ascii = fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: hi });
  if (opts.ascii) return ascii;
  return fc.oneof(
    { weight: 5, arbitrary: ascii },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: hi }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: hi }) },
  ).map((s) => fitLength(s.replace(/\u0000/g, '\u0001'), min, max)); // U+0000 is refused by decision: a negative case of its own
}

function numberBounds(schema: Schema, integer: boolean): { min: number; max: number } {
  const fmt64 = schema.format === 'int64';
  let min = schema.minimum ?? (integer ? (fmt64 ? Number.MIN_SAFE_INTEGER : -INT32) : -1e9);
  let max = schema.maximum ?? (integer ? (fmt64 ? Number.MAX_SAFE_INTEGER : INT32 - 1) : 1e9);
  const step = integer ? 1 : 1e-6;
  if (schema.exclusiveMinimum === true) min += step;
  else if (typeof schema.exclusiveMinimum === 'number') min = Math.max(min, schema.exclusiveMinimum + step);
  if (schema.exclusiveMaximum === true) max -= step;
  else if (typeof schema.exclusiveMaximum === 'number') max = Math.min(max, schema.exclusiveMaximum - step);
  if (integer) {
    min = Math.ceil(min);
    max = Math.floor(max);
  }
  return { min, max };
}

function integerArb(schema: Schema): fc.Arbitrary<number> {
  const { min, max } = numberBounds(schema, true);
  const arb = fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
  if (schema.multipleOf) {
    const m = schema.multipleOf as number;
    return arb.map((x) => Math.min(Math.floor(max / m) * m, Math.max(Math.ceil(min / m) * m, Math.round(x / m) * m)));
  }
  return arb;
}

function numberArb(schema: Schema): fc.Arbitrary<number> {
  const { min, max } = numberBounds(schema, false);
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
}

const jsonLeaf = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -1000, max: 1000 }), fc.boolean(), fc.constant(null));
const smallObject = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,9}$/), jsonLeaf, { maxKeys: 3 });

/** A fast-check arbitrary of values valid for the schema (best effort: callers re-validate). */
export function arbitrary(schema0: Schema | undefined, opts: GenOptions = {}, depth = 0): fc.Arbitrary<unknown> {
  if (!schema0 || typeof schema0 !== 'object') return jsonLeaf;
  const schema = mergeAllOf(schema0);
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives?.length) {
    const { oneOf: _o, anyOf: _a, ...rest } = schema;
    const branches = alternatives.map((alt) => arbitrary(mergeAllOf({ allOf: [rest, alt] }), opts, depth + 1));
    return opts.full ? branches[0] : fc.oneof(...branches);
  }
  let base: fc.Arbitrary<unknown>;
  if (schema.enum) {
    const values = (schema.enum as unknown[]).filter((v) => v !== null);
    base = values.length ? fc.constantFrom(...values) : fc.constant(null);
  } else if (schema.const !== undefined) {
    base = fc.constant(schema.const);
  } else {
    switch (typeOf(schema)) {
      case 'string':
        base = stringArb(schema, opts);
        break;
      case 'integer':
        base = integerArb(schema);
        break;
      case 'number':
        base = numberArb(schema);
        break;
      case 'boolean':
        base = fc.boolean();
        break;
      case 'array':
        base = arrayArb(schema, opts, depth);
        break;
      case 'object':
        base = objectArb(schema, opts, depth);
        break;
      default:
        base = depth > 2 ? jsonLeaf : fc.oneof(jsonLeaf, smallObject);
    }
  }
  if (schema.nullable === true && !opts.full) return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 7, arbitrary: base });
  return base;
}

function arrayArb(schema: Schema, opts: GenOptions, depth: number): fc.Arbitrary<unknown[]> {
  const minItems = schema.minItems ?? 0;
  const max = Math.min(schema.maxItems ?? minItems + 3, minItems + 3);
  const lo = opts.full ? Math.max(minItems, Math.min(1, max)) : minItems;
  const item = depth >= MAX_DEPTH ? jsonLeaf : arbitrary(schema.items ?? {}, opts, depth + 1);
  if (schema.uniqueItems) return fc.uniqueArray(item, { minLength: lo, maxLength: Math.max(lo, max), selector: (v) => JSON.stringify(v) });
  return fc.array(item, { minLength: lo, maxLength: Math.max(lo, max) });
}

function objectArb(schema: Schema, opts: GenOptions, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set<string>((schema.required ?? []) as string[]);
  const names = Object.keys(props).filter((k) => !props[k].readOnly);
  if (!names.length) {
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && depth < MAX_DEPTH) {
      return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,9}$/), arbitrary(schema.additionalProperties, opts, depth + 1), { maxKeys: 3 });
    }
    if (schema.additionalProperties === false) return fc.constant({});
    return opts.full ? fc.constant({ contract: 'data' }) : smallObject;
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const k of names) model[k] = depth >= MAX_DEPTH ? jsonLeaf : arbitrary(props[k], opts, depth + 1);
  const requiredKeys = opts.full ? names : names.filter((k) => required.has(k));
  return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
}

export function sample<T>(arb: fc.Arbitrary<T>, seed: number, count: number): T[] {
  if (count <= 0) return [];
  return fc.sample(arb, { seed, numRuns: count });
}

/** A stable 31-bit seed for one name under the run's seed. */
export function seedFor(seed: number, ...names: string[]): number {
  let h = (seed | 0) ^ 0x9e3779b9;
  for (const ch of names.join('\u0000')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
    h ^= h >>> 15;
  }
  return h & 0x7fffffff;
}

/** One valid value without U+0000 (refused by decision), the "full" form when asked; undefined when none was found in a few tries. */
export function validValue(schema: Schema, seed: number, opts: GenOptions = {}): unknown {
  for (const v of sample(arbitrary(schema, opts), seed, 25)) if (isValid(schema, v) && !JSON.stringify(v ?? null).includes('\\u0000')) return v;
  if (opts.full) return validValue(schema, seed, { ...opts, full: false });
  return undefined;
}

/**
 * A string of exactly `length` code points that satisfies the schema's pattern and format if it can (and the
 * schema's other rules are ignored: callers decide what the string is for). undefined when none was found.
 */
export function stringOfLength(schema: Schema, length: number, seed: number, variant: 'ascii' | 'unicode' = 'ascii'): string | undefined {
  if (length < 0) return undefined;
  const fits = (s: string) => cpLength(s) === length
    && (schema.pattern === undefined || matchesPattern(schema.pattern, s))
    && (!schema.format || !formatArb(schema.format, 0, length) || formatValid(schema.format, s));
  if (schema.format === 'email') {
    const tail = '@example.com';
    if (length < tail.length + 1) return undefined;
    const s = `${'a'.repeat(length - tail.length)}${tail}`;
    return fits(s) ? s : undefined;
  }
  if (schema.format && formatArb(schema.format, 0, length)) {
    for (const s of sample(formatArb(schema.format, 0, length)!, seed, 30)) if (fits(s)) return s;
    return undefined;
  }
  const fillers = variant === 'unicode' ? ['é', 'Ж', '語', 'a'] : ['a', 'A', 'x', '0', '_', 'b'];
  for (const c of fillers) {
    const s = c.repeat(length);
    if (fits(s)) return s;
  }
  if (schema.pattern !== undefined) {
    for (const cand of sample(patternArb(schema.pattern, 0, Math.max(length, 1) * 4), seed, 40)) {
      if (!cand) continue;
      const cps = [...cand];
      const attempts = [
        cps.slice(0, length).join(''),
        fitLength(cand, length, length, cps[cps.length - 1]),
        cand.length ? [...cand.repeat(Math.ceil(length / cps.length) + 1)].slice(0, length).join('') : '',
      ];
      for (const s of attempts) if (fits(s)) return s;
    }
  }
  return undefined;
}

/** The explicit example of a schema, composed from its properties' examples when it has none of its own. */
export function schemaExample(schema0: Schema | undefined, depth = 0): unknown {
  if (!schema0 || depth > MAX_DEPTH) return undefined;
  const schema = mergeAllOf(schema0);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  if (schema.enum?.length) return schema.enum.find((v: unknown) => v !== null);
  if (typeOf(schema) === 'object' && schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(schema.properties as Record<string, Schema>)) {
      const v = schemaExample(p, depth + 1);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (typeOf(schema) === 'array' && schema.items) {
    const v = schemaExample(schema.items, depth + 1);
    return v === undefined ? undefined : [v];
  }
  return undefined;
}
