/** GET /account/file/{filename} (spec/account.yaml · file) — this service's documentation from docs/account/, nothing else. */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../lib/config';
import { notFound } from '../../lib/errors';
import { openHandler } from './_context';

const DOCS = path.join(projectRoot, 'docs', 'account');
/** the page is self-contained and scriptless (scripts/generate.ts): nothing else may run or load */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export default openHandler('file', async ({ path: { filename } }) => {
  // only plain names of files that exist in the docs folder: no separators, no dot-dot, no hidden files
  const safe = /^[\w-][\w.-]*\.html$/.test(filename) && !filename.includes('..');
  const file = path.join(DOCS, filename);
  if (!safe || path.dirname(file) !== DOCS || !fs.existsSync(file)) throw notFound('file', filename);
  return {
    status: 200,
    headers: { 'Content-Security-Policy': CSP },
    body: { raw: await fs.promises.readFile(file), contentType: 'text/html; charset=utf-8' },
  };
});
