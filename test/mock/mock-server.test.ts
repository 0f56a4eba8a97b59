/**
 * `npm run mock` as a user runs it (tsx scripts/mock.ts on a free port): every operation of every spec answers a
 * request built from the spec with a documented status, content type and body; the router's own operations answer
 * their fixtures, 401 without credentials and the documented 404 for an unknown file; Prefer headers reach Prism;
 * SIGTERM leaves no Prism behind, and a Prism that dies takes the mock down.
 */
import fs from 'node:fs';
import { pidAlive } from '../../lib/embedded-pg';
import { fit, operationFixtures } from '../../lib/mock/fixtures';
import { discoverSpecs, isJsonMedia, ServiceSpec, type OperationInfo, type ResponseInfo } from '../../lib/spec';
import { explain } from '../../lib/spec-schemas';
import { runScript, type Script } from './_process';
import { buildRequest } from './_requests';

const specs = discoverSpecs().map((n) => ServiceSpec.load(n));
const baseType = (ct: string | null) => String(ct ?? '').split(';')[0].trim().toLowerCase();

interface Answer { status: number; contentType: string; bytes: Buffer; headers: Headers }

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: baseType(res.headers.get('content-type')), bytes, headers: res.headers };
}

/** What is wrong with an answer according to the spec (empty when it conforms). */
function conformance(spec: ServiceSpec, op: OperationInfo, a: Answer): string[] {
  const response: ResponseInfo | undefined = op.responses.find((r) => r.status === String(a.status)) ?? op.responses.find((r) => r.status === 'default');
  if (!response) return [`status ${a.status} is not documented (${a.bytes.toString('utf8').slice(0, 300)})`];
  if (!response.content.length) return a.bytes.length ? ['body on a response documented without content'] : [];
  const media = response.content.find((m) => fit({ file: '', name: '', naturalType: a.contentType }, m.mediaType) === 2)
    ?? response.content.find((m) => baseType(m.mediaType) === a.contentType);
  if (!media) return [`${a.status}: content type ${a.contentType} not in ${response.content.map((m) => m.mediaType).join(', ')}`];
  if (isJsonMedia(a.contentType)) {
    let body: unknown;
    try {
      body = JSON.parse(a.bytes.toString('utf8'));
    } catch {
      return [`${a.status}: body is not JSON`];
    }
    if (media.schemaPointer) {
      const validate = spec.validator(media.schemaPointer);
      if (!validate(body)) return [`${a.status}: body off schema: ${explain(validate.errors)}`];
    }
  } else if (!a.bytes.length) {
    return [`${a.status}: empty ${a.contentType} body`];
  }
  return [];
}

const prismPids = (out: string) => [...out.matchAll(/prism pid (\d+)/g)].map((m) => Number(m[1]));

describe('npm run mock', () => {
  it('answers every operation of every spec on one port, honours Prefer and stops its Prism children', async () => {
    const mock: Script = runScript('scripts/mock.ts', ['--quiet'], { PORT: '0', SERVICES: '', MOCK_DYNAMIC: '' });
    let pids: number[] = [];
    try {
      const [, base] = await mock.line(/listening on (http:\/\/\S+)/);
      pids = prismPids(mock.output());
      expect(pids).toHaveLength(specs.length);
      expect(mock.output()).toMatch(/static examples/);

      const failures: string[] = [];
      const byRouter: string[] = [];
      for (const spec of specs) {
        for (const op of spec.operations()) {
          const where = `${spec.name}.${op.operationId}`;
          const { url, init } = buildRequest(spec, op, base);
          const a = await send(url, init);
          if (!/^2/.test(String(a.status))) failures.push(`${where}: request built from the spec answered ${a.status}: ${a.bytes.toString('utf8').slice(0, 300)}`);
          failures.push(...conformance(spec, op, a).map((p) => `${where}: ${p}`));
          if (!op.routerReason) continue;

          // the router's own operations: the fixture's bytes, each declared media type on request, auth, unknown names
          byRouter.push(where);
          const fx = operationFixtures(spec.name, op.operationId);
          const pool = [...fx.any, ...(fx.byName?.values() ?? [])];
          if (!isJsonMedia(a.contentType) && !pool.some((f) => fs.readFileSync(f.file).equals(a.bytes))) failures.push(`${where}: answer is not a fixture's bytes`);
          const success = op.responses.find((r) => r.status === String(a.status))!;
          const disposition = success.headers.some((h) => h.name.toLowerCase() === 'content-disposition');
          if (disposition && !/^attachment; filename="[^"]+"$/.test(a.headers.get('content-disposition') ?? '')) failures.push(`${where}: no Content-Disposition`);
          for (const m of success.content) {
            const each = await send(url, { ...init, headers: { ...init.headers, Accept: m.mediaType } });
            if (each.status !== a.status || each.contentType !== baseType(m.mediaType)) failures.push(`${where}: Accept ${m.mediaType} answered ${each.status} ${each.contentType}`);
            failures.push(...conformance(spec, op, each).map((p) => `${where} (Accept ${m.mediaType}): ${p}`));
          }
          const forced = op.responses.find((r) => /^4/.test(r.status) && r.status !== '401');
          if (forced) {
            const f = await send(url, { ...init, headers: { ...init.headers, Prefer: `code=${forced.status}` } });
            if (String(f.status) !== forced.status) failures.push(`${where}: Prefer code=${forced.status} answered ${f.status}`);
            failures.push(...conformance(spec, op, f).map((p) => `${where} (Prefer code=${forced.status}): ${p}`));
          }
          if (ServiceSpec.secured(op)) {
            const anon = await send(buildRequest(spec, op, base, { auth: false }).url, { method: init.method });
            if (anon.status !== 401) failures.push(`${where}: without credentials answered ${anon.status}, not 401`);
            failures.push(...conformance(spec, op, anon).map((p) => `${where} (no credentials): ${p}`));
          }
          if (fx.byName) {
            const last = op.parameters.filter((p) => p.in === 'path').pop()!;
            const unknown = await send(url.replace(encodeURIComponent(String(last.examples[0]?.value)), 'no-such-fixture.html'), init);
            const documented = op.responses.find((r) => r.status === '404')?.content[0]?.examples[0]?.value;
            if (unknown.status !== 404) failures.push(`${where}: unknown ${last.name} answered ${unknown.status}, not 404`);
            else if (documented !== undefined && JSON.stringify(JSON.parse(unknown.bytes.toString('utf8'))) !== JSON.stringify(documented)) {
              failures.push(`${where}: unknown ${last.name} did not answer the documented 404 example`);
            }
          }
        }

        // Prefer passes through to Prism untouched: a secured operation Prism serves answers 401 on request
        const prismOp = spec.operations().find((o) => !o.routerReason && ServiceSpec.secured(o) && o.responses.some((r) => r.status === '401'));
        if (prismOp) {
          const { url, init } = buildRequest(spec, prismOp, base);
          const a = await send(url, { ...init, headers: { ...init.headers, Prefer: 'code=401' } });
          if (a.status !== 401) failures.push(`${spec.name}.${prismOp.operationId}: Prefer code=401 answered ${a.status}`);
          failures.push(...conformance(spec, prismOp, a).map((p) => `${spec.name}.${prismOp.operationId} (Prefer code=401): ${p}`));
        }
      }
      expect(failures).toEqual([]);
      expect(byRouter.length).toBeGreaterThan(0);

      const unknown = await send(`${base}/no-such-service/anything`);
      expect(unknown.status).toBe(404);
      expect(unknown.contentType).toBe('application/problem+json');

      mock.child.kill('SIGTERM');
      expect(await mock.exit).toEqual({ code: 0, signal: null });
      expect(pids.filter(pidAlive)).toEqual([]);
    } finally {
      mock.kill();
    }
  });

  it('serves dynamic data with --dynamic, and goes down with a clear message when a Prism child dies', async () => {
    const mock = runScript('scripts/mock.ts', ['--dynamic', '--seed', '7', '--quiet'], { PORT: '0', SERVICES: '' });
    try {
      const [, base] = await mock.line(/listening on (http:\/\/\S+)/);
      expect(mock.output()).toMatch(/dynamic data/);
      const pids = prismPids(mock.output());
      const spec = specs[0];
      const op = spec.operations().find((o) => !o.routerReason && o.method === 'get' && o.responses.some((r) => r.status === '200' && r.content.length))!;
      const { url, init } = buildRequest(spec, op, base);
      const a = await send(url, init);
      expect({ status: a.status, problems: conformance(spec, op, a) }).toEqual({ status: 200, problems: [] });

      process.kill(pids[0], 'SIGKILL');
      expect(await mock.exit).toEqual({ code: 1, signal: null });
      expect(mock.output()).toMatch(new RegExp(`Prism for ${spec.name} \\(pid ${pids[0]}\\) exited unexpectedly`));
      expect(pids.filter(pidAlive)).toEqual([]);
    } finally {
      mock.kill();
    }
  });
});
