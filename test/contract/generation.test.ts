/**
 * The runner's own parts, on every spec in spec/: positive cases satisfy their operation's schemas (after the
 * service plugin's adjustments), negative ones break them, the data is deterministic per seed; scenario templates
 * and partial matching; the plugins (imported here so that the compiler checks them too).
 */
import fs from 'node:fs';
import path from 'node:path';
import account from '../../contract/services/account';
import b2b, { arRest, passHash } from '../../contract/services/b2b';
import { buildOperationCases, coerceParam, requestProblems, BOOLEAN_SPELLINGS, CONTROL_CHARACTERS, FAR_DATES, NON_ASCII, POSITIVE_KINDS, type Case } from '../../lib/contract/cases';
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
    // (an Accept is no part of the schemas; U+0000 is refused by the project's decision, which requestProblems knows)
    const negatives = cases.filter((c) => c.kind === 'negative' && c.klass !== 'accept');
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

describe('the defect classes outside testing found', () => {
  const cases = [...casesOf('account', 7), ...casesOf('b2b', 7)];
  const tiny = (() => {
    const spec = loadSpec(path.join(root, 'test', 'contract', 'fixtures', 'spec', 'tiny.yaml'), 'tiny');
    return spec.operations.flatMap((op) => buildOperationCases(spec, op, { seed: 7, budget: 12, positiveOnly: false, canAuth: true, rules: {}, session }).cases);
  })();
  const of = (cs: Case[], klass: Case['klass']) => cs.filter((c) => c.klass === klass);
  const texts = (c: Case): string[] => [
    ...Object.values(c.request.path), ...Object.values(c.request.query), ...Object.values(c.request.headers), JSON.stringify(c.request.body ?? null),
  ].map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

  it('puts U+0000 into every string input, body fields at any depth, query, path and header parameters', () => {
    const nul = of(cases, 'nul');
    for (const c of nul) expect([c.description, c.kind, texts(c).some((t) => t.includes('\u0000') || t.includes('\\u0000'))]).toEqual([c.description, 'negative', true]);
    const where = nul.map((c) => `${c.target} ${c.description.replace(/^\[U\+0000\] /, '')}`);
    expect(where).toEqual(expect.arrayContaining([
      'update_info body name: U+0000 inside the string', // a top-level body field
      'upsert_users body data.0.groups_refs.0: U+0000 inside the string', // an array item inside an array of objects
      'read_audit query operation_id: U+0000 inside the string',
      'read_audit query sort_direction: U+0000 inside the string', // enums too
      'read_data path tracecode: U+0000 inside the string', // formats too
    ]));
    expect(of(tiny, 'nul').map((c) => c.description)).toContain('[U+0000] header X-Label: U+0000 inside the string');
  });

  it('sends control and non-ASCII characters only where the pattern allows them under the validator\'s u semantics', () => {
    const control = of(cases, 'control-characters');
    const nonAscii = of(cases, 'non-ascii');
    expect(control.length).toBeGreaterThan(5);
    for (const c of control) expect([c.description, texts(c).some((t) => CONTROL_CHARACTERS.some((x) => t.includes(x) || t.includes(JSON.stringify(x).slice(1, -1))))]).toEqual([c.description, true]);
    for (const c of nonAscii) expect([c.description, texts(c).some((t) => NON_ASCII.some((x) => t.includes(x)))]).toEqual([c.description, true]);
    // account's username and company_key are ^\w+$: \w is ASCII even with the u flag, so neither gets such a case
    expect([...control, ...nonAscii].filter((c) => /body (username|company_key)/.test(c.description))).toEqual([]);
    expect(nonAscii.map((c) => `${c.target} ${c.description}`)).toEqual(expect.arrayContaining([
      'update_info [non-ASCII] body name: é ß Я 中 inside the string',
      'update_info [non-ASCII] body name at maxLength 256 in characters (576 bytes of UTF-8)',
      'dev_ping [non-ASCII] query value at maxLength 1024 in characters (2304 bytes of UTF-8)',
    ]));
    const atMax = nonAscii.find((c) => c.target === 'update_info' && /at maxLength 256/.test(c.description))!;
    expect([...(atMax.request.body as { name: string }).name]).toHaveLength(256);
    expect(new Set((atMax.request.body as { name: string }).name)).toEqual(new Set(NON_ASCII));
    // no class case in a header: its value is visible ASCII on the wire
    expect([...control, ...nonAscii].filter((c) => / header /.test(c.description))).toEqual([]);
  });

  it('spells query booleans as other clients do, and the runner reads them as the kernel will', () => {
    expect(of(cases, 'boolean-spelling').map((c) => `${c.target} ${Object.entries(c.request.query).filter(([, v]) => BOOLEAN_SPELLINGS.includes(v as string)).map(([k, v]) => `${k}=${v}`)}`))
      .toEqual(['read_user _detailed=True', 'read_user _detailed=FALSE', 'read_user _detailed=tRuE', 'dev_token is_hash=True', 'dev_token is_hash=FALSE', 'dev_token is_hash=tRuE']);
    expect(['True', 'FALSE', 'tRuE', 'maybe'].map((v) => coerceParam({ type: 'boolean' }, v))).toEqual([true, false, true, 'maybe']);
  });

  it('sends far dates and odd offsets where the schema allows them, and the longest period', () => {
    const far = of(cases, 'far-dates');
    const values = (c: Case) => texts(c).join(' ');
    for (const c of far) expect([c.description, c.namedRefusal !== undefined]).toEqual([c.description, true]);
    const statistics = far.filter((c) => c.target === 'generate_statistics');
    expect(statistics.map((c) => `${c.request.query.from} ${c.request.query.to}`)).toEqual(expect.arrayContaining([`${FAR_DATES.date.earliest} ${FAR_DATES.date.latest}`]));
    expect(statistics.find((c) => /longest period/.test(c.description))!.namedRefusal).toBe('from|to');
    expect(far.filter((c) => c.target === 'read_audit').map((c) => values(c))).toEqual(expect.arrayContaining([expect.stringContaining('2024-02-29T12:00:00-05:38')]));
    expect(far.filter((c) => c.target === 'upsert_users').map((c) => c.description)).toEqual(['active_from', 'active_to']
      .flatMap((f) => FAR_DATES['date-time'].values.map((v) => `[far dates] body data.0.${f} ${v}`)));
    expect(far.find((c) => c.target === 'upsert_users')!.namedRefusal).toBe('active_from');
  });

  it('sends Accept: application/json to non-JSON answers, and an Accept nothing answers where 406 is documented', () => {
    const accept = of(cases, 'accept');
    expect(accept.filter((c) => c.kind === 'boundary').map((c) => `${c.target} ${c.request.headers.Accept}`).sort())
      .toEqual(['file application/json', 'read_data application/json', 'read_report application/json']);
    const refused = accept.filter((c) => c.kind === 'negative');
    expect(refused.length).toBe(13 + 5); // every operation of both specs documents 406
    for (const c of refused) expect([c.target, c.request.headers.Accept, c.expectStatuses]).toEqual([c.target, 'image/png', [406]]);
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
