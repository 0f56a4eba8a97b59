/**
 * Example fixtures for the operations the router answers itself, in fixtures/mock/<service>/:
 *   <operationId>.<ext>          one body per media type (read_data.xlsx, read_data.json), for any path parameters;
 *   <operationId>/<name>         one body per value of the operation's last path parameter (file/account_en.html);
 *                                any other value answers the operation's documented 404.
 * A fixture fits a declared media type by its extension; application/octet-stream takes any non-JSON fixture.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config';
import { isJsonMedia } from '../spec';

export const fixturesRoot = () => path.join(projectRoot, 'fixtures', 'mock');

const EXT_TYPES: Record<string, string> = {
  json: 'application/json',
  html: 'text/html',
  htm: 'text/html',
  txt: 'text/plain',
  csv: 'text/csv',
  md: 'text/markdown',
  xml: 'application/xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  bin: 'application/octet-stream',
};

export interface Fixture {
  file: string;
  name: string;
  /** the media type its extension stands for */
  naturalType: string;
}

const base = (m: string) => m.split(';')[0].trim().toLowerCase();

/** How well a fixture fits a declared media type: 2 exact, 1 acceptable, 0 not at all. */
export function fit(fixture: Fixture, declared: string): number {
  const d = base(declared);
  const n = fixture.naturalType;
  if (d === n) return 2;
  if (d === '*/*') return 1;
  if (d.endsWith('/*') && n.startsWith(d.slice(0, -1))) return 1;
  if (d === 'application/octet-stream' && !isJsonMedia(n)) return 1;
  if (d.startsWith('text/') && n.startsWith('text/')) return 1; // text is text: an HTML page may be sent as text/plain
  if (isJsonMedia(d) && isJsonMedia(n)) return 1;
  return 0;
}

function fixtureOf(file: string): Fixture {
  const ext = path.extname(file).slice(1).toLowerCase();
  return { file, name: path.basename(file), naturalType: EXT_TYPES[ext] ?? 'application/octet-stream' };
}

export interface OperationFixtures {
  /** fixtures keyed by the last path parameter's value, when the operation has such a folder */
  byName?: Map<string, Fixture>;
  /** fixtures for any parameters */
  any: Fixture[];
}

export function operationFixtures(service: string, operationId: string, root = fixturesRoot()): OperationFixtures {
  const dir = path.join(root, service);
  const out: OperationFixtures = { any: [] };
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name === operationId) {
      out.byName = new Map(fs.readdirSync(full, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => [e.name, fixtureOf(path.join(full, e.name))]));
    } else if (entry.isFile() && path.parse(entry.name).name === operationId) {
      out.any.push(fixtureOf(full));
    }
  }
  return out;
}
