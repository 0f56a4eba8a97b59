/**
 * A service's OpenAPI 3.0 document as the contract runner sees it: $refs resolved (the view data is generated
 * from), path-level parameters merged into each operation, the effective security of each operation. The document
 * itself, which response documents a status and what an operation produces come from the project's one spec module
 * (lib/spec). Knows nothing about any one service.
 */
import path from 'node:path';
import { registerDocument } from './schema';
import { isJsonMedia } from '../spec/media';
import { loadSpec as loadProjectSpec, ServiceSpec as ProjectSpec, type OperationInfo } from '../spec/spec';
export { isJsonMedia, mediaMatches, negotiate } from '../spec/media';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type Method = (typeof METHODS)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Schema = Record<string, any>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
  deprecated?: boolean;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

export interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

export interface ResponseSpec {
  description?: string;
  headers?: Record<string, { required?: boolean; schema?: Schema }>;
  content?: Record<string, MediaType>;
}

export type SecurityRequirement = Record<string, string[]>;

export interface SecurityScheme {
  type: string;
  scheme?: string;
  in?: string;
  name?: string;
}

export interface Operation {
  service: string;
  operationId: string;
  method: Method;
  /** the path template, e.g. /account/data/{tracecode} */
  path: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, MediaType> };
  responses: Record<string, ResponseSpec>;
  /** effective security requirements; empty = open; an empty object among them = credentials optional */
  security: SecurityRequirement[];
  deprecated: boolean;
  description: string;
  /** the same operation as lib/spec reads it (responses in order, pointers): the rules that need no dereferencing */
  info: OperationInfo;
}

export interface ServiceSpec {
  service: string;
  file: string;
  document: Schema;
  operations: Operation[];
  /** documented methods per path template */
  paths: Record<string, Method[]>;
  /** path of the first server URL ('' for '/'), put before every path */
  basePath: string;
  securitySchemes: Record<string, SecurityScheme>;
}

let documents = 0;
const resolvedDocuments = new Map<string, Schema>();

/** The target of a $ref left in place by a cycle (`contract-doc-N#/...`), dereferenced. */
export function resolveRef(ref: string): Schema | undefined {
  const i = ref.indexOf('#');
  const doc = resolvedDocuments.get(ref.slice(0, i));
  if (!doc) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(i + 2).split('/')) node = (node as Record<string, unknown> | undefined)?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node as Schema | undefined;
}

/** Follow $refs left by cycles until a schema with content. */
export function follow(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; i < 16 && s && typeof s.$ref === 'string'; i++) s = resolveRef(s.$ref);
  return s;
}

/**
 * Resolve local $refs (#/...) in place of their targets. A reference inside its own target (a recursive schema)
 * stays a $ref, rewritten to `<id>#/...`: `id` names the raw document, which the validator registers under it.
 */
export function dereference(document: Schema, id = `contract-doc-${++documents}`): Schema {
  const resolved = new Map<string, unknown>();
  const pointer = (ref: string): unknown => {
    let node: unknown = document;
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      node = (node as Record<string, unknown> | undefined)?.[key];
      if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
    }
    return node;
  };
  const walk = (node: unknown, stack: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, stack));
    if (!node || typeof node !== 'object') return node;
    const obj = node as Record<string, unknown>;
    if (typeof obj.$ref === 'string' && obj.$ref.startsWith('#/')) {
      const ref = obj.$ref;
      if (stack.includes(ref)) return { $ref: `${id}${ref}` };
      if (resolved.has(ref)) return resolved.get(ref);
      const out = walk(pointer(ref), [...stack, ref]);
      resolved.set(ref, out);
      return out;
    }
    const out: Record<string, unknown> = {};
    // an example is literal data, never a reference; `examples` maps (Example Objects) may hold $refs
    for (const [k, v] of Object.entries(obj)) out[k] = k === 'example' ? v : walk(v, stack);
    return out;
  };
  const out = walk(document, []) as Schema;
  resolvedDocuments.set(id, out);
  registerDocument(id, document);
  return out;
}

export function loadSpec(file: string, service = path.basename(file).replace(/\.ya?ml$|\.json$/, '')): ServiceSpec {
  // parsed once per process by lib/spec; dereference() builds new objects and never changes the shared document
  const project = loadProjectSpec(file, service);
  const infos = project.operations();
  const document = dereference(project.doc as Schema);
  const operations: Operation[] = [];
  const paths: Record<string, Method[]> = {};
  const globalSecurity = (document.security ?? []) as SecurityRequirement[];
  for (const [p, item] of Object.entries((document.paths ?? {}) as Record<string, Schema>)) {
    paths[p] = [];
    const shared = (item.parameters ?? []) as Parameter[];
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      paths[p].push(method);
      const own = (op.parameters ?? []) as Parameter[];
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own].map((x) => ({
        ...x,
        required: x.in === 'path' ? true : !!x.required,
        schema: x.schema ?? {},
      }));
      operations.push({
        service,
        operationId: op.operationId ?? `${method}_${p}`,
        method,
        path: p,
        parameters: params,
        requestBody: op.requestBody ? { required: !!op.requestBody.required, content: op.requestBody.content ?? {} } : undefined,
        responses: op.responses ?? {},
        security: (op.security ?? globalSecurity) as SecurityRequirement[],
        deprecated: !!op.deprecated,
        description: String(op.description ?? op.summary ?? ''),
        info: infos.find((i) => i.method === method && i.path === p)!,
      });
    }
  }
  const server = String((document.servers as Array<{ url?: string }> | undefined)?.[0]?.url ?? '/');
  let basePath = '';
  try {
    basePath = new URL(server, 'http://base').pathname.replace(/\/+$/, '');
  } catch {
    basePath = '';
  }
  return {
    service, file, document, operations, paths, basePath,
    securitySchemes: (document.components?.securitySchemes ?? {}) as Record<string, SecurityScheme>,
  };
}

/** True when the operation cannot be called without credentials. */
export function isSecured(op: Operation): boolean {
  return op.security.length > 0 && !op.security.some((r) => Object.keys(r).length === 0);
}

/** The documented response for a status by lib/spec's rule (exact code, then its `4XX` range, then default). */
export function responseFor(op: Operation, status: number): { key: string; response: ResponseSpec } | undefined {
  const doc = ProjectSpec.responseFor(op.info, status);
  return doc && op.responses[doc.status] ? { key: doc.status, response: op.responses[doc.status] } : undefined;
}

/** Media types an operation answers with, at 2xx statuses and at any (lib/spec). */
export function produces(op: Operation): { success: string[]; any: string[] } {
  return ProjectSpec.produces(op.info);
}

/** The JSON request body media type of an operation (application/json or +json), if any. */
export function jsonBody(op: Operation): { mediaType: string; media: MediaType } | undefined {
  for (const [mediaType, media] of Object.entries(op.requestBody?.content ?? {})) {
    if (isJsonMedia(mediaType)) return { mediaType, media };
  }
  return undefined;
}

