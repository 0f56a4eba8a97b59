/**
 * Stage 4, authenticate (lib/http/authenticate.ts): the operation's requirements tried in order (OR of ANDs), an empty
 * requirement making credentials optional, the strategy's own ApiError rendered, the principal handed on.
 */
import { buildApp, type StagesApp } from './_app';

let t: StagesApp;
beforeAll(async () => { t = await buildApp(); });
beforeEach(() => { t.calls.length = 0; t.rendered.length = 0; });

const put = (headers: Record<string, string>, body: unknown = { name: 'x' }) => {
  let r = t.request().put('/stages/items/1').set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
  return r.send(JSON.stringify(body));
};

describe('requirements are alternatives', () => {
  it('the first requirement satisfies', async () => {
    const res = await put({ Authorization: 'Bearer alice' });
    expect(res.status).toBe(200);
    expect(res.body.principal).toEqual({ name: 'alice', tenant: 't_alice' });
  });

  it('the second requirement satisfies when the first fails', async () => {
    const attempts: Record<string, string>[] = [{ 'X-Api-Key': 'k-carol' }, { 'X-Api-Key': 'k-carol', Authorization: 'Bearer nobody' }];
    for (const headers of attempts) {
      const res = await put(headers);
      expect(res.status).toBe(200);
      expect(res.body.principal).toEqual({ name: 'carol', tenant: 't_carol' });
    }
  });

  it('when none satisfies, the first failing strategy\'s own error is rendered', async () => {
    const missing = await put({});
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual(expect.objectContaining({ kind: 'unauthorized', message: 'bearer token missing', principal: null }));
    const revoked = await put({ Authorization: 'Bearer revoked', 'X-Api-Key': 'wrong' });
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toBe('token revoked');
    expect(revoked.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(t.rendered.map((r) => r.kind)).toEqual(['unauthorized', 'unauthorized']);
    expect(t.calls).toEqual([]);
  });

  it('a strategy\'s fault (not a refusal) is a 500 that tells nothing', async () => {
    const res = await put({ Authorization: 'Bearer boom' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual(expect.objectContaining({ kind: 'internal', message: 'Internal server error' }));
    expect(JSON.stringify(res.body)).not.toContain('token store');
  });
});

describe('an empty requirement makes credentials optional', () => {
  it('answers without credentials, with no principal', async () => {
    const res = await t.request().get('/stages/items');
    expect(res.status).toBe(200);
    expect(res.body.principal).toBeNull();
    expect(t.calls[0].ctx.principal).toBeUndefined();
  });

  it('uses credentials that are given', async () => {
    const res = await t.request().get('/stages/items').set('Authorization', 'Bearer bob');
    expect(res.body.principal).toEqual({ name: 'bob', tenant: 't_bob' });
  });

  it('serves anonymously when the given credentials fail', async () => {
    const res = await t.request().get('/stages/items').set('Authorization', 'Bearer revoked');
    expect(res.status).toBe(200);
    expect(res.body.principal).toBeNull();
  });
});

describe('the principal', () => {
  it('reaches the handler\'s context', async () => {
    await put({ Authorization: 'Bearer bob' });
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0].ctx.principal).toEqual({ name: 'bob', tenant: 't_bob' });
  });

  it('reaches the error renderer of a later failure (ErrorInfo.principal)', async () => {
    const res = await put({ Authorization: 'Bearer bob' }, { name: 'x', unknown: 1 });
    expect(res.status).toBe(400);
    expect(res.body.principal).toBe('bob');
    expect(t.rendered[0].info).toEqual(expect.objectContaining({ operationId: 'update_item', principal: { name: 'bob', tenant: 't_bob' }, method: 'PUT', path: '/stages/items/1' }));
  });

  it('is absent from the renderer when authentication failed', async () => {
    await put({ Authorization: 'Bearer nobody' });
    expect(t.rendered[0].info.principal).toBeUndefined();
  });
});
