/** Stage 1, match (lib/http/match.ts): the service by longest base path, the operation, 404/405, HEAD, path parameters. */
import { pathParams, pickService } from '../../../lib/http/match';
import type { MountedService } from '../../../lib/http/exchange';
import { buildApp, type Echo, type StagesApp } from './_app';

const svc = (basePath: string) => ({ basePath, def: { name: basePath } }) as unknown as MountedService;

describe('pickService', () => {
  const root = svc('/');
  const a = svc('/stages');
  const ab = svc('/stages/inner');
  it('takes the longest base path that is a whole-segment prefix, whatever the order', () => {
    for (const list of [[a, ab], [ab, a]]) {
      expect(pickService(list, '/stages/inner/ping')).toBe(ab);
      expect(pickService(list, '/stages/inner')).toBe(ab);
      expect(pickService(list, '/stages/innerx')).toBe(a);
      expect(pickService(list, '/stages')).toBe(a);
      expect(pickService(list, '/stagesx/inner')).toBeUndefined();
      expect(pickService(list, '/')).toBeUndefined();
    }
  });
  it('a service at / takes what no other service does, and loses to any longer one', () => {
    expect(pickService([root, a], '/other')).toBe(root);
    expect(pickService([root, a], '/stages/x')).toBe(a);
    expect(pickService([a, root], '/stages/x')).toBe(a);
  });
});

describe('pathParams', () => {
  it('percent-decodes each value against its template', () => {
    expect(pathParams('/stages/items/{id}', '/stages/items/a%20b%2Fc%C3%A9')).toEqual({ id: 'a b/cé' });
    expect(pathParams('/x/{a}/y/{b}', '/x/1/y/two/')).toEqual({ a: '1', b: 'two' });
    expect(pathParams('/x/{a}.json', '/x/report.json')).toEqual({ a: 'report' });
  });
  it('keeps a value that does not decode as sent, and U+0000 decoded for the body stage to refuse', () => {
    expect(pathParams('/stages/items/{id}', '/stages/items/100%')).toEqual({ id: '100%' });
    expect(pathParams('/stages/items/{id}', '/stages/items/a%00b')).toEqual({ id: 'a\u0000b' });
  });
  it('gives empty values for a path the template does not match', () => {
    expect(pathParams('/stages/items/{id}', '/elsewhere')).toEqual({ id: '' });
  });
});

describe('match through the app', () => {
  let t: StagesApp;
  beforeAll(async () => { t = await buildApp(); });
  beforeEach(() => { t.calls.length = 0; });

  it('sends a path under the longer base path to that service', async () => {
    const res = await t.request().get('/stages/inner/ping');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ operationId: 'inner_ping' });
    const miss = await t.request().get('/stages/inner/nowhere');
    expect(miss.status).toBe(404);
    expect(miss.body).toEqual(expect.objectContaining({ service: 'inner', kind: 'routeNotFound' }));
  });

  it('answers an unknown path under a service with that service\'s 404', async () => {
    for (const p of ['/stages/nowhere', '/stages/innerx', '/stages/items/1/more']) {
      const res = await t.request().get(p);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(expect.objectContaining({ service: 'stages', kind: 'routeNotFound', message: `No route GET ${p}` }));
    }
    expect(t.calls).toEqual([]);
  });

  it('answers a path under no service with an RFC 9457 problem 404', async () => {
    const res = await t.request().get('/elsewhere/x');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No service serves /elsewhere/x' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers another method on a known path with 405 and Allow: the documented methods, HEAD beside GET', async () => {
    const res = await t.request().post('/stages/items/7').set('Authorization', 'Bearer alice').send({ name: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, DELETE');
    expect(res.body).toEqual(expect.objectContaining({ service: 'stages', kind: 'methodNotAllowed' }));
    const patch = await t.request().patch('/stages/items');
    expect(patch.status).toBe(405);
    expect(patch.headers.allow).toBe('GET, HEAD');
    const noGet = await t.request().get('/stages/notes');
    expect(noGet.status).toBe(405);
    expect(noGet.headers.allow).toBe('POST');
    expect(t.calls).toEqual([]);
  });

  it('serves HEAD as GET without a body', async () => {
    const get = await t.request().get('/stages/items/7?n=3');
    const head = await t.request().head('/stages/items/7?n=3');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.text ?? '').toBe('');
    // the length of the body GET would have: this app's locals name the method ("HEAD" one byte longer than "GET")
    const asHead = JSON.stringify({ ...get.body, locals: { ...get.body.locals, trace: get.body.locals.trace.replace(/^GET/, 'HEAD') } });
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(asHead)));
    expect(t.calls.map((c) => c.operationId)).toEqual(['read_item', 'read_item']);
    expect(t.calls[1].input.query).toEqual(t.calls[0].input.query);
    const blob = await t.request().head('/stages/blob').buffer(true);
    expect(blob.status).toBe(200);
    expect(blob.headers['content-type']).toBe('application/octet-stream');
    expect(blob.body?.length ?? 0).toBe(0);
    const blobGet = await t.request().get('/stages/blob').buffer(true);
    expect(blob.headers['content-length']).toBe(String((blobGet.body as Buffer).length));
  });

  it('hands the handler percent-decoded path parameters', async () => {
    const res = await t.request().get('/stages/items/caf%C3%A9%20%2F%201');
    expect(res.status).toBe(200);
    expect((res.body as Echo).path).toEqual({ id: 'café / 1' });
    expect(t.calls[0].input.path).toEqual({ id: 'café / 1' });
  });
});
