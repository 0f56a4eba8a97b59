/**
 * Stage 7, respond (lib/http/respond.ts): with response validation a reply the spec does not document (status,
 * header, body, media type) is a 500 drift that tells the client nothing; raw bodies from a buffer or a stream; JSON
 * with its content type.
 */
import type { Exchange } from '../../../lib/http/exchange';
import { checkReply, isRaw, isStreamed } from '../../../lib/http/respond';
import { Readable } from 'node:stream';
import { BLOB, buildApp, type StagesApp } from './_app';

describe('helpers', () => {
  it('isRaw / isStreamed', () => {
    expect(isRaw({ raw: Buffer.from('x'), contentType: 'text/plain' })).toBe(true);
    expect(isRaw({ raw: 'x' })).toBe(false);
    expect(isRaw(null)).toBe(false);
    expect(isStreamed({ status: 200, body: { raw: Buffer.from('x'), contentType: 'a/b' } })).toBe(false);
    expect(isStreamed({ status: 200, body: { raw: Readable.from([]), contentType: 'a/b' } })).toBe(true);
    expect(isStreamed({ status: 200, body: { ok: true } })).toBe(false);
  });
});

describe('checkReply', () => {
  let t: StagesApp;
  beforeAll(async () => { t = await buildApp(); });
  const exchange = (reply: Exchange['reply'], validateResponses = true) => {
    const service = t.services.find((s) => s.def.name === 'stages')!;
    const info = service.spec.operation('drift')!;
    const operation = service.api.getOperation('drift');
    return { app: { validateResponses }, service, info, operation, reply } as unknown as Exchange;
  };
  it('passes a documented reply', () => {
    expect(() => checkReply(exchange({ status: 200, body: { ok: true }, headers: { 'x-count': '2' } }))).not.toThrow();
  });
  it.each([
    ['an undocumented status', { status: 201, body: { ok: true } }, /undocumented status 201/],
    ['an undocumented header', { status: 200, body: { ok: true }, headers: { 'X-Secret': 'x' } }, /undocumented header X-Secret/],
    ['a body off its schema', { status: 200, body: { ok: 'yes' } }, /drift: drift 200: /],
    ['a raw body of another media type', { status: 200, body: { raw: Buffer.from('a'), contentType: 'text/csv' } }, /answered text\/csv/],
    ['a numeric header that is not a number', { status: 200, body: { ok: true }, headers: { 'X-Count': 'many' } }, /header X-Count is not a integer/],
  ])('refuses %s', (_what, reply, message) => {
    expect(() => checkReply(exchange(reply))).toThrow(message);
    expect(() => checkReply(exchange(reply, false))).not.toThrow();
  });
});

describe('respond through the app', () => {
  let strict: StagesApp;
  let lax: StagesApp;
  beforeAll(async () => {
    strict = await buildApp({ validateResponses: true });
    lax = await buildApp({ validateResponses: false });
  });

  it.each(['status', 'header', 'body', 'media', 'badNumberHeader'])('answers a drift (%s) with a 500 that names nothing', async (mode) => {
    const res = await strict.request().get(`/stages/drift?mode=${mode}`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual(expect.objectContaining({ service: 'stages', kind: 'internal', message: 'Internal server error' }));
    expect(res.headers['x-secret']).toBeUndefined();
  });

  it('sends the same replies as they are when response validation is off', async () => {
    expect((await lax.request().get('/stages/drift?mode=status')).status).toBe(201);
    const header = await lax.request().get('/stages/drift?mode=header');
    expect(header.headers['x-secret']).toBe('leak');
  });

  it('writes JSON with its content type and documented headers', async () => {
    const res = await strict.request().get('/stages/drift?mode=ok');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-count']).toBe('3');
    expect(res.text).toBe('{"ok":true}');
  });

  it.each(['false', 'true'])('writes a raw body (stream=%s) byte for byte with its media type', async (stream) => {
    const res = await strict.request().get(`/stages/blob?stream=${stream}`).buffer(true)
      .parse((r, cb) => { const c: Buffer[] = []; r.on('data', (x: Buffer) => c.push(x)); r.on('end', () => cb(null, Buffer.concat(c))); });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.compare(res.body as Buffer, BLOB)).toBe(0);
  });

  it('writes no body for a reply without one', async () => {
    const res = await strict.request().delete('/stages/items/1').set('Authorization', 'Bearer alice');
    expect(res.status).toBe(204);
    expect(res.text ?? '').toBe('');
    expect(res.headers['content-type']).toBeUndefined();
  });
});
