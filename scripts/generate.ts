/**
 * Regenerates everything derived from spec/: generated/<service>.ts (openapi-typescript), generated/<service>.spec.json
 * (the parsed spec the server starts from) and each service's HTML
 * reference docs/<service>/<service>_en.html (Redocly). With --check, writes nothing and fails when anything is stale.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../lib/config';
import { discoverServices, specPath } from '../lib/app';
import { parseSpecYaml, specHash } from '../lib/spec/spec';

const check = process.argv.includes('--check');
const bin = (name: string) => path.join(projectRoot, 'node_modules', '.bin', name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'generate-'));
const stale: string[] = [];

function emit(target: string, produce: (out: string) => void) {
  const out = path.join(tmp, path.basename(target));
  produce(out);
  const next = fs.readFileSync(out);
  const abs = path.join(projectRoot, target);
  const same = fs.existsSync(abs) && fs.readFileSync(abs).equals(next);
  if (same) return;
  if (check) stale.push(target);
  else {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, next);
    console.log(`wrote ${target}`);
  }
}

/**
 * The reference as a page that needs nothing from another host: Redocly renders it on the server, so the page reads
 * without scripts; its scripts (the renderer loaded from a CDN) are removed, and the interactive reference is the
 * front door's /docs/<service>, served from this server. Services answer the file with a CSP that allows no script.
 */
function selfContained(html: string, name: string): string {
  const out = html
    .replace(/<link rel="modulepreload"[^>]*>\s*/g, '')
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>\s*/g, '')
    .replace('<body>', `<body><p style="font-family:sans-serif;margin:8px 16px">Interactive reference: <a href="/docs/${name}">/docs/${name}</a></p>`);
  if (/https?:\/\/(?!www\.w3\.org)[^"'\s]*\.(js|css)\b/.test(out)) throw new Error(`docs/${name}: the page still loads a resource from another host`);
  return out;
}

for (const name of discoverServices()) {
  // the parsed form the server starts from (lib/spec/spec.ts specDocument), with the hash of the text it came from
  emit(`generated/${name}.spec.json`, (out) => {
    const text = fs.readFileSync(specPath(name), 'utf8');
    fs.writeFileSync(out, `${JSON.stringify({ sha256: specHash(text), doc: parseSpecYaml(text) })}\n`);
  });
  emit(`generated/${name}.ts`, (out) =>
    execFileSync(bin('openapi-typescript'), [specPath(name), '-o', out, '--alphabetize', '--default-non-nullable', 'false'], { stdio: 'pipe' }));
  emit(`docs/${name}/${name}_en.html`, (out) => {
    execFileSync(bin('redocly'), ['build-docs', specPath(name), '-o', out, '--config', path.join(projectRoot, 'redocly.yaml')], { stdio: 'pipe' });
    fs.writeFileSync(out, selfContained(fs.readFileSync(out, 'utf8'), name));
  });
}
fs.rmSync(tmp, { recursive: true, force: true });
if (stale.length) {
  console.error(`stale generated files (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
if (check) console.log('generated files are up to date');
