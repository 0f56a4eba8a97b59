/**
 * The runner's own parts, on every spec in spec/: positive cases satisfy their operation's schemas (after the
 * service plugin's adjustments), negative ones break them, the data is deterministic per seed; scenario templates
 * and partial matching; the plugins (imported here so that the compiler checks them too).
 */
import fs from 'node:fs';
import path from 'node:path';
import account from '../../contract/services/account';
import b2b, { arRest, passHash } from '../../contract/services/b2b';
import { buildOperationCases, requestProblems, POSITIVE_KINDS, type Case } from '../../lib/contract/cases';
import type { ServicePlugin, Session } from '../../lib/contract/plugin';
import { captureFrom, evaluate, loadScenarios, partialMismatches, render } from '../../lib/contract/scenario';
import { loadSpec } from '../../lib/contract/spec';
import { discoverSpecs } from '../../lib/contract/runner';

const root = path.resolve(__dirname, '..', '..');
const plugins: Record<string, ServicePlugin> = { account, b2b };
const session: Session = { authHeaders: () => ({ Authorization: 'Bearer x' }), vars: {} };

/** The cases of a spec; with the plugin's rules unless `raw` (those may read the clock, e.g. to order a period). */
function casesOf(service: string, seed: number, raw = false): Case[] {
  const spec = loadSpec(path.join(root, 'spec', `${service}.yaml`), service);
  return spec.operations.flatMap((op) => buildOperationCases(spec, op, {
    seed, budget: 12, positiveOnly: false, canAuth: true, rules: raw ? {} : plugins[service]?.operations?.[op.operationId] ?? {}, session,
  }).cases);
}

describe.each(discoverSpecs(path.join(root, 'spec')))('cases of spec/%s.yaml', (service) => {
  const cases = casesOf(service, 7);

  it('positive cases satisfy the schemas, negative ones break them', () => {
    const positives = cases.filter((c) => POSITIVE_KINDS.includes(c.kind) && c.kind !== 'plugin');
    const negatives = cases.filter((c) => c.kind === 'negative');
    expect(positives.length).toBeGreaterThan(10);
    expect(negatives.length).toBeGreaterThan(10);
    expect(positives.map((c) => [c.target, c.description, requestProblems(c.op!, c.request)]).filter(([, , p]) => (p as string[]).length)).toEqual([]);
    expect(negatives.map((c) => [c.target, c.description, requestProblems(c.op!, c.request)]).filter(([, , p]) => !(p as string[]).length)).toEqual([]);
  });

  it('is deterministic for a seed and varies with it', () => {
    const strip = (cs: Case[]) => cs.map((c) => [c.target, c.kind, c.description, c.request]);
    const first = casesOf(service, 7, true);
    expect(strip(casesOf(service, 7, true))).toEqual(strip(first));
    const generated = (cs: Case[]) => JSON.stringify(cs.filter((c) => c.kind === 'generated').map((c) => c.request));
    expect(generated(casesOf(service, 8, true))).not.toEqual(generated(first));
  });

  it('has a scenario file the runner can read', () => {
    const file = path.join(root, 'contract', 'scenarios', `${service}.yaml`);
    expect(fs.existsSync(file)).toBe(true);
    const scenarios = loadScenarios(file);
    expect(scenarios.length).toBeGreaterThan(0);
    const ops = new Set(loadSpec(path.join(root, 'spec', `${service}.yaml`), service).operations.map((o) => o.operationId));
    for (const step of scenarios.flatMap((s) => s.steps)) if (step.operation) expect([step.operation, ops.has(step.operation)]).toEqual([step.operation, true]);
  });
});

describe('scenario templates and matching', () => {
  const fns = { twice: (x: unknown) => `${x}${x}` };
  it('keeps the type of a whole template and interpolates inside strings', () => {
    const vars = { n: 3, user: { id: 'u1', tags: ['a'] }, s: 'x' };
    expect(render({ a: '{{n}}', b: 'id={{user.id}}', c: ['{{user.tags}}'], d: "{{twice(s)}}-{{twice('y')}}" }, vars, fns))
      .toEqual({ a: 3, b: 'id=u1', c: [['a']], d: 'xx-yy' });
    expect(() => evaluate('missing', vars, fns)).toThrow(/no variable missing/);
    expect(() => evaluate('nope(1)', vars, fns)).toThrow(/unknown function nope/);
  });

  it('matches objects by key, arrays by membership, [] as empty', () => {
    expect(partialMismatches({ a: 1, list: [{ id: 2 }] }, { a: 1, b: 5, list: [{ id: 1 }, { id: 2, x: 0 }] })).toEqual([]);
    expect(partialMismatches({ list: [] }, { list: [1] })).toEqual(['body.list: expected an empty array, got [1]']);
    expect(partialMismatches({ a: { b: 'x' } }, { a: { b: 'y' } })).toEqual(['body.a.b: expected "x", got "y"']);
    expect(captureFrom('body.data.0.uid', { status: 200, headers: {}, body: { data: [{ uid: 'u' }] } })).toBe('u');
    expect(captureFrom('headers.Location', { status: 201, headers: { location: '/x/1' }, body: null })).toBe('/x/1');
  });
});

describe('plugins', () => {
  it('b2b computes the AR-REST token of the spec\'s own dev_token example', () => {
    // spec/b2b.yaml, GET dev/token example: user test@test, pass 123, stamp 1483634723, age 5
    expect(passHash('123')).toBe('ICy5YqxZB1uWSwcVLSNLcA==');
    expect(arRest('test@test', passHash('123'), { stamp: 1483634723, age: 5 })).toBe('AR-REST dGVzdEB0ZXN0OjE0ODM2MzQ3MjM6NTpaVGZBTzQramFDdmhWMCs2elk1dWFnPT0=');
  });

  it('every plugin names a service with a spec, and its rules name operations of that spec', () => {
    for (const [service, p] of Object.entries(plugins)) {
      expect(p.service).toBe(service);
      const ops = new Set(loadSpec(path.join(root, 'spec', `${service}.yaml`), service).operations.map((o) => o.operationId));
      for (const op of Object.keys(p.operations ?? {})) expect([service, op, ops.has(op)]).toEqual([service, op, true]);
    }
  });
});
