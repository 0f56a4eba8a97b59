/**
 * A value for a schema when the spec gives no example: the schema's example, default, first enum value, or the
 * smallest value of its type that meets its bounds. Deterministic; used for fallbacks, not for fuzzing.
 */
import type { Json, ServiceSpec } from '../spec';

const FORMATS: Record<string, string> = {
  uuid: '00000000-0000-4000-8000-000000000000',
  date: '2024-01-01',
  'date-time': '2024-01-01T00:00:00Z',
  time: '00:00:00Z',
  email: 'user@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
  byte: 'AA==',
  binary: 'x',
  password: 'password',
};

export function sample(spec: ServiceSpec, schema: Json, depth = 0): Json {
  const s = spec.derefSchema(schema);
  if (!s || typeof s !== 'object' || depth > 12) return null;
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((p: Json) => sample(spec, p, depth + 1));
    return parts.every((p: Json) => p && typeof p === 'object' && !Array.isArray(p)) ? Object.assign({}, ...parts) : parts[0];
  }
  for (const k of ['oneOf', 'anyOf']) if (Array.isArray(s[k]) && s[k].length) return sample(spec, s[k][0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type ?? (s.properties ? 'object' : s.items ? 'array' : undefined);
  switch (type) {
    case 'object': {
      const out: Record<string, Json> = {};
      for (const name of s.required ?? []) out[name] = sample(spec, s.properties?.[name] ?? {}, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(spec, s.items ?? {}, depth + 1));
    case 'integer':
    case 'number': {
      let n = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 0;
      if (typeof s.maximum === 'number' && n > s.maximum) n = s.maximum;
      return type === 'integer' ? Math.ceil(n) : n;
    }
    case 'boolean':
      return false;
    case 'string': {
      let v = FORMATS[s.format] ?? 'x';
      if (typeof s.minLength === 'number' && v.length < s.minLength) v = v.padEnd(s.minLength, 'x');
      if (typeof s.maxLength === 'number' && v.length > s.maxLength) v = v.slice(0, s.maxLength);
      return v;
    }
    default:
      return s.nullable ? null : {};
  }
}
