import fs from 'node:fs';
import path from 'node:path';
import { discoverSpecs, parseSpecYaml, parsedSpecFile, specDir, specDocument, specHash } from '../../lib/spec/spec';

describe('parsed specs in generated/ (start-up without the YAML parser)', () => {
  test.each(discoverSpecs())('%s: the parsed form is the YAML parsed, and is the one read for that exact text', (name) => {
    const file = path.join(specDir(), `${name}.yaml`);
    const text = fs.readFileSync(file, 'utf8');
    const cached = JSON.parse(fs.readFileSync(parsedSpecFile(name), 'utf8')) as { sha256: string; doc: unknown };
    expect(cached.sha256).toBe(specHash(text));
    expect(cached.doc).toEqual(parseSpecYaml(text));
    const read = specDocument(file, text) as { info: { title: string } };
    expect(read).toEqual(cached.doc);
  });

  test('a text that differs from the one parsed into generated/ is parsed from its YAML, never read stale', () => {
    const name = discoverSpecs()[0];
    const file = path.join(specDir(), `${name}.yaml`);
    const edited = fs.readFileSync(file, 'utf8').replace(/^(\s*title:\s*).*$/m, '$1Edited title');
    const doc = specDocument(file, edited) as { info: { title: string } };
    expect(doc.info.title).toBe('Edited title');
  });

  test('a spec outside spec/ is parsed from its YAML', () => {
    const doc = specDocument('/elsewhere/x.yaml', 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths: {}\n') as { info: { title: string } };
    expect(doc.info.title).toBe('t');
  });
});
