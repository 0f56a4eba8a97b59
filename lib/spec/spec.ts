/**
 * The one reader of the specs: each spec/<service>.yaml is parsed once per process (`loadSpec`) and read by the
 * kernel, the contract runner and the mock alike: operations with every `$ref` of the OpenAPI structure resolved (the
 * JSON pointer of each resolved part is kept, so schemas are validated in place), the base path, which response
 * documents a status, what an operation produces and accepts, required upload files, which operations Prism cannot
 * serve, and Ajv validators by pointer. Nothing here knows any one service.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { newAjv } from './ajv';
import { isJsonMedia } from './media';
import crypto from 'node:crypto';
import { projectRoot } from '../config';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface MediaInfo {
  mediaType: string;
  pointer: string;
  /** pointer of the media type's schema, when it has one */
  schemaPointer?: string;
  schema?: Json;
  /** the media type's `example`, or the value of each of its `examples` (in order), first one first */
  examples: { name: string; value: Json }[];
}

export interface HeaderInfo {
  name: string;
  pointer: string;
  schema?: Json;
  example?: Json;
}

export interface ResponseInfo {
  status: string;
  pointer: string;
  description?: string;
  headers: HeaderInfo[];
  content: MediaInfo[];
}

export interface ParameterInfo {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  pointer: string;
  schemaPointer?: string;
  schema?: Json;
  examples: { name: string; value: Json }[];
}

export interface OperationInfo {
  service: string;
  method: (typeof HTTP_METHODS)[number];
  path: string;
  operationId: string;
  pointer: string;
  parameters: ParameterInfo[];
  requestBody?: { required: boolean; pointer: string; content: MediaInfo[] };
  responses: ResponseInfo[];
  /** effective security requirements; empty = open */
  security: Record<string, string[]>[];
  /** why Prism cannot serve this operation (the router answers it from fixtures), or undefined when Prism can */
  routerReason?: string;
}

export { isJsonMedia };

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointerOf = (...parts: (string | number)[]) => `#/${parts.map((p) => escapePointer(String(p))).join('/')}`;

export function specDir(): string {
  return path.join(projectRoot, 'spec');
}

/** Every service with a spec in spec/ (files starting with `_` are shared fragments). */
export function discoverSpecs(dir = specDir()): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('_')).map((f) => f.slice(0, -5)).sort();
}

const loaded = new Map<string, ServiceSpec>();

/** The YAML text parsed (the parser is loaded only when a spec is read from YAML). */
export function parseSpecYaml(text: string): Json {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require('yaml') as typeof import('yaml');
  return YAML.parse(text, { maxAliasCount: -1 }) as Json;
}

export const specHash = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

/** generated/<name>.spec.json: the parsed form of spec/<name>.yaml, with the hash of the text it was parsed from */
export const parsedSpecFile = (name: string) => path.join(projectRoot, 'generated', `${name}.spec.json`);

/**
 * The spec's document. A spec of spec/ is read from its parsed form in generated/ (written by `npm run generate`,
 * kept current by `generate:check` in the test command) when that was parsed from exactly this text, which spares
 * every start-up the YAML parser (about a tenth of a second per spec); any other text, or a missing or unreadable
 * parsed form, is parsed from the YAML itself, so an edited spec is never read stale.
 */
export function specDocument(file: string, text: string): Json {
  if (path.dirname(file) === specDir() && file.endsWith('.yaml')) {
    try {
      const cached = JSON.parse(fs.readFileSync(parsedSpecFile(path.basename(file, '.yaml')), 'utf8')) as { sha256?: string; doc?: Json };
      if (cached.sha256 === specHash(text) && cached.doc && typeof cached.doc === 'object') return cached.doc;
    } catch {
      /* no parsed form: parse the YAML */
    }
  }
  return parseSpecYaml(text);
}

/** spec/<name>.yaml, or a spec file given by path; parsed once per process (the specs do not change while it runs). */
export function loadSpec(nameOrFile: string, name?: string): ServiceSpec {
  const file = /\.(ya?ml|json)$/.test(nameOrFile) ? path.resolve(nameOrFile) : path.join(specDir(), `${nameOrFile}.yaml`);
  let spec = loaded.get(file);
  if (!spec) {
    spec = new ServiceSpec(name ?? path.basename(file).replace(/\.(ya?ml|json)$/, ''), file);
    loaded.set(file, spec);
  }
  return spec;
}

/**
 * OpenAPI 3.0 schema dialect to what Ajv (draft-07) understands: boolean exclusiveMinimum/Maximum become numbers.
 * `nullable` Ajv handles itself; `example`, `deprecated`, `x-*` are ignored under strict: false.
 */
function toJsonSchemaDialect(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchemaDialect);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = toJsonSchemaDialect(v);
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] === 'boolean') {
      if (out[flag] && typeof out[bound] === 'number') {
        out[flag] = out[bound];
        delete out[bound];
      } else {
        delete out[flag];
      }
    }
  }
  return out;
}

export class ServiceSpec {
  readonly doc: Json;
  private ajv?: Ajv;
  private validators = new Map<string, ValidateFunction>();
  private ops?: OperationInfo[];

  constructor(readonly name: string, readonly file: string, text = fs.readFileSync(file, 'utf8')) {
    this.doc = specDocument(file, text);
  }

  static load(name: string, dir = specDir()): ServiceSpec {
    return loadSpec(path.join(dir, `${name}.yaml`), name);
  }

  /** The value at a local JSON pointer ("#/a/b"). */
  at(pointer: string): Json {
    if (!pointer.startsWith('#')) throw new Error(`${this.name}: only local references are supported, got ${pointer}`);
    let node = this.doc;
    for (const raw of pointer.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === undefined || node === null) break;
      node = node[key];
    }
    if (node === undefined) throw new Error(`${this.name}: unresolvable reference ${pointer}`);
    return node;
  }

  /** Follow `$ref` chains of a non-schema object; returns the target and where it lives. */
  resolve(node: Json, pointer: string): { value: Json; pointer: string } {
    const seen = new Set<string>();
    while (node && typeof node === 'object' && typeof node.$ref === 'string') {
      if (seen.has(node.$ref)) throw new Error(`${this.name}: circular reference ${node.$ref}`);
      seen.add(node.$ref);
      pointer = node.$ref;
      node = this.at(pointer);
    }
    return { value: node, pointer };
  }

  /** A schema with its top-level `$ref` chain followed (for reading keywords such as `format`, not for validating). */
  derefSchema(schema: Json): Json {
    return schema && typeof schema === 'object' && schema.$ref ? this.resolve(schema, '#').value : schema;
  }

  private examplesOf(node: Json, pointer: string): { name: string; value: Json }[] {
    const out: { name: string; value: Json }[] = [];
    if (node.example !== undefined) out.push({ name: 'example', value: node.example });
    for (const [name, ex] of Object.entries(node.examples ?? {})) {
      const r = this.resolve(ex, `${pointer}/examples/${escapePointer(name)}`);
      if (r.value && r.value.value !== undefined) out.push({ name, value: r.value.value });
    }
    return out;
  }

  media(content: Json, pointer: string): MediaInfo[] {
    return Object.entries(content ?? {}).map(([mediaType, m]) => {
      const p = `${pointer}/${escapePointer(mediaType)}`;
      const media = m as Json;
      const examples = this.examplesOf(media, p);
      if (!examples.length && media.schema) {
        const s = this.derefSchema(media.schema);
        if (s?.example !== undefined) examples.push({ name: 'schema example', value: s.example });
      }
      return { mediaType, pointer: p, schemaPointer: media.schema ? `${p}/schema` : undefined, schema: media.schema, examples };
    });
  }

  private parameter(node: Json, pointer: string): ParameterInfo {
    const { value: p, pointer: at } = this.resolve(node, pointer);
    const examples = this.examplesOf(p, at);
    if (!examples.length && p.schema) {
      const s = this.derefSchema(p.schema);
      if (s?.example !== undefined) examples.push({ name: 'schema example', value: s.example });
    }
    return {
      name: p.name, in: p.in, required: p.in === 'path' || !!p.required, pointer: at,
      schemaPointer: p.schema ? `${at}/schema` : undefined, schema: p.schema, examples,
    };
  }

  operations(): OperationInfo[] {
    if (this.ops) return this.ops;
    const ops: OperationInfo[] = [];
    for (const [p, rawItem] of Object.entries(this.doc.paths ?? {})) {
      const { value: item, pointer: itemPtr } = this.resolve(rawItem, pointerOf('paths', p));
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        const opPtr = `${itemPtr}/${method}`;
        const params = new Map<string, ParameterInfo>();
        (item.parameters ?? []).forEach((x: Json, i: number) => {
          const info = this.parameter(x, `${itemPtr}/parameters/${i}`);
          params.set(`${info.in}:${info.name}`, info);
        });
        (op.parameters ?? []).forEach((x: Json, i: number) => {
          const info = this.parameter(x, `${opPtr}/parameters/${i}`);
          params.set(`${info.in}:${info.name}`, info);
        });
        let requestBody: OperationInfo['requestBody'];
        if (op.requestBody) {
          const { value: rb, pointer: rbPtr } = this.resolve(op.requestBody, `${opPtr}/requestBody`);
          requestBody = { required: !!rb.required, pointer: rbPtr, content: this.media(rb.content, `${rbPtr}/content`) };
        }
        const responses: ResponseInfo[] = Object.entries(op.responses ?? {}).map(([status, r]) => {
          const { value: res, pointer: resPtr } = this.resolve(r, `${opPtr}/responses/${status}`);
          const headers = Object.entries(res.headers ?? {}).map(([name, h]) => {
            const { value: hv, pointer: hPtr } = this.resolve(h, `${resPtr}/headers/${escapePointer(name)}`);
            const schema = hv.schema ? this.derefSchema(hv.schema) : undefined;
            const example = hv.example ?? Object.values(hv.examples ?? {}).map((e) => this.resolve(e, '#').value?.value)[0] ?? schema?.example;
            return { name, pointer: hPtr, schema: hv.schema, example };
          });
          return { status, pointer: resPtr, description: res.description, headers, content: this.media(res.content, `${resPtr}/content`) };
        });
        const info: OperationInfo = {
          service: this.name, method, path: p, operationId: op.operationId ?? `${method} ${p}`, pointer: opPtr,
          parameters: [...params.values()], requestBody, responses,
          security: (op.security ?? this.doc.security ?? []) as Record<string, string[]>[],
        };
        info.routerReason = this.routerReason(info);
        ops.push(info);
      }
    }
    this.ops = ops;
    return ops;
  }

  /** Prism mocks JSON bodies only: a non-JSON success body or a multipart/binary request is answered by the router. */
  private routerReason(op: OperationInfo): string | undefined {
    for (const r of op.responses) {
      if (!/^2/.test(r.status)) continue;
      const other = r.content.find((m) => !isJsonMedia(m.mediaType));
      if (other) return `${r.status} answers ${other.mediaType}`;
    }
    for (const m of op.requestBody?.content ?? []) {
      if (/^multipart\//i.test(m.mediaType)) return `request body is ${m.mediaType}`;
      if (this.derefSchema(m.schema)?.format === 'binary') return `request body is binary ${m.mediaType}`;
    }
    return undefined;
  }

  /** Whether an operation needs credentials at all. */
  static secured(op: OperationInfo): boolean {
    return op.security.length > 0 && !op.security.some((req) => Object.keys(req).length === 0);
  }

  securityScheme(name: string): Json {
    const s = this.doc.components?.securitySchemes?.[name];
    if (!s) throw new Error(`${this.name}: unknown security scheme ${name}`);
    return this.resolve(s, pointerOf('components', 'securitySchemes', name)).value;
  }

  /**
   * Path prefixes the router sends to this service: each path's literal part before its first template, plus the
   * longest literal segment prefix that all paths share (so an unknown path under the service still reaches it).
   */
  prefixes(): string[] {
    const literal = (p: string) => {
      const segs = p.split('/');
      const i = segs.findIndex((s) => s.includes('{'));
      return (i < 0 ? segs : segs.slice(0, i)).join('/') || '/';
    };
    const paths = Object.keys(this.doc.paths ?? {});
    const out = new Set(paths.map(literal));
    if (paths.length) {
      let common = paths[0].split('/');
      for (const p of paths.slice(1)) {
        const segs = p.split('/');
        let i = 0;
        while (i < common.length && i < segs.length && common[i] === segs[i] && !segs[i].includes('{')) i++;
        common = common.slice(0, i);
      }
      const c = common.filter((s) => !s.includes('{')).join('/');
      if (c && c !== '/') out.add(c);
    }
    return [...out];
  }

  /** The operation with this operationId. */
  operation(operationId: string): OperationInfo | undefined {
    return this.operations().find((o) => o.operationId === operationId);
  }

  /**
   * The path every operation lives under: the first server URL's path joined with the literal segments that all
   * paths share ('/account', '/b2b/api/v1'). The kernel mounts the service there and the mock routes by it.
   */
  get basePath(): string {
    let server = '';
    try {
      server = new URL(String(this.doc.servers?.[0]?.url ?? '/'), 'http://base').pathname.replace(/\/+$/, '');
    } catch {
      server = '';
    }
    const paths = Object.keys(this.doc.paths ?? {});
    let common = paths.length ? paths[0].split('/') : [''];
    for (const p of paths.slice(1)) {
      const segs = p.split('/');
      let i = 0;
      while (i < common.length && i < segs.length && common[i] === segs[i]) i++;
      common = common.slice(0, i);
    }
    const i = common.findIndex((seg) => seg.includes('{'));
    // the last segment of a single path is the operation's own, not a prefix
    const shared = (i < 0 ? common : common.slice(0, i)).slice(0, paths.length === 1 ? -1 : undefined).join('/');
    return `${server}${shared}`.replace(/\/+$/, '') || '/';
  }

  /** Required file properties of an operation's multipart body (binary strings listed in `required`). */
  requiredFiles(op: OperationInfo): string[] {
    const media = op.requestBody?.content.find((m) => m.mediaType.toLowerCase() === 'multipart/form-data');
    const schema = this.derefSchema(media?.schema);
    if (!schema) return [];
    return ((schema.required ?? []) as string[]).filter((k) => {
      const prop = this.derefSchema(schema.properties?.[k]);
      return prop?.type === 'string' && ['binary', 'byte'].includes(prop.format ?? '');
    });
  }

  /** The documented response for a status: the exact code, then its range (`4XX`), then `default`. */
  static responseFor(op: OperationInfo, status: number | string): ResponseInfo | undefined {
    const code = String(status);
    return op.responses.find((r) => r.status === code)
      ?? op.responses.find((r) => r.status.toUpperCase() === `${code[0]}XX`)
      ?? op.responses.find((r) => r.status === 'default');
  }

  /** Media types an operation answers with: at 2xx statuses, and at any status. */
  static produces(op: OperationInfo): { success: string[]; any: string[] } {
    const success = new Set<string>();
    const any = new Set<string>();
    for (const r of op.responses) {
      for (const m of r.content) {
        any.add(m.mediaType);
        if (/^2/.test(r.status)) success.add(m.mediaType);
      }
    }
    return { success: [...success], any: [...any] };
  }

  /** Media types an operation's request body may have. */
  static consumes(op: OperationInfo): string[] {
    return (op.requestBody?.content ?? []).map((m) => m.mediaType);
  }

  /** Ajv validator of the schema at a JSON pointer of this spec, with formats and `nullable`. */
  validator(pointer: string): ValidateFunction {
    return this.compiled(`n${pointer}`, () => (this.ajv ??= this.makeAjv(false)).compile({ $ref: `spec${pointer}` }));
  }

  /** Validator of a parameter's text value held as `{v: value}`, coerced to the schema's type as Prism does. */
  compileParameter(pointer: string): ValidateFunction {
    return this.compiled(`p${pointer}`, () => (this.coercing ??= this.makeAjv(true)).compile({
      type: 'object', properties: { v: { $ref: `spec${pointer}` } },
    }));
  }

  private coercing?: Ajv;

  private compiled(key: string, make: () => ValidateFunction): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) this.validators.set(key, (v = make()));
    return v;
  }

  private makeAjv(coerce: boolean): Ajv {
    const ajv = newAjv({ coerceTypes: coerce ? 'array' : false });
    ajv.addSchema({ ...toJsonSchemaDialect(this.doc), $id: 'spec' });
    return ajv;
  }
}

/** Match a request path against an OpenAPI path template; the path parameters, or undefined. */
export function matchTemplate(template: string, actual: string): Record<string, string> | undefined {
  const names: string[] = [];
  const re = new RegExp(`^${template.split(/(\{[^}]+\})/).map((part) => {
    const m = /^\{([^}]+)\}$/.exec(part);
    if (m) {
      names.push(m[1]);
      return '([^/]+)';
    }
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('')}$`);
  const hit = re.exec(actual);
  if (!hit) return undefined;
  const out: Record<string, string> = {};
  names.forEach((n, i) => {
    try {
      out[n] = decodeURIComponent(hit[i + 1]);
    } catch {
      out[n] = hit[i + 1];
    }
  });
  return out;
}

/** Literal paths before templated ones, as OpenAPI matching requires. */
export function byMatchPriority(a: OperationInfo, b: OperationInfo): number {
  const count = (p: string) => (p.match(/\{/g) ?? []).length;
  return count(a.path) - count(b.path) || b.path.length - a.path.length;
}
