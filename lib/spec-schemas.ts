/**
 * Validators for a service's component schemas outside HTTP (the admin command, fixtures): the spec stays the one
 * place where a field's rules are written down.
 */
import fs from 'node:fs';
import Ajv, { type ValidateFunction, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { specPath } from './app';

export interface SpecValidator {
  /** validator for an ad-hoc schema that may $ref '#/components/schemas/<name>' of the spec */
  compile(schema: object): ValidateFunction;
  schema(name: string): ValidateFunction;
  document: Record<string, unknown>;
}

const cache = new Map<string, SpecValidator>();

export function specValidator(service: string): SpecValidator {
  const hit = cache.get(service);
  if (hit) return hit;
  const document = YAML.parse(fs.readFileSync(specPath(service), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });
  addFormats(ajv);
  ajv.addSchema({ ...(document as object), $id: 'spec' });
  const relink = (s: unknown): unknown =>
    JSON.parse(JSON.stringify(s), (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `spec${v}` : v));
  const v: SpecValidator = {
    document,
    compile: (schema) => ajv.compile(relink(schema) as object),
    schema: (name) => ajv.getSchema(`spec#/components/schemas/${name}`) ?? (() => { throw new Error(`no schema ${name} in spec/${service}.yaml`); })(),
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
