/**
 * Stage 5, validate (lib/http/validate.ts): parameters normalised (booleans in any case, single values to arrays),
 * coerced and checked, defaults applied, failures the service's 400 naming each field.
 */
import type { ErrorObject } from 'ajv';
import { fieldErrors, normaliseParameters } from '../../../lib/http/validate';
import { loadSpec } from '../../../lib/spec';
import { buildApp, STAGES_SPEC, type StagesApp } from './_app';

describe('normaliseParameters', () => {
  const spec = loadSpec(STAGES_SPEC, 'stages');
  const params = spec.operation('read_item')!.parameters;
  it('lower-cases booleans spelled in any case, only those', () => {
    expect(normaliseParameters(spec, params, 'query', { flag: 'tRuE', q: 'TRUE' })).toEqual({ flag: 'true', q: 'TRUE' });
    expect(normaliseParameters(spec, params, 'query', { flag: 'FALSE' })).toEqual({ flag: 'false' });
    expect(normaliseParameters(spec, params, 'query', { flag: 'yes' })).toEqual({ flag: 'yes' });
  });
  it('makes an array of a single value for an array parameter, booleans inside normalised', () => {
    expect(normaliseParameters(spec, params, 'query', { tags: 'one', flags: 'True' })).toEqual({ tags: ['one'], flags: ['true'] });
    expect(normaliseParameters(spec, params, 'query', { flags: ['True', 'FALSE'] })).toEqual({ flags: ['true', 'false'] });
  });
  it('looks header parameters up by lower-case name and leaves other places alone', () => {
    expect(normaliseParameters(spec, params, 'header', { 'x-note': 'n' })).toEqual({ 'x-note': 'n' });
    expect(normaliseParameters(spec, params, 'path', { flag: 'True' })).toEqual({ flag: 'True' });
  });
});

describe('fieldErrors', () => {
  const err = (e: Partial<ErrorObject>) => ({ schemaPath: '', params: {}, ...e }) as ErrorObject;
  it('names the location and the dotted field of each error', () => {
    expect(fieldErrors([
      err({ instancePath: '/query/n', keyword: 'type', message: 'must be integer' }),
      err({ instancePath: '/requestBody/tags/1', keyword: 'type', message: 'must be string' }),
      err({ instancePath: '/requestBody', keyword: 'additionalProperties', params: { additionalProperty: 'extra' }, message: 'must NOT have additional properties' }),
      err({ instancePath: '/requestBody', keyword: 'required', params: { missingProperty: 'name' }, message: "must have required property 'name'" }),
      err({ instancePath: '/path/a~1b', keyword: 'enum', params: { allowedValues: ['x', 'y'] }, message: 'must be equal to one of the allowed values' }),
    ])).toEqual([
      { location: 'query', field: 'n', message: 'must be integer' },
      { location: 'body', field: 'tags.1', message: 'must be string' },
      { location: 'body', field: 'extra', message: 'must NOT have additional properties' },
      { location: 'body', field: 'name', message: "must have required property 'name'" },
      { location: 'path', field: 'a/b', message: 'must be equal to one of the allowed values: x, y' },
    ]);
  });
  it('says a missing body plainly and drops duplicates', () => {
    const missing = err({ instancePath: '', keyword: 'required', params: { missingProperty: 'requestBody' }, message: "must have required property 'requestBody'" });
    expect(fieldErrors([missing, missing])).toEqual([{ location: 'body', field: '', message: 'request body is required' }]);
    expect(fieldErrors(null)).toEqual([]);
  });
});

describe('validate through the app', () => {
  let t: StagesApp;
  beforeAll(async () => { t = await buildApp(); });
  beforeEach(() => { t.calls.length = 0; });
  const get = (query: string) => t.request().get(`/stages/items/1?${query}`);
  const put = (body?: string) => {
    const r = t.request().put('/stages/items/1').set('Authorization', 'Bearer alice').set('Content-Type', 'application/json');
    return body === undefined ? r : r.send(body);
  };

  it('accepts True, FALSE and tRuE for boolean parameters and hands the handler real booleans', async () => {
    const res = await get('flag=True&flags=FALSE&flags=tRuE');
    expect(res.status).toBe(200);
    expect(t.calls[0].input.query).toEqual(expect.objectContaining({ flag: true, flags: [false, true] }));
    expect((await get('flag=FALSE')).body.query.flag).toBe(false);
    expect((await get('flag=tRuE')).body.query.flag).toBe(true);
  });

  it('refuses yes for a boolean, naming the parameter', async () => {
    const res = await get('flag=yes');
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([expect.objectContaining({ location: 'query', field: 'flag' })]);
    expect(t.calls).toEqual([]);
  });

  it('turns a single value for an array parameter into an array', async () => {
    expect((await get('tags=one')).body.query.tags).toEqual(['one']);
    expect((await get('tags=one&tags=two')).body.query.tags).toEqual(['one', 'two']);
  });

  it('coerces integers and refuses what is not one', async () => {
    const res = await get('n=42');
    expect(t.calls[0].input.query.n).toBe(42);
    expect(res.body.query.n).toBe(42);
    for (const bad of ['4.2', 'x', '-1']) {
      const r = await get(`n=${bad}`);
      expect({ bad, status: r.status, field: r.body.fields?.[0]?.field }).toEqual({ bad, status: 400, field: 'n' });
    }
  });

  it('applies defaults of query parameters and body properties', async () => {
    expect((await get('')).body.query).toEqual({ limit: 10 });
    expect((await get('limit=3')).body.query).toEqual({ limit: 3 });
    expect((await put(JSON.stringify({ name: 'x' }))).body.body).toEqual({ name: 'x', color: 'blue' });
    expect((await put(JSON.stringify({ name: 'x', color: 'red' }))).body.body).toEqual({ name: 'x', color: 'red' });
  });

  it('refuses a property the schema does not allow with 400 naming it', async () => {
    const res = await put(JSON.stringify({ name: 'x', extra: 1 }));
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ location: 'body', field: 'extra', message: 'must NOT have additional properties' }]);
    expect(res.body.message).toBe('extra: must NOT have additional properties');
  });

  it('names every field that fails', async () => {
    const res = await put(JSON.stringify({ tags: ['a', 2] }));
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['name', 'tags.1']);
  });

  it('refuses a missing required body: request body is required', async () => {
    for (const res of [await put(), await put('')]) {
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual([{ location: 'body', field: '', message: 'request body is required' }]);
      expect(res.body.message).toBe('request body is required');
    }
    expect(t.calls).toEqual([]);
  });

  it('answers a path value off its schema with 404 where no 400 is documented, else 400', async () => {
    const long = 'x'.repeat(41);
    expect((await t.request().get(`/stages/items/${long}`)).status).toBe(400);
    const del = await t.request().delete(`/stages/items/${long}`).set('Authorization', 'Bearer alice');
    expect(del.status).toBe(404);
    expect(del.body.kind).toBe('notFound');
  });
});
