/**
 * Stage 2, negotiate (lib/http/negotiate.ts, over lib/spec/media.ts): 415 for a body the operation does not take,
 * decided before the body is read; 406 only when Accept names nothing produced at any status.
 */
import { hasBody, mediaTypeOf } from '../../../lib/http/negotiate';
import type { Exchange } from '../../../lib/http/exchange';
import { negotiate } from '../../../lib/spec';
import { BLOB, buildApp, listen, rawRequest, type StagesApp } from './_app';

const exchangeWith = (headers: Record<string, string>) => ({ req: { headers } }) as unknown as Exchange;

describe('helpers', () => {
  it('hasBody: a positive Content-Length or any Transfer-Encoding', () => {
    expect(hasBody(exchangeWith({}))).toBe(false);
    expect(hasBody(exchangeWith({ 'content-length': '0' }))).toBe(false);
    expect(hasBody(exchangeWith({ 'content-length': '12' }))).toBe(true);
    expect(hasBody(exchangeWith({ 'transfer-encoding': 'chunked' }))).toBe(true);
  });
  it('mediaTypeOf: the type without parameters, lower case', () => {
    expect(mediaTypeOf('Application/JSON; charset=UTF-8')).toBe('application/json');
    expect(mediaTypeOf(undefined)).toBe('');
  });
  it('negotiate: success types by preference, 406 only when nothing at any status is acceptable', () => {
    const binary = { success: ['application/octet-stream'], any: ['application/octet-stream', 'application/json'] };
    expect(negotiate(undefined, binary)).toEqual({ acceptable: true, success: ['application/octet-stream'] });
    expect(negotiate('application/json', binary)).toEqual({ acceptable: true, success: [] });
    expect(negotiate('text/csv', binary)).toEqual({ acceptable: false, success: [] });
    expect(negotiate('application/octet-stream;q=0, application/json;q=0', binary).acceptable).toBe(false);
    const html = { success: ['text/html', 'text/plain'], any: ['text/html', 'text/plain', 'application/json'] };
    expect(negotiate('text/plain, text/html;q=0.5', html).success).toEqual(['text/plain', 'text/html']);
    expect(negotiate('text/html;q=0, */*', html).success).toEqual(['text/plain']);
    expect(negotiate('text/html; level=1; charset=utf-8', html).success).toEqual(['text/html']);
  });
});

describe('negotiate through the app', () => {
  let t: StagesApp;
  beforeAll(async () => { t = await buildApp(); });
  beforeEach(() => { t.calls.length = 0; });

  it('answers 415 for a body of a type the operation does not take, naming what it takes', async () => {
    const res = await t.request().put('/stages/items/1').set('Authorization', 'Bearer alice').set('Content-Type', 'text/plain').send('name=x');
    expect(res.status).toBe(415);
    expect(res.body).toEqual(expect.objectContaining({ service: 'stages', kind: 'unsupportedMediaType', message: 'Content-Type text/plain is not supported; use application/json' }));
    const none = await t.request().put('/stages/items/1').set('Authorization', 'Bearer alice').set('Content-Type', '').send(Buffer.from('{"name":"x"}'));
    expect(none.status).toBe(415);
    expect(t.calls).toEqual([]);
  });

  it('decides the 415 before reading the body: the answer comes while the body is still unsent', async () => {
    const server = await listen(t.app);
    try {
      const res = await rawRequest(server.port, 'PUT /stages/items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\n' +
        'Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\nname,color\r\n', { timeoutMs: 5000 });
      expect(res.status).toBe(415);
      expect(JSON.parse(res.body)).toEqual(expect.objectContaining({ kind: 'unsupportedMediaType' }));
    } finally {
      await server.close();
    }
  });

  it('takes a +json media type where application/json is declared', async () => {
    const res = await t.request().put('/stages/items/1').set('Authorization', 'Bearer alice')
      .set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ name: 'x' }));
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({ name: 'x', color: 'blue' });
  });

  it('takes application/json with parameters and any letter case', async () => {
    const res = await t.request().put('/stages/items/1').set('Authorization', 'Bearer alice')
      .set('Content-Type', 'Application/JSON; charset=utf-8').send(JSON.stringify({ name: 'x' }));
    expect(res.status).toBe(200);
  });

  it('answers the binary success to Accept: application/json when only errors are JSON', async () => {
    for (const stream of ['false', 'true']) {
      const res = await t.request().get(`/stages/blob?stream=${stream}`).set('Accept', 'application/json').buffer(true)
        .parse((r, cb) => { const c: Buffer[] = []; r.on('data', (x: Buffer) => c.push(x)); r.on('end', () => cb(null, Buffer.concat(c))); });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(Buffer.compare(res.body as Buffer, BLOB)).toBe(0);
    }
  });

  it('answers 406 to an Accept naming nothing produced at any status, before the handler runs', async () => {
    for (const accept of ['text/csv', 'image/*', 'application/xml, text/html']) {
      const res = await t.request().get('/stages/blob').set('Accept', accept);
      expect(res.status).toBe(406);
      expect(res.body).toEqual(expect.objectContaining({ service: 'stages', kind: 'notAcceptable' }));
    }
    expect(t.calls).toEqual([]);
  });

  it('lets q=0 exclude a type', async () => {
    expect((await t.request().get('/stages/items/1').set('Accept', 'application/json;q=0')).status).toBe(406);
    expect((await t.request().get('/stages/blob').set('Accept', 'application/octet-stream;q=0, application/json;q=0')).status).toBe(406);
    expect((await t.request().get('/stages/items/1').set('Accept', 'text/html, application/json;q=0.1')).status).toBe(200);
  });

  it('ignores Accept parameters other than q', async () => {
    for (const accept of ['application/json; charset=utf-8', 'application/json;version=2;q=0.9', 'application/*; foo=bar', '*/*']) {
      const res = await t.request().get('/stages/items/1').set('Accept', accept);
      expect({ accept, status: res.status }).toEqual({ accept, status: 200 });
    }
  });
});
