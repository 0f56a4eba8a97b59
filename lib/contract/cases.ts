/**
 * The cases of one operation, all derived from its spec: positive ones (explicit examples, values at the bounds of
 * each constraint, seeded random values, the plugin's known cases), negative ones (each constraint violated in turn,
 * a wrong Content-Type, malformed JSON, a missing body), refused credentials, and per path the undocumented methods.
 */
import fc from 'fast-check';
import { arbitrary, mergeAllOf, sample, schemaExample, seedFor, stringOfLength, typeOf, validValue } from './generate';
import { violations } from './mutate';
import type { OperationRules, RequestParts, Session } from './plugin';
import { explainErrors, isValid, validate } from './schema';
import { isJsonMedia, isSecured, jsonBody, negotiate, produces, type Method, type Operation, type Parameter, type Schema, type ServiceSpec } from './spec';

export type CaseKind = 'example' | 'boundary' | 'generated' | 'plugin' | 'negative' | 'content-type' | 'malformed' | 'auth' | 'method';
export const POSITIVE_KINDS: CaseKind[] = ['example', 'boundary', 'generated', 'plugin'];

export interface Case {
  id: string;
  service: string;
  /** the operation; undefined for undocumented-method cases */
  op?: Operation;
  /** operationId, or the path template for an undocumented-method case */
  target: string;
  kind: CaseKind;
  description: string;
  method: string;
  pathTemplate: string;
  request: RequestParts;
  /** 'default': the session's credentials for the operation; 'none'; or exactly these headers */
  auth: 'default' | 'none' | { headers: Record<string, string> };
  /** plugin cases: the statuses that pass */
  expectStatuses?: number[];
  /** positive cases: non-2xx statuses the plugin declares legitimate, with reasons */
  accept?: Record<number, string>;
  /** documented methods of the path (method cases) */
  allowed?: string[];
  /** method cases: the operation whose credentials (and 405 documentation) stand for the path */
  pathOp?: Operation;
  /** why Prism cannot carry this exchange faithfully (sent straight to the target) */
  direct?: string;
  /** the defect class found by outside testing that the case guards against */
  klass?: DefectClass;
  /** far dates: a 400 whose body names one of these fields (`|`-separated) is an acceptable refusal */
  namedRefusal?: string;
}

export interface BuildOptions {
  seed: number;
  budget: number;
  positiveOnly: boolean;
  /** the session can authenticate this operation */
  canAuth: boolean;
  rules: OperationRules;
  session: Session;
}

export interface BuildResult {
  cases: Case[];
  /** spec problems found while building (an example that breaks its own schema) */
  specIssues: string[];
  /** what could not be built, and why */
  notes: string[];
}

const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

export const usableParams = (op: Operation) =>
  op.parameters.filter((p) => p.in !== 'cookie' && !(p.in === 'header' && IGNORED_HEADERS.has(p.name.toLowerCase())));

function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

function emptyRequest(): RequestParts {
  return { path: {}, query: {}, headers: {} };
}

function paramExample(p: Parameter): unknown {
  if (p.example !== undefined) return p.example;
  const ex = Object.values(p.examples ?? {}).find((e) => e && e.value !== undefined);
  if (ex) return ex.value;
  return p.schema.example;
}

/** Coerce a parameter's wire text the way the server does before validating (arrays item by item; booleans in any case). */
export function coerceParam(schema: Schema, value: unknown): unknown {
  const s = mergeAllOf(schema);
  if (Array.isArray(value)) return value.map((v) => coerceParam(s.items ?? {}, v));
  if (typeof value !== 'string') return value;
  const t = typeOf(s);
  if (t === 'array') return [coerceParam(s.items ?? {}, value)];
  if ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return Number(value);
  // true and false in any letter case: what clients of other languages send (Python's requests sends True)
  if (t === 'boolean' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Problems of a request against the operation's schemas (parameters coerced from text, JSON body as is). */
export function requestProblems(op: Operation, req: RequestParts): string[] {
  const problems: string[] = [];
  // the project's decision beyond the schemas: every service refuses U+0000 in any string with its 400
  const nul = (v: unknown): boolean => (typeof v === 'string' ? v.includes('\u0000')
    : Array.isArray(v) ? v.some(nul) : !!v && typeof v === 'object' && Object.values(v).some(nul));
  for (const [where, v] of [['path', req.path], ['query', req.query], ['header', req.headers], ['body', req.body]] as const) {
    if (nul(v)) problems.push(`${where}: holds U+0000, refused by decision`);
  }
  // and an unpaired surrogate in a JSON string or key (no Unicode character)
  const lone = (v: unknown): boolean => (typeof v === 'string' ? LONE_SURROGATE.test(v)
    : Array.isArray(v) ? v.some(lone) : !!v && typeof v === 'object' && Object.entries(v).some(([k, x]) => LONE_SURROGATE.test(k) || lone(x)));
  if (lone(req.body)) problems.push('body: holds an unpaired surrogate, refused by decision');
  for (const p of usableParams(op)) {
    const bag = p.in === 'path' ? req.path : p.in === 'query' ? req.query : req.headers;
    const v = bag[p.name];
    if (v === undefined) {
      if (p.required) problems.push(`${p.in} ${p.name}: required`);
      continue;
    }
    const errs = validate(p.schema, coerceParam(p.schema, typeof v === 'string' || Array.isArray(v) ? v : String(v)));
    if (errs.length) problems.push(`${p.in} ${p.name}: ${explainErrors(errs)}`);
  }
  const jb = jsonBody(op);
  if (jb && req.raw === undefined) {
    if (req.body === undefined) {
      if (op.requestBody?.required) problems.push('body: required');
    } else {
      const errs = validate(jb.media.schema, req.body);
      if (errs.length) problems.push(`body: ${explainErrors(errs)}`);
    }
  }
  return problems;
}

function paramArb(p: Parameter, full: boolean): fc.Arbitrary<unknown> {
  const arb = arbitrary(p.schema, { ascii: p.in !== 'query' && p.in !== 'path', full });
  // arrays travel as repeated query keys (style form, explode); other structures as JSON text
  return arb.map((v) => (Array.isArray(v) && p.in === 'query' ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
    : v === null || typeof v === 'object' ? JSON.stringify(v) : v));
}

function requestArb(op: Operation, full: boolean): fc.Arbitrary<RequestParts> {
  const params = usableParams(op);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  params.forEach((p, i) => {
    const a = paramArb(p, full);
    model[`p${i}`] = p.required || full ? a : fc.option(a, { nil: undefined, freq: 2 });
  });
  const jb = jsonBody(op);
  if (jb) {
    const a = arbitrary(jb.media.schema ?? {}, { full });
    model.body = op.requestBody?.required || full ? a : fc.option(a, { nil: undefined, freq: 5 });
  }
  return fc.record(model).map((r) => {
    const req = emptyRequest();
    params.forEach((p, i) => {
      const v = (r as Record<string, unknown>)[`p${i}`];
      if (v === undefined) return;
      const bag = p.in === 'path' ? req.path : p.in === 'query' ? req.query : req.headers;
      bag[p.name] = p.in === 'header' ? String(v) : v;
    });
    if (jb && (r as Record<string, unknown>).body !== undefined) req.body = (r as Record<string, unknown>).body;
    return req;
  });
}

/** The full valid request every optional part present, examples preferred: the base that negatives mutate. */
export function baseRequest(op: Operation, seed: number): RequestParts | undefined {
  const req = emptyRequest();
  for (const p of usableParams(op)) {
    const bag = p.in === 'path' ? req.path : p.in === 'query' ? req.query : req.headers;
    const ex = paramExample(p);
    if (ex !== undefined && validate(p.schema, ex).length === 0) {
      bag[p.name] = p.in === 'header' ? String(ex) : ex;
      continue;
    }
    const v = validValue(p.schema, seedFor(seed, op.operationId, p.in, p.name), { full: true, ascii: p.in !== 'query' && p.in !== 'path' });
    if (v === undefined) {
      if (p.required) return undefined;
      continue;
    }
    bag[p.name] = p.in === 'header' ? String(v) : v;
  }
  const jb = jsonBody(op);
  if (jb) {
    const v = validValue(jb.media.schema ?? {}, seedFor(seed, op.operationId, 'body'), { full: true });
    if (v === undefined) return op.requestBody?.required ? undefined : req;
    req.body = v;
  }
  return req;
}

interface Leaf {
  location: 'path' | 'query' | 'header' | 'body';
  name: string;
  /** path inside the body */
  at: (string | number)[];
  schema: Schema;
}

function bodyLeaves(schema0: Schema, value: unknown, at: (string | number)[], out: Leaf[], depth = 0): void {
  if (!schema0 || depth > 8) return;
  const schema = mergeAllOf(schema0);
  if (schema.oneOf || schema.anyOf) return;
  const t = typeOf(schema);
  if (t === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, p] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
      if (k in (value as object)) bodyLeaves(p, (value as Record<string, unknown>)[k], [...at, k], out, depth + 1);
    }
    return;
  }
  out.push({ location: 'body', name: at.join('.') || 'body', at, schema });
  if (t === 'array' && Array.isArray(value) && value.length && schema.items) bodyLeaves(schema.items, value[0], [...at, 0], out, depth + 1);
}

function setBody(body: unknown, at: (string | number)[], v: unknown): unknown {
  if (!at.length) return v;
  const out = clone(body) as Record<string | number, unknown>;
  let node = out;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[at[at.length - 1]] = v;
  return out;
}

/** Every parameter present in a request and every field of its JSON body (at any depth; an array's first item). */
function requestLeaves(op: Operation, req: RequestParts): Leaf[] {
  const leaves: Leaf[] = [];
  for (const p of usableParams(op)) {
    if (bagOf(req, p.in)[p.name] !== undefined) leaves.push({ location: p.in as Leaf['location'], name: p.name, at: [], schema: p.schema });
  }
  const jb = jsonBody(op);
  if (jb && req.body !== undefined) bodyLeaves(jb.media.schema ?? {}, req.body, [], leaves);
  return leaves;
}

const bagOf = (req: RequestParts, location: string) => (location === 'path' ? req.path : location === 'query' ? req.query : req.headers);

function leafValue(req: RequestParts, leaf: Leaf): unknown {
  if (leaf.location !== 'body') return bagOf(req, leaf.location)[leaf.name];
  return leaf.at.reduce<unknown>((n, k) => (n as Record<string | number, unknown> | undefined)?.[k], req.body);
}

/** The request with one leaf replaced (parameters travel as text). */
function withLeaf(req: RequestParts, leaf: Leaf, v: unknown): RequestParts {
  const out = clone(req);
  if (leaf.location === 'body') out.body = setBody(out.body, leaf.at, v);
  else bagOf(out, leaf.location)[leaf.name] = (leaf.location === 'header' ? String(v) : v) as string;
  return out;
}

/** How a leaf is named in a server's error text: a parameter by its name, a body field by its last property name. */
function leafField(leaf: Leaf): string {
  if (leaf.location !== 'body') return leaf.name;
  return String([...leaf.at].reverse().find((k) => typeof k === 'string') ?? 'body');
}

const leafLabel = (leaf: Leaf) => `${leaf.location === 'body' ? 'body ' : `${leaf.location} `}${leaf.name}`;

/** Values at the edges of each constraint (lengths, bounds, item counts), one field at a time on the base. */
function boundaryVariants(op: Operation, base: RequestParts, seed: number): Array<{ label: string; req: RequestParts }> {
  const leaves = requestLeaves(op, base);
  const out: Array<{ label: string; req: RequestParts }> = [];
  const wire = (l: Leaf, v: unknown) => (l.location === 'body' ? v : l.location === 'header' ? String(v) : v);
  for (const leaf of leaves) {
    const s = mergeAllOf(leaf.schema);
    const t = typeOf(s);
    const values: Array<[string, unknown]> = [];
    if (t === 'string' && !s.enum) {
      const min = s.minLength ?? 0;
      if (s.maxLength !== undefined && s.maxLength <= 10_000) {
        const ascii = stringOfLength(s, s.maxLength, seedFor(seed, leaf.name, 'max'));
        if (ascii !== undefined) values.push([`at maxLength ${s.maxLength}`, ascii]);
      }
      if (!(leaf.location === 'path' && min === 0)) {
        const lo = stringOfLength(s, min, seedFor(seed, leaf.name, 'min'));
        if (lo !== undefined) values.push([`at minLength ${min}`, lo]);
      }
    } else if (t === 'integer' || t === 'number') {
      const excl = (b: unknown, flag: unknown, d: number) => (flag === true ? (b as number) + d : b);
      if (typeof s.minimum === 'number') values.push([`at minimum ${s.minimum}`, excl(s.minimum, s.exclusiveMinimum, t === 'integer' ? 1 : 0.001)]);
      if (typeof s.maximum === 'number') values.push([`at maximum ${s.maximum}`, excl(s.maximum, s.exclusiveMaximum, t === 'integer' ? -1 : -0.001)]);
    } else if (t === 'array' && leaf.location === 'body') {
      const min = s.minItems ?? 0;
      const cur = (leaf.at.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], base.body) as unknown[]) ?? [];
      const item = cur[0];
      if (item !== undefined || min === 0) values.push([`at minItems ${min}`, Array.from({ length: min }, () => clone(item))]);
      if (s.maxItems !== undefined && s.maxItems <= 100 && item !== undefined && !s.uniqueItems) {
        values.push([`at maxItems ${s.maxItems}`, Array.from({ length: s.maxItems }, () => clone(item))]);
      }
    }
    for (const [label, v] of values) {
      const req = clone(base);
      if (leaf.location === 'body') req.body = setBody(req.body, leaf.at, v);
      else (leaf.location === 'path' ? req.path : leaf.location === 'query' ? req.query : req.headers)[leaf.name] = wire(leaf, v) as string;
      out.push({ label: `${leaf.location === 'body' ? '' : `${leaf.location} `}${leaf.name} ${label}`, req });
    }
  }
  return out;
}

// ---- defect classes found by outside testing (a generated client, a property-based fuzzer): each is generated
// for every input it applies to, beyond the budget, so that none can come back unnoticed.

export type DefectClass = 'nul' | 'lone-surrogate' | 'control-characters' | 'non-ascii' | 'boolean-spelling' | 'far-dates' | 'accept';

export const CLASS_LABEL: Record<DefectClass, string> = {
  nul: 'U+0000',
  'lone-surrogate': 'unpaired surrogate',
  'control-characters': 'control characters',
  'non-ascii': 'non-ASCII',
  'boolean-spelling': 'boolean spelling',
  'far-dates': 'far dates',
  accept: 'Accept',
};

/** Control characters other than U+0000 that a string may carry wherever its schema allows them. */
export const CONTROL_CHARACTERS = ['\u0001', '\u001f', '\u007f', '\u0085', '\u2028'];
/** Word characters outside ASCII: Latin-1, a Latin ligature, Cyrillic, CJK. */
export const NON_ASCII = ['é', 'ß', 'Я', '中'];
/** How clients other than JavaScript's spell query booleans (Python's requests sends `True`). */
export const BOOLEAN_SPELLINGS = ['True', 'FALSE', 'tRuE'];
/** The earliest and latest instants and days, and an offset that is not a whole quarter hour. */
export const FAR_DATES: Record<'date' | 'date-time', { earliest: string; latest: string; values: string[] }> = {
  'date-time': { earliest: '0001-01-01T00:00:00Z', latest: '9999-12-31T23:59:59.999Z', values: ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2024-02-29T12:00:00-05:38'] },
  date: { earliest: '0001-01-01', latest: '9999-12-31', values: ['0001-01-01', '9999-12-31'] },
};
/** Media types an Accept header may name that an operation is unlikely to produce (the first it does not is used). */
const FOREIGN_MEDIA = ['image/png', 'application/x-conformant-contract'];
const JSON_ACCEPT = 'application/json';

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** `current` with `insert` placed in its middle: added, or over as many characters (keeping the length), or alone. */
function insertions(current: string, insert: string, min = 0): string[] {
  const cps = [...current];
  const mid = Math.floor(cps.length / 2);
  const n = [...insert].length;
  const head = cps.slice(0, mid).join('');
  const out = [`${head}${insert}${cps.slice(mid).join('')}`];
  if (cps.length >= n) out.push(`${cps.slice(0, Math.max(0, Math.min(mid, cps.length - n))).join('')}${insert}${cps.slice(Math.max(0, Math.min(mid, cps.length - n)) + n).join('')}`);
  out.push(insert, `${insert}${'a'.repeat(Math.max(0, min - n))}`, insert.repeat(Math.max(1, Math.ceil(min / Math.max(n, 1)))));
  return out;
}

/** `chars` repeated in turn to exactly `length` characters (code points). */
function cycleOfLength(chars: string[], length: number): string {
  return Array.from({ length }, (_, i) => chars[i % chars.length]).join('');
}

interface ClassVariant {
  klass: DefectClass;
  label: string;
  req: RequestParts;
  negative?: boolean;
  /** statuses due (a negative that must be exactly one of them) */
  expect?: number[];
  /** far dates: a 400 whose body names this field passes */
  namedRefusal?: string;
  /** not through the plugin's prepare() again: its business rules would move the very value being tested */
  prepared?: boolean;
  /** text the request must still hold after prepare() (else the plugin's rules refuse the value: the case is dropped) */
  probe?: string;
  direct?: string;
}

/**
 * The cases of each defect class for one operation, on the valid base request. Positive variants are kept only
 * where the schema allows the value (checked by the validator the server uses); U+0000 is refused by decision.
 */
function classVariants(op: Operation, base: RequestParts): ClassVariant[] {
  const out: ClassVariant[] = [];
  const leaves = requestLeaves(op, base);
  const params = new Map(usableParams(op).map((p) => [`${p.in}:${p.name}`, p]));
  const validText = (leaf: Leaf, v: string) => {
    if (leaf.location === 'body') return isValid(leaf.schema, v);
    return validate(leaf.schema, coerceParam(leaf.schema, v)).length === 0;
  };
  for (const leaf of leaves) {
    const s = mergeAllOf(leaf.schema);
    const t = typeOf(s);
    const current = leafValue(base, leaf);
    if (t === 'string' && typeof current === 'string') {
      // 1. U+0000 anywhere in a string: refused with a 4xx (over one character in the middle: the length stays)
      const cps = [...current];
      const nul = cps.length ? [...cps.slice(0, Math.floor(cps.length / 2)), '\u0000', ...cps.slice(Math.floor(cps.length / 2) + 1)].join('') : '\u0000';
      out.push({
        klass: 'nul', negative: true, label: `${leafLabel(leaf)}: U+0000 inside the string`, req: withLeaf(base, leaf, nul),
        direct: leaf.location === 'header' ? 'Prism\'s HTTP parser refuses a NUL in a header itself' : undefined,
      });
      // 1b. an unpaired surrogate (a lone \ud800 escape) in a JSON string: refused with a 4xx, as U+0000 (only a JSON
      // escape can carry one: UTF-8 in a query, path or header cannot)
      if (leaf.location === 'body') {
        const lone = cps.length ? [...cps.slice(0, Math.floor(cps.length / 2)), '\ud800', ...cps.slice(Math.floor(cps.length / 2) + 1)].join('') : '\ud800';
        out.push({ klass: 'lone-surrogate', negative: true, label: `${leafLabel(leaf)}: an unpaired surrogate (\\ud800) inside the string`, req: withLeaf(base, leaf, lone) });
      }
      // header values are bytes of visible ASCII: control and non-ASCII characters are for the other locations
      if (leaf.location !== 'header' && !s.enum) {
        // 2. other control characters, where the schema allows them
        const allowed = CONTROL_CHARACTERS.filter((c) => insertions(current, c, s.minLength).some((v) => validText(leaf, v)));
        const together = insertions(current, allowed.join(''), s.minLength).find((v) => validText(leaf, v));
        const groups = !allowed.length ? [] : together !== undefined ? [[together, allowed]] as const
          : allowed.map((c) => [insertions(current, c, s.minLength).find((v) => validText(leaf, v))!, [c]] as const);
        for (const [v, chars] of groups) {
          out.push({ klass: 'control-characters', label: `${leafLabel(leaf)}: ${chars.map(codePoint).join(' ')} inside the string`, req: withLeaf(base, leaf, v), probe: v });
        }
        // 3. non-ASCII word characters, where the pattern allows them (ECMA-262 with the u flag, as the validator)
        const word = NON_ASCII.join('');
        const inside = [word, ...NON_ASCII].flatMap((w) => insertions(current, w, s.minLength)).find((v) => validText(leaf, v));
        if (inside !== undefined) out.push({ klass: 'non-ascii', label: `${leafLabel(leaf)}: ${[...new Set([...inside].filter((c) => NON_ASCII.includes(c)))].join(' ')} inside the string`, req: withLeaf(base, leaf, inside), probe: inside });
        if (typeof s.maxLength === 'number' && s.maxLength > 0 && s.maxLength <= 10_000) {
          const full = [NON_ASCII, ...NON_ASCII.map((c) => [c])].map((cs) => cycleOfLength(cs, s.maxLength)).find((v) => validText(leaf, v));
          if (full !== undefined) out.push({ klass: 'non-ascii', label: `${leafLabel(leaf)} at maxLength ${s.maxLength} in characters (${Buffer.byteLength(full)} bytes of UTF-8)`, req: withLeaf(base, leaf, full), probe: full });
        }
      }
      // 5. far dates and odd offsets
      if (s.format === 'date' || s.format === 'date-time') {
        for (const v of FAR_DATES[s.format as 'date' | 'date-time'].values) {
          if (!validText(leaf, v)) continue;
          out.push({ klass: 'far-dates', label: `${leafLabel(leaf)} ${v}`, req: withLeaf(base, leaf, v), namedRefusal: leafField(leaf), prepared: true });
        }
      }
    }
  }
  // 4. query booleans as other languages spell them (present in the base or not)
  for (const p of params.values()) {
    if (p.in !== 'query' || typeOf(mergeAllOf(p.schema)) !== 'boolean') continue;
    for (const v of BOOLEAN_SPELLINGS) {
      out.push({ klass: 'boolean-spelling', label: `query ${p.name}=${v}`, req: { ...clone(base), query: { ...base.query, [p.name]: v } }, probe: v });
    }
  }
  // 5. a period of any length: the earliest value in the first date parameter, the latest in the second
  const dates = [...params.values()].filter((p) => p.in !== 'header' && ['date', 'date-time'].includes(mergeAllOf(p.schema).format));
  if (dates.length === 2) {
    const [a, b] = dates;
    const fa = FAR_DATES[mergeAllOf(a.schema).format as 'date' | 'date-time'];
    const fb = FAR_DATES[mergeAllOf(b.schema).format as 'date' | 'date-time'];
    const req = clone(base);
    bagOf(req, a.in)[a.name] = fa.earliest;
    bagOf(req, b.in)[b.name] = fb.latest;
    out.push({ klass: 'far-dates', label: `the longest period: ${a.in} ${a.name} ${fa.earliest}, ${b.in} ${b.name} ${fb.latest}`, req, namedRefusal: `${a.name}|${b.name}`, prepared: true });
  }
  // 6. Accept as generated clients send it, and an Accept naming nothing the operation produces
  const media = produces(op);
  if (media.success.some((m) => !isJsonMedia(m)) && media.any.some(isJsonMedia)) {
    out.push({ klass: 'accept', label: `Accept: ${JSON_ACCEPT} (a generated client) on an answer of ${media.success.join(', ')}`, req: { ...clone(base), headers: { ...base.headers, Accept: JSON_ACCEPT } } });
  }
  if (op.responses['406']) {
    const foreign = FOREIGN_MEDIA.find((m) => !negotiate(m, media).acceptable);
    if (foreign) out.push({ klass: 'accept', negative: true, expect: [406], label: `Accept: ${foreign}, which the operation never produces: the documented 406`, req: { ...clone(base), headers: { ...base.headers, Accept: foreign } } });
  }
  return out;
}

function exampleRequests(op: Operation): Array<{ label: string; req: RequestParts }> {
  const params = usableParams(op);
  const withExamples = params.filter((p) => paramExample(p) !== undefined);
  const jb = jsonBody(op);
  const bodies: Array<{ label: string; body: unknown }> = [];
  if (jb) {
    if (jb.media.example !== undefined) bodies.push({ label: 'example', body: jb.media.example });
    for (const [k, e] of Object.entries(jb.media.examples ?? {})) if (e?.value !== undefined) bodies.push({ label: `example "${k}"`, body: e.value });
    if (!bodies.length) {
      const composed = schemaExample(jb.media.schema);
      if (composed !== undefined) bodies.push({ label: 'schema example', body: composed });
    }
  }
  if (!withExamples.length && !bodies.length) return [];
  const base = emptyRequest();
  for (const p of params) {
    const ex = paramExample(p);
    if (ex === undefined) continue;
    const bag = p.in === 'path' ? base.path : p.in === 'query' ? base.query : base.headers;
    bag[p.name] = p.in === 'header' ? String(ex) : ex;
  }
  if (!bodies.length) return [{ label: 'parameter examples', req: base }];
  return bodies.map((b) => ({ label: b.label, req: { ...clone(base), body: clone(b.body) } }));
}

/** Fill required parameters an example request lacks, from the base. */
function completeWith(req: RequestParts, base: RequestParts | undefined, op: Operation): RequestParts {
  if (!base) return req;
  const out = clone(req);
  for (const p of usableParams(op)) {
    if (!p.required) continue;
    const bag = p.in === 'path' ? out.path : p.in === 'query' ? out.query : out.headers;
    const from = p.in === 'path' ? base.path : p.in === 'query' ? base.query : base.headers;
    if (bag[p.name] === undefined && from[p.name] !== undefined) bag[p.name] = from[p.name] as string;
  }
  if (out.body === undefined && op.requestBody?.required && base.body !== undefined) out.body = clone(base.body);
  return out;
}

let counter = 0;
const nextId = (service: string, target: string, kind: string) => `${service}/${target}/${kind}/${++counter}`;

/** Prism forwards a JSON body it parsed: a top-level string loses its quotes and false/0/null vanish. */
function prismCannotCarry(req: RequestParts): string | undefined {
  if (req.raw !== undefined && (req.contentType ?? 'application/json').includes('json')) {
    try {
      JSON.parse(req.raw);
    } catch {
      return 'Prism cannot forward a body that is not JSON under a JSON Content-Type';
    }
  }
  if (req.raw === undefined && req.body !== undefined && (req.body === null || typeof req.body !== 'object')) {
    return 'Prism re-serialises a top-level JSON scalar body wrongly (a string loses its quotes)';
  }
  return undefined;
}

export function buildOperationCases(spec: ServiceSpec, op: Operation, opts: BuildOptions): BuildResult {
  const { rules, session } = opts;
  const res: BuildResult = { cases: [], specIssues: [], notes: [] };
  if (rules.skip) {
    res.notes.push(`${op.operationId}: skipped: ${rules.skip}`);
    return res;
  }
  const prepare = (r: RequestParts) => (rules.prepare ? rules.prepare(clone(r), session) : r);
  const secured = isSecured(op);
  const mk = (kind: CaseKind, description: string, request: RequestParts, extra: Partial<Case> = {}): Case => {
    const c: Case = {
      id: nextId(op.service, op.operationId, kind), service: op.service, op, target: op.operationId, kind, description,
      method: op.method, pathTemplate: op.path, request, auth: 'default', ...extra,
    };
    const why = prismCannotCarry(request);
    if (why && !c.direct) c.direct = why;
    return c;
  };
  if (op.requestBody?.required && !jsonBody(op)) {
    res.notes.push(`${op.operationId}: its request body is not JSON (${Object.keys(op.requestBody.content).join(', ')}): only credential and method checks`);
    if (!isSecured(op)) return res;
    res.cases.push(mk('auth', 'no credentials', emptyRequest(), { auth: 'none' }));
    return res;
  }
  const rawBase = baseRequest(op, opts.seed);
  const base = rawBase && prepare(rawBase);
  if (!rawBase) res.notes.push(`${op.operationId}: no valid request could be generated; bounds, negatives and random cases skipped`);

  // ---- positive
  const positiveAllowed = !secured || opts.canAuth;
  if (!positiveAllowed) res.notes.push(`${op.operationId}: no credentials for its security; positive and negative data cases skipped`);
  const positives: Case[] = [];
  const seen = new Set<string>();
  const addPositive = (kind: CaseKind, label: string, req0: RequestParts) => {
    const req = prepare(req0);
    const key = JSON.stringify(req);
    if (seen.has(key)) return;
    const problems = requestProblems(op, req);
    if (problems.length) {
      if (kind === 'example') res.specIssues.push(`${op.operationId}: the ${label} does not satisfy the operation's own schemas: ${problems.join('; ')}`);
      return;
    }
    seen.add(key);
    positives.push(mk(kind, label, req, { accept: rules.accept }));
  };
  if (positiveAllowed) {
    for (const e of exampleRequests(op)) addPositive('example', e.label, completeWith(e.req, rawBase, op));
    const budget = Math.max(0, rules.budget ?? opts.budget);
    const bounds = base ? boundaryVariants(op, rawBase!, opts.seed) : [];
    const randomCount = Math.max(budget - bounds.length, Math.ceil(budget / 3));
    const boundCount = Math.min(bounds.length, Math.max(0, budget - randomCount));
    for (const b of bounds.slice(0, boundCount)) addPositive('boundary', b.label, b.req);
    if (bounds.length > boundCount) res.notes.push(`${op.operationId}: ${bounds.length - boundCount} of ${bounds.length} boundary cases beyond the budget`);
    if (randomCount > 0) {
      const samples = sample(requestArb(op, false), seedFor(opts.seed, op.operationId, 'random'), randomCount * 3);
      let n = 0;
      for (const r of samples) {
        if (n >= randomCount) break;
        const before = positives.length;
        addPositive('generated', `generated #${n + 1}`, r);
        if (positives.length > before) n++;
      }
    }
    for (const pc of session.cases ?? []) {
      if (pc.operationId !== op.operationId) continue;
      const req = { ...emptyRequest(), ...clone(pc.request) } as RequestParts;
      positives.push(mk('plugin', pc.name, req, { expectStatuses: pc.expect, auth: pc.auth === 'none' ? 'none' : 'default' }));
    }
  }
  res.cases.push(...positives);

  // ---- the defect classes (positive ones beyond the budget; a plugin's own budget, a throttle guard, caps them)
  if (base && positiveAllowed) {
    const found = classVariants(op, base);
    const cap = rules.budget ?? Number.POSITIVE_INFINITY;
    let kept = 0;
    let dropped = 0;
    for (const v of found) {
      if (v.negative && opts.positiveOnly) continue;
      const label = `[${CLASS_LABEL[v.klass]}] ${v.label}`;
      if (v.negative) {
        res.cases.push(mk('negative', label, v.req, { klass: v.klass, expectStatuses: v.expect, direct: v.direct }));
        continue;
      }
      const req = v.prepared ? v.req : prepare(v.req);
      if (v.probe !== undefined && !JSON.stringify(req).includes(JSON.stringify(v.probe).slice(1, -1))) continue; // the plugin's rules refuse it
      if (requestProblems(op, req).length) continue;
      if (kept >= cap) {
        dropped++;
        continue;
      }
      kept++;
      res.cases.push(mk('boundary', label, req, { klass: v.klass, accept: rules.accept, namedRefusal: v.namedRefusal }));
    }
    if (dropped) res.notes.push(`${op.operationId}: ${dropped} defect-class cases beyond the plugin's budget of ${cap}`);
  }
  if (opts.positiveOnly) return res;

  // ---- negative data
  if (base && positiveAllowed) {
    for (const p of usableParams(op)) {
      const bag = (r: RequestParts) => (p.in === 'path' ? r.path : p.in === 'query' ? r.query : r.headers);
      if (p.required && p.in !== 'path') {
        const req = clone(base);
        delete bag(req)[p.name];
        res.cases.push(mk('negative', `${p.in} ${p.name}: required parameter missing`, req));
      }
      const value = bag(base)[p.name];
      if (value === undefined || Array.isArray(value)) continue; // array parameters: only their presence is varied
      for (const v of violations(p.schema, coerceParam(p.schema, String(value)), seedFor(opts.seed, op.operationId, p.name), 'text')) {
        const text = typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
        if (p.in === 'path' && text === '') continue; // an empty segment changes the route, not the value
        if (p.in === 'header' && !/^[\t\x20-\x7e]*$/.test(text)) continue;
        if (validate(p.schema, coerceParam(p.schema, text)).length === 0) continue;
        const req = clone(base);
        bag(req)[p.name] = text;
        res.cases.push(mk('negative', `${p.in} ${p.name} ${v.description.replace(/^value: /, '')}`, req));
      }
    }
    const jb = jsonBody(op);
    if (jb && base.body !== undefined) {
      for (const v of violations(jb.media.schema ?? {}, base.body, seedFor(opts.seed, op.operationId, 'body'))) {
        res.cases.push(mk('negative', `body ${v.description}`, { ...clone(base), body: v.value }));
      }
      if (op.requestBody?.required) {
        const req = clone(base);
        delete req.body;
        res.cases.push(mk('negative', 'required request body missing', req));
      }
      res.cases.push(mk('content-type', 'JSON body sent as text/plain', { ...clone(base), raw: JSON.stringify(base.body), contentType: 'text/plain' }));
      res.cases.push(mk('malformed', 'malformed JSON body', { ...clone(base), body: undefined, raw: '{"contract": ', contentType: jb.mediaType }));
    }
  }

  // ---- refused credentials
  if (secured) {
    const req = base ? clone(base) : completeWith(emptyRequest(), undefined, op);
    const schemes = [...new Set(op.security.flatMap((r) => Object.keys(r)))];
    res.cases.push(mk('auth', 'no credentials', req, { auth: 'none' }));
    for (const name of schemes) {
      const s = spec.securitySchemes[name];
      if (!s) continue;
      const bad: Array<[string, Record<string, string>, RequestParts?]> = [];
      if (s.type === 'http' && s.scheme?.toLowerCase() === 'bearer') {
        bad.push([`${name}: a token that is not one`, { Authorization: 'Bearer contract-invalid-token' }]);
        bad.push([`${name}: another scheme (Basic)`, { Authorization: 'Basic Y29udHJhY3Q6aW52YWxpZA==' }]);
        bad.push([`${name}: "Bearer" without a token`, { Authorization: 'Bearer' }]);
      } else if (s.type === 'http' && s.scheme?.toLowerCase() === 'basic') {
        bad.push([`${name}: unknown user`, { Authorization: 'Basic Y29udHJhY3Q6aW52YWxpZA==' }]);
        bad.push([`${name}: not base64`, { Authorization: 'Basic !!!' }]);
      } else if (s.type === 'apiKey' && s.in === 'header' && s.name) {
        bad.push([`${name}: a ${s.name} header that is not a credential`, { [s.name]: 'contract-invalid-credential' }]);
        bad.push([`${name}: an empty ${s.name} header`, { [s.name]: '' }]);
      } else if (s.type === 'apiKey' && s.in === 'query' && s.name) {
        bad.push([`${name}: a ${s.name} parameter that is not a credential`, {}, { ...clone(req), query: { ...req.query, [s.name]: 'contract-invalid-credential' } }]);
      } else if (s.type === 'oauth2' || s.type === 'openIdConnect') {
        bad.push([`${name}: a token that is not one`, { Authorization: 'Bearer contract-invalid-token' }]);
      }
      for (const [label, headers, r] of bad) res.cases.push(mk('auth', label, r ?? clone(req), { auth: { headers } }));
    }
    for (const b of session.badCredentials ?? []) res.cases.push(mk('auth', b.name, clone(req), { auth: { headers: b.headers } }));
  }
  return res;
}

/** Undocumented methods on each path: 405 with Allow is due. */
export function buildMethodCases(spec: ServiceSpec, seed: number, bases: Map<string, RequestParts | undefined>): Case[] {
  const out: Case[] = [];
  const probe: Method[] = ['get', 'put', 'post', 'delete', 'patch'];
  for (const [p, methods] of Object.entries(spec.paths)) {
    const documented = new Set(methods);
    const ops = spec.operations.filter((o) => o.path === p);
    const first = ops[0];
    if (!first) continue;
    const base = bases.get(first.operationId) ?? baseRequest(first, seed);
    const req: RequestParts = { path: clone(base?.path ?? {}), query: {}, headers: {} };
    const tryMethods = probe.filter((m) => !documented.has(m));
    if (!documented.has('get') && !documented.has('head')) tryMethods.push('head');
    const allowed = methods.map((m) => m.toUpperCase());
    for (const m of tryMethods) {
      out.push({
        id: nextId(spec.service, p, m), service: spec.service, target: p, kind: 'method',
        description: `${m.toUpperCase()} ${p} (documented: ${allowed.join(', ')})`, method: m, pathTemplate: p, request: req,
        auth: 'default', allowed, op: undefined, pathOp: ops.find((o) => o.responses['405']) ?? first,
        // Prism answers HEAD for an undocumented method itself, and without a body its refusal cannot be told apart
        direct: m === 'head' ? 'Prism answers an undocumented HEAD itself' : undefined,
      });
    }
  }
  return out;
}
