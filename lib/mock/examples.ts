/**
 * Every example a spec carries, paired with the schema it must satisfy: media-type `example`/`examples` (request
 * bodies, responses), parameter and header `example`/`examples`, and the `example` of every schema (components and
 * inline, at any depth). Mock answers are these examples, so each one is validated where it stands.
 */
import { explain } from '../spec-schemas';
import { pointerOf, ServiceSpec, type Json } from '../spec';

export interface ExampleCase {
  /** where the example is written, e.g. "paths./account/info.get.responses.200.content.application/json.example" */
  where: string;
  schemaPointer: string;
  value: Json;
}

export interface ExampleProblem extends ExampleCase {
  errors: string;
}

const readable = (pointer: string) =>
  pointer.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');

const SCHEMA_MAPS = ['properties', 'patternProperties'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const SCHEMA_SINGLES = ['not', 'additionalProperties', 'items'] as const;

export function collectExamples(spec: ServiceSpec): ExampleCase[] {
  const cases: ExampleCase[] = [];
  const seenSchemas = new Set<string>();
  const seenHolders = new Set<string>();

  const schemaNode = (schema: Json, pointer: string) => {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema) || seenSchemas.has(pointer)) return;
    seenSchemas.add(pointer);
    if (typeof schema.$ref === 'string') return; // walked where it is defined
    if (schema.example !== undefined) cases.push({ where: `${readable(pointer)}.example`, schemaPointer: pointer, value: schema.example });
    for (const k of SCHEMA_MAPS) for (const [name, sub] of Object.entries(schema[k] ?? {})) schemaNode(sub, `${pointer}/${k}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    for (const k of SCHEMA_LISTS) (Array.isArray(schema[k]) ? schema[k] : []).forEach((sub: Json, i: number) => schemaNode(sub, `${pointer}/${k}/${i}`));
    for (const k of SCHEMA_SINGLES) {
      if (Array.isArray(schema[k])) schema[k].forEach((sub: Json, i: number) => schemaNode(sub, `${pointer}/${k}/${i}`));
      else if (schema[k] && typeof schema[k] === 'object') schemaNode(schema[k], `${pointer}/${k}`);
    }
  };

  /** a parameter, header or media type object: its example(s) against its schema */
  const holder = (node: Json, pointer: string) => {
    const { value, pointer: at } = spec.resolve(node, pointer);
    if (!value || typeof value !== 'object' || seenHolders.has(at)) return;
    seenHolders.add(at);
    if (value.schema) {
      const schemaPointer = `${at}/schema`;
      if (value.example !== undefined) cases.push({ where: `${readable(at)}.example`, schemaPointer, value: value.example });
      for (const [name, ex] of Object.entries(value.examples ?? {})) {
        const r = spec.resolve(ex, `${at}/examples/${name}`);
        if (r.value?.value !== undefined) cases.push({ where: `${readable(at)}.examples.${name}`, schemaPointer, value: r.value.value });
      }
      schemaNode(value.schema, schemaPointer);
    }
    for (const [mt, media] of Object.entries(value.content ?? {})) holder(media, `${at}/content/${mt.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };

  const requestBody = (node: Json, pointer: string) => {
    const { value, pointer: at } = spec.resolve(node, pointer);
    for (const mt of Object.keys(value?.content ?? {})) holder(value.content[mt], `${at}/content/${mt.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  const response = (node: Json, pointer: string) => {
    const { value, pointer: at } = spec.resolve(node, pointer);
    for (const name of Object.keys(value?.headers ?? {})) holder(value.headers[name], `${at}/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    for (const mt of Object.keys(value?.content ?? {})) holder(value.content[mt], `${at}/content/${mt.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };

  const doc = spec.doc;
  for (const [p, rawItem] of Object.entries(doc.paths ?? {})) {
    const { value: item, pointer: itemPtr } = spec.resolve(rawItem, pointerOf('paths', p));
    (item.parameters ?? []).forEach((x: Json, i: number) => holder(x, `${itemPtr}/parameters/${i}`));
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || !op || typeof op !== 'object' || !('responses' in (op as object))) continue;
      const o = op as Json;
      const opPtr = `${itemPtr}/${method}`;
      (o.parameters ?? []).forEach((x: Json, i: number) => holder(x, `${opPtr}/parameters/${i}`));
      if (o.requestBody) requestBody(o.requestBody, `${opPtr}/requestBody`);
      for (const status of Object.keys(o.responses ?? {})) response(o.responses[status], `${opPtr}/responses/${status}`);
    }
  }
  const c = doc.components ?? {};
  for (const name of Object.keys(c.schemas ?? {})) schemaNode(c.schemas[name], pointerOf('components', 'schemas', name));
  for (const name of Object.keys(c.parameters ?? {})) holder(c.parameters[name], pointerOf('components', 'parameters', name));
  for (const name of Object.keys(c.headers ?? {})) holder(c.headers[name], pointerOf('components', 'headers', name));
  for (const name of Object.keys(c.requestBodies ?? {})) requestBody(c.requestBodies[name], pointerOf('components', 'requestBodies', name));
  for (const name of Object.keys(c.responses ?? {})) response(c.responses[name], pointerOf('components', 'responses', name));
  return cases;
}

/** Named examples in components/examples that nothing references: no schema to check them against. */
export function orphanExamples(spec: ServiceSpec): string[] {
  const refs = new Set<string>();
  const walk = (node: Json) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string') refs.add(node.$ref);
      Object.values(node).forEach(walk);
    }
  };
  walk(spec.doc);
  return Object.keys(spec.doc.components?.examples ?? {})
    .filter((name) => !refs.has(pointerOf('components', 'examples', name)))
    .map((name) => `components.examples.${name}`);
}

/** Examples that do not validate against their schemas (empty when all do). */
export function invalidExamples(spec: ServiceSpec): ExampleProblem[] {
  const problems: ExampleProblem[] = [];
  for (const ex of collectExamples(spec)) {
    let validate;
    try {
      validate = spec.validator(ex.schemaPointer);
    } catch (e) {
      problems.push({ ...ex, errors: `schema does not compile: ${(e as Error).message}` });
      continue;
    }
    if (!validate(structuredClone(ex.value))) problems.push({ ...ex, errors: explain(validate.errors) });
  }
  return problems;
}
