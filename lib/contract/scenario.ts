/**
 * Stateful flows from contract/scenarios/<service>.yaml: steps that name an operation (or a method and path),
 * carry templated parameters and bodies, expect a status and a partial body, and capture values for later steps.
 *
 *   scenarios:
 *     - name: create, read, delete
 *       requires: [username]            # session variables the flow needs; skipped without them
 *       vars: { title: "t-{{unique}}" }
 *       steps:
 *         - name: create
 *           operation: create_item      # or method: POST + path: /items
 *           body: { title: "{{title}}" }
 *           expect: { status: 201, body: { title: "{{title}}" } }
 *           capture: { id: body.id }
 *         - name: read after delete
 *           operation: read_item
 *           params: { id: "{{id}}" }
 *           expect: { status: 404 }
 *           check: use_after_free       # the check the expectation is filed under (default scenario_step)
 *         - name: cleanup
 *           always: true                # runs even after a failed step
 *
 * Templates: "{{name}}", "{{a.b.0}}", "{{fn(arg, 'text')}}"; a string that is one template keeps the value's type.
 * Built-ins: unique (one random word per scenario run), uuid, now (ISO), now_unix.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import type { CheckName } from './checks';

export interface Step {
  name: string;
  operation?: string;
  method?: string;
  path?: string;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body?: unknown;
  raw?: string;
  content_type?: string;
  /** 'default' (the session's credentials), 'none', or credentials for the plugin's headersFor */
  auth?: 'default' | 'none' | Record<string, unknown>;
  expect?: { status?: number | number[]; body?: unknown; headers?: Record<string, string> };
  capture?: Record<string, string>;
  check?: CheckName;
  always?: boolean;
}

export interface Scenario {
  name: string;
  description?: string;
  requires?: string[];
  vars?: Record<string, unknown>;
  steps: Step[];
}

const STEP_KEYS = new Set(['name', 'operation', 'method', 'path', 'params', 'query', 'headers', 'body', 'raw', 'content_type', 'auth', 'expect', 'capture', 'check', 'always']);
const STEP_CHECKS = new Set(['scenario_step', 'ensure_resource_availability', 'use_after_free']);

export function loadScenarios(file: string): Scenario[] {
  if (!fs.existsSync(file)) return [];
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { scenarios?: Scenario[] } | null;
  const list = doc?.scenarios ?? [];
  if (!Array.isArray(list)) throw new Error(`${file}: "scenarios" must be a list`);
  for (const s of list) {
    if (!s?.name || !Array.isArray(s.steps)) throw new Error(`${file}: every scenario needs a name and a list of steps`);
    for (const st of s.steps) {
      const unknown = Object.keys(st).filter((k) => !STEP_KEYS.has(k));
      if (unknown.length) throw new Error(`${file}: scenario "${s.name}", step "${st.name}": unknown keys ${unknown.join(', ')}`);
      if (!st.operation && !(st.method && st.path)) throw new Error(`${file}: scenario "${s.name}", step "${st.name}": needs operation, or method and path`);
      if (st.check && !STEP_CHECKS.has(st.check)) throw new Error(`${file}: scenario "${s.name}", step "${st.name}": check must be one of ${[...STEP_CHECKS].join(', ')}`);
    }
  }
  return list;
}

export type Functions = Record<string, (...args: unknown[]) => unknown>;

function lookup(vars: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = vars;
  for (const part of dotted.split('.')) {
    if (node === undefined || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let depth = 0;
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '(') {
      depth++;
      cur += ch;
    } else if (ch === ')') {
      depth--;
      cur += ch;
    } else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function evaluate(expr: string, vars: Record<string, unknown>, fns: Functions): unknown {
  const e = expr.trim();
  if (/^'.*'$|^".*"$/.test(e)) return e.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  const call = /^([A-Za-z_]\w*)\((.*)\)$/.exec(e);
  if (call) {
    const fn = fns[call[1]];
    if (!fn) throw new Error(`unknown function ${call[1]}() in "{{${expr}}}"`);
    return fn(...splitArgs(call[2]).map((a) => evaluate(a, vars, fns)));
  }
  if (!/^[\w.-]+$/.test(e)) throw new Error(`cannot read the template "{{${expr}}}"`);
  const v = lookup(vars, e);
  if (v === undefined) throw new Error(`"{{${expr}}}": no variable ${e}`);
  return v;
}

/** Resolve templates in a value (strings, arrays and objects, recursively). */
export function render(value: unknown, vars: Record<string, unknown>, fns: Functions): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{([^{}]+)\}\}$/.exec(value);
    if (whole) return evaluate(whole[1], vars, fns);
    return value.replace(/\{\{([^{}]+)\}\}/g, (_, ex: string) => {
      const v = evaluate(ex, vars, fns);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, vars, fns));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [render(k, vars, fns) as string, render(v, vars, fns)]));
  }
  return value;
}

export function builtins(): Functions {
  return {
    uuid: () => crypto.randomUUID(),
    now: () => new Date().toISOString(),
    now_unix: () => Math.floor(Date.now() / 1000),
    concat: (...a: unknown[]) => a.map(String).join(''),
  };
}

export function scenarioVars(): Record<string, unknown> {
  return { unique: crypto.randomBytes(4).toString('hex') };
}

/**
 * Mismatches of an expected partial value against an actual one: objects by key (extra keys allowed), arrays by
 * "each expected item matches some item" ([] means empty), scalars by equality.
 */
export function partialMismatches(expected: unknown, actual: unknown, at = 'body'): string[] {
  if (expected === null || typeof expected !== 'object') {
    return Object.is(expected, actual) || expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)?.slice(0, 200)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${JSON.stringify(actual)?.slice(0, 200)}`];
    if (!expected.length) return actual.length ? [`${at}: expected an empty array, got ${JSON.stringify(actual).slice(0, 200)}`] : [];
    const out: string[] = [];
    expected.forEach((e, i) => {
      if (!actual.some((a) => partialMismatches(e, a).length === 0)) out.push(`${at}: no item matches expected [${i}] ${JSON.stringify(e).slice(0, 200)}`);
    });
    return out;
  }
  if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)?.slice(0, 200)}`];
  return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => partialMismatches(v, (actual as Record<string, unknown>)[k], `${at}.${k}`));
}

/** Read a capture expression (status, headers.x, body, body.a.0.b) from an answer. */
export function captureFrom(expr: string, answer: { status: number; headers: Record<string, string>; body: unknown }): unknown {
  const [root, ...rest] = expr.trim().split('.');
  let node: unknown;
  if (root === 'status') node = answer.status;
  else if (root === 'headers') return answer.headers[rest.join('.').toLowerCase()];
  else if (root === 'body') node = answer.body;
  else throw new Error(`capture "${expr}" must start with status, headers or body`);
  for (const part of rest) {
    if (node === undefined || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
