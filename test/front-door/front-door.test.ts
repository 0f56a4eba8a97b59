/**
 * The front door over HTTP (no browser): what the landing page, the references and the specs answer, their security
 * headers, the paths it refuses to share with a service, DOCS=false, and the same pages on the sandbox and the mock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import YAML from 'yaml';
import { createApp, loadServiceDefinitions } from '../../lib/app';
import { frontDoor, frontDoorCollisions } from '../../lib/http/front-door';
import { startMock } from '../../lib/mock/server';
import { loadSpec, ServiceSpec } from '../../lib/spec';

const account = loadSpec('account');
const defs = loadServiceDefinitions(['account']);

const apps = new Map<string, Promise<ReturnType<typeof supertest>>>();
/** One app per mode (and DOCS setting), built when first asked for: building one compiles the spec's validators. */
function app(mode?: 'server' | 'sandbox') {
  const key = `${mode}:${process.env.DOCS}`;
  if (!apps.has(key)) apps.set(key, createApp({ services: defs, frontDoorMode: mode }).then((h) => supertest(h.app)));
  return apps.get(key)!;
}

/** A throw-away spec with these paths (one GET each). */
function specWith(paths: string[]): ServiceSpec {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'front-door-'));
  const file = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(file, YAML.stringify({
    openapi: '3.0.3', info: { title: 'Tiny', version: '1' },
    paths: Object.fromEntries(paths.map((p, i) => [p, { get: { operationId: `op${i}`, responses: { 200: { description: 'ok' } } } }])),
  }));
  return new ServiceSpec('tiny', file);
}

describe('front door on the server', () => {
  test('GET / lists each mounted service with product, base path, state and links; JSON on request', async () => {
    const agent = await app();
    const res = await agent.get('/').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<tr data-service="account">');
    expect(res.text).toContain('VRt.Account 6.20');
    expect(res.text).toContain('<code class="fd-base">/account</code>');
    expect(res.text).toContain('implemented, 13 operations');
    for (const href of ['/docs/account', '/specs/account.yaml', '/specs/account.json']) expect(res.text).toContain(`href="${href}"`);
    expect(res.text).toContain('data-mode="server"');
    expect(res.text).not.toContain('data-service="b2b"'); // only what is mounted

    const json = await agent.get('/').set('Accept', 'application/json').expect(200);
    expect(json.body).toEqual({
      mode: 'server',
      services: [{
        service: 'account', product: 'VRt.Account', version: '6.20', base_path: '/account', state: 'implemented', operations: 13,
        docs: '/docs/account', spec_yaml: '/specs/account.yaml', spec_json: '/specs/account.json',
      }],
    });
  });

  test('the specs are served as loaded', async () => {
    const agent = await app();
    const yaml = await agent.get('/specs/account.yaml').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(yaml.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect((yaml.body as Buffer).equals(fs.readFileSync(account.file))).toBe(true);
    const json = await agent.get('/specs/account.json').expect(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.body).toEqual(account.doc);
    await agent.get('/specs/b2b.yaml').expect(404); // not mounted
    await agent.get('/specs/account.yml').expect(404);
  });

  test('a reference page loads Swagger UI from this server under a strict CSP', async () => {
    const agent = await app();
    const res = await agent.get('/docs/account').expect(200);
    expect(res.text).toContain('data-spec="/specs/account.json"');
    const scripts = [...res.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['/docs/_assets/swagger-ui-bundle.js', '/docs/_assets/docs.js']);
    expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/https?:|\*/);
    for (const asset of scripts) {
      const a = await agent.get(asset).expect(200);
      expect(a.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(a.headers['x-content-type-options']).toBe('nosniff');
    }
    await agent.get('/docs/_assets/swagger-ui.css').expect(200).expect('Content-Type', 'text/css; charset=utf-8');
    await agent.get('/docs/nope').expect(404).expect('Content-Type', 'application/problem+json');
    await agent.get('/docs/_assets/package.json').expect(404);
    await agent.get('/docs/_assets/..%2f..%2fpackage.json').expect(404);
    await agent.get('/docs').expect(302).expect('Location', '/');
  });

  test('every answer carries nosniff; other methods are a 405 with Allow', async () => {
    const agent = await app();
    for (const p of ['/', '/docs/account', '/specs/account.json', '/docs/_assets/docs.js', '/docs/nope']) {
      const res = await agent.get(p);
      expect([p, res.headers['x-content-type-options']]).toEqual([p, 'nosniff']);
    }
    const res = await agent.post('/').send({}).expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    const head = await agent.head('/docs/account').expect(200);
    expect(head.text ?? '').toBe('');
  });

  test('the sandbox says it is the sandbox', async () => {
    const res = await (await app('sandbox')).get('/').expect(200);
    expect(res.text).toContain('data-mode="sandbox"');
    expect(res.text).toContain('implemented, demo data, 13 operations');
  });

  test('DOCS=false: no front door, the paths fall through to the services', async () => {
    const before = process.env.DOCS;
    process.env.DOCS = 'false';
    try {
      const agent = await app();
      for (const p of ['/', '/docs/account', '/specs/account.yaml']) {
        const res = await agent.get(p);
        expect([p, res.status]).toEqual([p, 404]);
        expect(res.text).not.toContain('Swagger');
        expect(res.headers['content-type']).not.toMatch(/yaml|html/);
      }
    } finally {
      if (before === undefined) delete process.env.DOCS;
      else process.env.DOCS = before;
    }
  });
});

describe('front door paths belong to no service', () => {
  test.each([
    ['/'], ['/docs'], ['/docs/{page}'], ['/specs/{file}'], ['/{a}'], ['/{a}/{b}'], ['/docs/_assets/{file}'],
  ])('a spec path %s is refused', (p) => {
    const spec = specWith([p]);
    expect(frontDoorCollisions(spec)).toEqual([p]);
    expect(() => frontDoor({ specs: [spec], mode: 'server' })).toThrow(`service "tiny": ${p} belong to the front door`);
  });

  test.each([['/tiny'], ['/tiny/docs'], ['/{tenant}/things'], ['/documents'], ['/api/specs/{x}']])('a spec path %s is left alone', (p) => {
    expect(frontDoorCollisions(specWith([p]))).toEqual([]);
  });
});

describe('front door on the mock', () => {
  jest.setTimeout(60_000);

  test('the mock serves the same pages, saying it is the mock; with docs off its router answers', async () => {
    const mock = await startMock({ port: 0, services: ['account'] });
    try {
      const landing = await fetch(`${mock.url}/`);
      expect(landing.status).toBe(200);
      expect(landing.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await landing.text();
      expect(text).toContain('data-mode="mock"');
      expect(text).toContain('mocked, 13 operations');
      const docs = await fetch(`${mock.url}/docs/account`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await (await fetch(`${mock.url}/specs/account.json`)).json()).toEqual(account.doc);
      // the services still answer through Prism
      expect((await fetch(`${mock.url}/account/system/version`)).status).toBe(200);
    } finally {
      await mock.stop();
    }
    const bare = await startMock({ port: 0, services: ['account'], docs: false });
    try {
      const res = await fetch(`${bare.url}/`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    } finally {
      await bare.stop();
    }
  });
});
