/**
 * The mock negotiates Accept like the server: the success body whenever Accept names anything the operation produces
 * at any status (generated clients send `Accept: application/json` on every call, binary ones included), the best
 * acceptable success type when several are acceptable, and 406 (the documented example, before credentials are looked
 * at) only when Accept names nothing the operation produces. Both for the operations the router answers from fixtures
 * and for the JSON operations Prism answers, including a spec whose errors are application/problem+json, where Prism
 * alone would refuse an Accept that names only the error type.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { operationFixtures } from '../../lib/mock/fixtures';
import { startMock, type RunningMock } from '../../lib/mock/server';
import { loadSpec, ServiceSpec, type OperationInfo } from '../../lib/spec';
import { buildRequest } from './_requests';

const account = loadSpec('account');
const baseType = (ct: string | null) => String(ct ?? '').split(';')[0].trim().toLowerCase();

interface Answer { status: number; contentType: string; bytes: Buffer }

function op(spec: ServiceSpec, operationId: string): OperationInfo {
  const found = spec.operation(operationId);
  if (!found) throw new Error(`no ${operationId} in ${spec.name}`);
  return found;
}

/** A request built from the spec (credentials included unless `auth: false`), with this Accept. */
async function ask(mock: RunningMock, spec: ServiceSpec, operationId: string, accept: string | undefined, opts: { auth?: boolean } = {}): Promise<Answer> {
  const { url, init } = buildRequest(spec, op(spec, operationId), mock.url, opts);
  const headers = { ...init.headers };
  if (accept !== undefined) headers.Accept = accept;
  const res = await fetch(url, { ...init, headers });
  return { status: res.status, contentType: baseType(res.headers.get('content-type')), bytes: Buffer.from(await res.arrayBuffer()) };
}

const fixture = (operationId: string, name: string) => {
  const fx = operationFixtures('account', operationId);
  const f = [...fx.any, ...(fx.byName?.values() ?? [])].find((x) => x.name === name);
  if (!f) throw new Error(`no fixture ${name} for ${operationId}`);
  return fs.readFileSync(f.file);
};

/** The documented example of a status of an operation, as the bytes the mock sends (JSON). */
function documented(spec: ServiceSpec, operationId: string, status: number): { contentType: string; body: unknown } {
  const media = ServiceSpec.responseFor(op(spec, operationId), status)?.content[0];
  if (!media) throw new Error(`${operationId} documents no ${status} body`);
  return { contentType: media.mediaType, body: media.examples[0]?.value };
}

const json = (a: Answer) => JSON.parse(a.bytes.toString('utf8'));

describe('mock: Accept negotiation', () => {
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({ port: 0, services: ['account'] });
  }, 60_000);
  afterAll(async () => {
    await mock?.stop();
  });

  describe('operations the router answers from fixtures', () => {
    it.each([
      ['read_report', 'application/octet-stream', 'read_report.xlsx'],
      ['read_data', 'application/json', 'read_data.json'],
      ['file', 'text/html', 'account_en.html'],
    ])('%s: a generated client\'s Accept: application/json gets the success body (%s, %s)', async (operationId, contentType, name) => {
      const a = await ask(mock, account, operationId, 'application/json');
      expect({ status: a.status, contentType: a.contentType }).toEqual({ status: 200, contentType });
      expect(a.bytes.equals(fixture(operationId, name))).toBe(true);
    });

    it.each(['read_report', 'read_data', 'file'])('%s: Accept naming nothing it produces (text/csv) answers the documented 406', async (operationId) => {
      const a = await ask(mock, account, operationId, 'text/csv');
      const doc = documented(account, operationId, 406);
      expect({ status: a.status, contentType: a.contentType, body: json(a) }).toEqual({ status: 406, contentType: doc.contentType, body: doc.body });
    });

    it('406 comes before the credential check, as on the server', async () => {
      const a = await ask(mock, account, 'read_report', 'text/csv', { auth: false });
      expect(a.status).toBe(406);
      const anon = await ask(mock, account, 'read_report', 'application/json', { auth: false });
      expect(anon.status).toBe(401);
    });

    it('several acceptable success types: the best one by q; on a tie the client\'s order, then the spec\'s', async () => {
      const xlsx = await ask(mock, account, 'read_data', 'application/json;q=0.5, application/octet-stream');
      expect({ status: xlsx.status, contentType: xlsx.contentType }).toEqual({ status: 200, contentType: 'application/octet-stream' });
      expect(xlsx.bytes.equals(fixture('read_data', 'read_data.xlsx'))).toBe(true);

      const jsonFirst = await ask(mock, account, 'read_data', 'application/octet-stream;q=0.2, application/json;q=0.9');
      expect({ status: jsonFirst.status, contentType: jsonFirst.contentType }).toEqual({ status: 200, contentType: 'application/json' });

      const plain = await ask(mock, account, 'file', 'text/html;q=0.1, text/plain, application/json');
      expect({ status: plain.status, contentType: plain.contentType }).toEqual({ status: 200, contentType: 'text/plain' });
      expect(plain.bytes.equals(fixture('file', 'account_en.html'))).toBe(true);

      const wildcard = await ask(mock, account, 'file', 'text/*');
      expect({ status: wildcard.status, contentType: wildcard.contentType }).toEqual({ status: 200, contentType: 'text/html' });

      const clientOrder = await ask(mock, account, 'read_data', 'application/json, application/octet-stream');
      expect({ status: clientOrder.status, contentType: clientOrder.contentType }).toEqual({ status: 200, contentType: 'application/json' });
      const specOrder = await ask(mock, account, 'read_data', '*/*');
      expect({ status: specOrder.status, contentType: specOrder.contentType }).toEqual({ status: 200, contentType: 'application/octet-stream' });
    });

    it('media-type parameters do not take part (charset, version)', async () => {
      const a = await ask(mock, account, 'read_report', 'application/json; charset=utf-8');
      expect({ status: a.status, contentType: a.contentType }).toEqual({ status: 200, contentType: 'application/octet-stream' });
    });
  });

  describe('JSON operations Prism answers', () => {
    it('Accept: application/json (also with a charset) answers 200 with the documented example', async () => {
      const doc = documented(account, 'read_info', 200);
      for (const accept of ['application/json', 'application/json; charset=utf-8', 'text/csv, application/json;q=0.1']) {
        const a = await ask(mock, account, 'read_info', accept);
        expect({ accept, status: a.status, contentType: a.contentType, body: json(a) }).toEqual({ accept, status: 200, contentType: 'application/json', body: doc.body });
      }
    });

    it('Accept naming nothing it produces (text/csv) answers the documented 406, not Prism\'s own problem', async () => {
      const a = await ask(mock, account, 'read_info', 'text/csv');
      const doc = documented(account, 'read_info', 406);
      expect({ status: a.status, contentType: a.contentType, body: json(a) }).toEqual({ status: 406, contentType: doc.contentType, body: doc.body });
    });
  });
});

describe('mock: Accept naming only an error type on a Prism operation', () => {
  // a spec whose errors are application/problem+json: a client that accepts only that still gets the JSON success
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-negotiation-'));
  fs.chmodSync(dir, 0o755);
  const problem = { type: 'about:blank', title: 'Not Acceptable', status: 406 };
  fs.writeFileSync(path.join(dir, 'neg.yaml'), YAML.stringify({
    openapi: '3.0.3',
    info: { title: 'negotiation', version: '1' },
    paths: {
      '/neg/thing': {
        get: {
          operationId: 'read_thing',
          responses: {
            200: { description: 'ok', content: { 'application/json': { schema: { type: 'object' }, example: { thing: 1 } } } },
            400: { description: 'bad', content: { 'application/problem+json': { schema: { type: 'object' }, example: { ...problem, status: 400, title: 'Bad Request' } } } },
            406: { description: 'no', content: { 'application/problem+json': { schema: { type: 'object' }, example: problem } } },
          },
        },
      },
    },
  }));
  const neg = ServiceSpec.load('neg', dir);
  let mock: RunningMock;
  beforeAll(async () => {
    mock = await startMock({ port: 0, services: ['neg'], specDir: dir });
  }, 60_000);
  afterAll(async () => {
    await mock?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Accept: application/problem+json answers the 200 JSON success; text/csv the documented 406', async () => {
    const a = await ask(mock, neg, 'read_thing', 'application/problem+json');
    expect({ status: a.status, contentType: a.contentType, body: json(a) }).toEqual({ status: 200, contentType: 'application/json', body: { thing: 1 } });
    // Prefer: code= still reaches Prism, in the forced response's own media type whatever Accept named
    for (const accept of ['application/problem+json', 'application/json']) {
      const forced = await fetch(`${mock.url}/neg/thing`, { headers: { Accept: accept, Prefer: 'code=400' } });
      expect({ accept, status: forced.status, contentType: baseType(forced.headers.get('content-type')), body: await forced.json() })
        .toEqual({ accept, status: 400, contentType: 'application/problem+json', body: { ...problem, status: 400, title: 'Bad Request' } });
    }
    const refused = await ask(mock, neg, 'read_thing', 'text/csv');
    expect({ status: refused.status, contentType: refused.contentType, body: json(refused) }).toEqual({ status: 406, contentType: 'application/problem+json', body: problem });
  });
});
