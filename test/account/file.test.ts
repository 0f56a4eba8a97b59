/** GET /account/file/{filename} */
import fs from 'node:fs';
import path from 'node:path';
import { accountHarness, type Harness } from './_fixtures';

let h: Harness;
beforeAll(async () => { h = await accountHarness(); });
afterAll(async () => { await h.close(); });

const root = path.join(__dirname, '..', '..');
const packageJson = fs.readFileSync(path.join(root, 'package.json'), 'utf8');

/** what a traversal must never answer: any byte of a file outside docs/account */
function expectNoLeak(res: { raw: Buffer }) {
  const text = res.raw.toString('utf8');
  expect(text).not.toContain('"devDependencies"');
  expect(text).not.toContain('root:x:0:0');
  expect(text).not.toContain('compilerOptions');
  expect(text).not.toMatch(/<html/i);
}

describe('file', () => {
  it('answers the English documentation as HTML, without credentials', async () => {
    const res = await h.call('get', '/account/file/account_en.html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.raw.toString('utf8')).toMatch(/<html/i);
    expect(res.raw.equals(fs.readFileSync(path.join(root, 'docs', 'account', 'account_en.html')))).toBe(true);
  });

  it.each(['text/html', 'text/plain', 'text/html, text/plain, application/json', '*/*'])('answers HTML to Accept: %s', async (accept) => {
    const res = await h.call('get', '/account/file/account_en.html', { headers: { Accept: accept } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.raw.toString('utf8')).toMatch(/<html/i);
  });

  it('answers 406 to a client that accepts none of the declared types', async () => {
    const res = await h.call('get', '/account/file/account_en.html', { headers: { Accept: 'application/pdf' } });
    expect(res.status).toBe(406);
    expect(res.body.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT', operation: 'file' }));
    expectNoLeak(res);
  });

  it.each(['account_de.html', 'account_en.htm', 'ACCOUNT_EN.HTML', 'account_en.html.bak', 'nothing_here.txt'])('answers 404 with not_found_error for the unknown file %s', async (name) => {
    const res = await h.call('get', `/account/file/${encodeURIComponent(name)}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ resource_id: name, detail: { tracedata: expect.objectContaining({ service: 'ACCOUNT', operation: 'file', client: 'anonymous' }) } });
  });

  it.each([
    '..%2Fpackage.json',
    '%2E%2E%2Fpackage.json',
    '..%2F..%2Fetc%2Fpasswd',
    '%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '..%5Cpackage.json',
    '%252E%252E%252Fpackage.json',
    '..%2Fdocs%2Faccount%2Faccount_en.html',
    '%2Fetc%2Fpasswd',
    '.hidden.html',
    '..account_en.html',
    'account_en.html%00.txt',
    '..%2Ftsconfig.json',
  ])('never serves a file outside the documentation: %s', async (name) => {
    const res = await h.call('get', `/account/file/${name}`);
    expect(res.status).toBe(404);
    expect(res.body.detail.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT' }));
    expectNoLeak(res);
    expect(res.raw.toString('utf8')).not.toContain(packageJson.slice(0, 40));
  });

  it.each(['../../etc/passwd', '../package.json', 'x/../../package.json'])('answers 404 for the unencoded path %s', async (name) => {
    const res = await h.call('get', `/account/file/${name}`);
    expect(res.status).toBe(404);
    expectNoLeak(res);
  });

  it.each(['a.htm', 'x', '%2E%2E%2F', '..%2F'])('answers 404 for a name under 6 characters: %s', async (name) => {
    const res = await h.call('get', `/account/file/${name}`);
    expect(res.status).toBe(404);
    expect(res.body.detail.tracedata).toEqual(expect.objectContaining({ service: 'ACCOUNT', operation: 'file' }));
    expectNoLeak(res);
  });

  it('answers 404 for a name over 128 characters', async () => {
    const res = await h.call('get', `/account/file/${'a'.repeat(124)}.html`);
    expect(res.status).toBe(404);
    expect(res.body.detail.tracedata).toEqual(expect.objectContaining({ operation: 'file' }));
  });
});
