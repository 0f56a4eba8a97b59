/**
 * The one Ajv setup of the project: the kernel's request and response validation (through openapi-backend's
 * customizeAjv), the contract runner's judge, the mock's example checks and the admin commands' schema checks all
 * configure their Ajv here, so a value valid for one is valid for all. OpenAPI 3.0's schema dialect is mapped to
 * draft-07 where the two differ.
 */
import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Schema = Record<string, any>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Formats (ajv-formats) plus OpenAPI's own: numeric widths, binary and password are hints, byte is base64; uuid without the URN form. */
export function configureAjv<A extends Ajv>(ajv: A): A {
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'float', 'double', 'binary', 'password']) {
    if (!ajv.formats[f]) ajv.addFormat(f, true);
  }
  if (!ajv.formats.byte) ajv.addFormat('byte', BASE64);
  // uuid: RFC 4122's string representation, 8-4-4-4-12 hex digits. ajv-formats also takes the `urn:uuid:` URN,
  // which clients of these products never send and PostgreSQL's uuid type does not read.
  ajv.addFormat('uuid', UUID);
  return ajv;
}

/** A configured Ajv; `strict: false` because OpenAPI schemas carry keywords JSON Schema does not know. */
export function newAjv(opts: Options = {}): Ajv {
  return configureAjv(new Ajv({ strict: false, allErrors: true, logger: false, ...opts }));
}

/** Keys whose values are maps of names to schemas: their names are never keywords to drop. */
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'schemas', 'dependencies']);
const converted = new WeakMap<object, Schema>();

/** OpenAPI 3.0 schema -> draft-07: boolean exclusive bounds, nullable enums; examples, discriminator and x- dropped. */
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
