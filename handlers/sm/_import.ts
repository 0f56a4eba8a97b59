/**
 * The CI registry import: JSON (an array of {id, name, type, labels, parents}) or CSV (columns id, name, type,
 * parents as `1;2`, labels as `k=v;k2=v2`), applied whole or not at all. A CI named in the file gets exactly the file's
 * name, type, labels and parents; CIs not named are kept. A parent must be in the file or already known; a cycle is
 * refused with the path that closes it. Afterwards the rights with descendants and the current modes' effective sets
 * follow the new graph.
 */
import { savepoint } from '../../lib/db/unit-of-work';
import { smDb } from '../../models/sm';
import { findCycle, refreshAfterGraphChange } from './_graph';
import { exec, select } from './_sql';

export class ImportError extends Error {}

export interface CiRecord { id: number; name: string; type: string; labels: Record<string, string>; parents: number[]; where: string }

const isId = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function idOf(v: unknown, where: string, what: string): number {
  const n = typeof v === 'string' && /^[0-9]+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (!isId(n)) throw new ImportError(`${where}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return n as number;
}

function labelsOf(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ImportError(`${where}: labels must be an object of strings`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw new ImportError(`${where}: label ${k} must be a string`);
  return v as Record<string, string>;
}

export function parseJson(text: string): CiRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ImportError(`not JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { cis?: unknown })?.cis;
  if (!Array.isArray(list)) throw new ImportError('expected an array of CIs (or {"cis": [...]})');
  return list.map((item, i) => {
    const where = `item ${i + 1}`;
    if (!item || typeof item !== 'object') throw new ImportError(`${where}: not an object`);
    const o = item as Record<string, unknown>;
    const parents = o.parents === undefined ? [] : o.parents;
    if (!Array.isArray(parents)) throw new ImportError(`${where}: parents must be an array of CI ids`);
    return {
      id: idOf(o.id, where, 'id'), name: String(o.name ?? ''), type: String(o.type ?? ''), labels: labelsOf(o.labels, where),
      parents: parents.map((p) => idOf(p, where, 'a parent')), where,
    };
  });
}

/** RFC 4180 rows (quoted fields with "" escapes, CRLF or LF). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new ImportError('CSV: a quoted field is not closed');
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export function parseCsv(text: string): CiRecord[] {
  const [head, ...rows] = csvRows(text.replace(/^\uFEFF/, ''));
  if (!head) throw new ImportError('CSV: empty file');
  const cols = head.map((h) => h.trim().toLowerCase());
  if (!cols.includes('id')) throw new ImportError('CSV: the header must name an id column');
  const col = (r: string[], name: string) => (cols.includes(name) ? r[cols.indexOf(name)] ?? '' : '');
  return rows.map((r, i) => {
    const where = `line ${i + 2}`;
    const labels: Record<string, string> = {};
    for (const pair of col(r, 'labels').split(';').filter((s) => s.trim())) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new ImportError(`${where}: a label must be key=value, got "${pair}"`);
      labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return {
      id: idOf(col(r, 'id'), where, 'id'), name: col(r, 'name'), type: col(r, 'type'), labels,
      parents: col(r, 'parents').split(/[;|]/).filter((s) => s.trim()).map((p) => idOf(p, where, 'a parent')), where,
    };
  });
}

export async function importCis(workspace: string, records: CiRecord[]): Promise<{ cis: number; created: number; edges: number; refreshed: { users: number; modes: number } }> {
  const seen = new Map<number, string>();
  for (const r of records) {
    if (seen.has(r.id)) throw new ImportError(`${r.where}: CI ${r.id} is also at ${seen.get(r.id)}`);
    seen.set(r.id, r.where);
    if (r.parents.includes(r.id)) throw new ImportError(`${r.where}: CI ${r.id} cannot be its own parent (cycle ${r.id} -> ${r.id})`);
  }
  return savepoint(smDb(), async () => {
    await exec('SELECT pg_advisory_xact_lock(hashtext($1))', [`sm.graph:${workspace}`]);
    const ids = records.map((r) => r.id);
    const known = new Set((await select<{ id: string }>('SELECT id FROM sm.cis WHERE workspace = $1 AND id = ANY($2::bigint[])',
      [workspace, [...new Set(records.flatMap((r) => r.parents))]])).map((r) => Number(r.id)));
    for (const r of records) {
      const missing = r.parents.filter((p) => !seen.has(p) && !known.has(p));
      if (missing.length) throw new ImportError(`${r.where}: unknown parent CI ${missing.join(', ')}`);
    }
    const [{ n: before }] = await select<{ n: string }>('SELECT count(*) AS n FROM sm.cis WHERE workspace = $1 AND id = ANY($2::bigint[])', [workspace, ids]);
    await exec(`INSERT INTO sm.cis (workspace, id, name, type, labels, updated_at)
      SELECT $1, t.id, t.name, t.type, t.labels::jsonb, now() FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS t(id, name, type, labels)
      ON CONFLICT (workspace, id) DO UPDATE SET name = excluded.name, type = excluded.type, labels = excluded.labels, updated_at = now()
      WHERE (sm.cis.name, sm.cis.type, sm.cis.labels) IS DISTINCT FROM (excluded.name, excluded.type, excluded.labels)`,
    [workspace, ids, records.map((r) => r.name), records.map((r) => r.type), records.map((r) => JSON.stringify(r.labels))]);
    await exec('DELETE FROM sm.ci_edges WHERE workspace = $1 AND child_id = ANY($2::bigint[])', [workspace, ids]);
    const parents = records.flatMap((r) => r.parents.map((p) => p));
    const children = records.flatMap((r) => r.parents.map(() => r.id));
    await exec(`INSERT INTO sm.ci_edges (workspace, parent_id, child_id) SELECT DISTINCT $1, p, c FROM unnest($2::bigint[], $3::bigint[]) AS t(p, c)`,
      [workspace, parents, children]);
    const edges = await select<{ parent_id: string; child_id: string }>('SELECT parent_id, child_id FROM sm.ci_edges WHERE workspace = $1', [workspace]);
    const graph = new Map<number, number[]>();
    for (const e of edges) {
      const p = Number(e.parent_id);
      (graph.get(p) ?? graph.set(p, []).get(p)!).push(Number(e.child_id));
    }
    const cycle = findCycle(graph);
    if (cycle) throw new ImportError(`the hierarchy would have a cycle: ${cycle.join(' -> ')}`);
    const refreshed = await refreshAfterGraphChange(workspace);
    return { cis: records.length, created: records.length - Number(before), edges: parents.length, refreshed };
  });
}
