/**
 * The list answer shared by GET rsm-maintenance and POST rsm-maintenance/filter: two counts (visible, matching), one
 * page, the paging headers and an RFC 8288 Link; perPage=-1 streams every matching mode from a cursor.
 */
import { Readable } from 'node:stream';
import type { RawBody } from '../../lib/service';
import type { SmPrincipal } from './_context';
import { listWhere, MODE_COLUMNS, orderBy, toModeWire, type Filter, type ListQuery, type ModeRow, type ModeWire } from './_modes';
import { Binds, select, streamRows } from './_sql';

export interface PagingHeaders {
  'X-Total': string;
  'X-Total-Filtered': string;
  'X-Per-Page': string;
  'X-Page': string;
  'X-Total-Pages': string;
  Link: string;
}

/** The paging arithmetic: page size, offset, number of pages (at least 1), and the Link header's relations. */
export function paging(path: string, q: ListQuery, filtered: number): { perPage: number; page: number; offset: number; pages: number; link: string } {
  const perPage = q.perPage ?? 1000;
  const skip = q.skip ?? 0;
  const all = perPage === -1;
  const page = all ? 1 : q.page ?? 1;
  const pages = all ? 1 : Math.max(1, Math.ceil(Math.max(0, filtered - skip) / perPage));
  const offset = all ? skip : skip + (page - 1) * perPage;
  const url = (n: number) => {
    const params = new URLSearchParams();
    params.set('page', String(n));
    params.set('perPage', String(perPage));
    if (q.skip) params.set('skip', String(q.skip));
    if (q.search !== undefined) params.set('search', q.search);
    if (q.sortCol) params.set('sortCol', q.sortCol);
    if (q.sortDir) params.set('sortDir', q.sortDir);
    return `<${path}?${params.toString()}>`;
  };
  const links = [`${url(1)}; rel="first"`];
  if (page > 1) links.push(`${url(Math.min(page - 1, pages))}; rel="prev"`);
  if (page < pages) links.push(`${url(page + 1)}; rel="next"`);
  links.push(`${url(pages)}; rel="last"`);
  return { perPage, page, offset, pages, link: links.join(', ') };
}

function jsonArray(rows: AsyncGenerator<ModeRow>): Readable {
  const now = Date.now();
  return Readable.from((async function* () {
    yield '[';
    let first = true;
    for await (const row of rows) {
      yield `${first ? '' : ','}${JSON.stringify(toModeWire(row, now))}`;
      first = false;
    }
    yield ']';
  })());
}

export async function listModes(p: SmPrincipal, path: string, q: ListQuery, filter?: Filter, parse?: (s: string) => number):
  Promise<{ body: ModeWire[] | RawBody; headers: PagingHeaders }> {
  const b = new Binds();
  const where = listWhere(b, p, q, filter, parse);
  // the visible modes are counted on their index alone; the matching ones from the conditions' side
  const [{ n: totalText }] = await select<{ n: string }>(
    'SELECT count(*) AS n FROM sm.mode_viewers v WHERE v.user_id = $1 AND v.workspace = $2', [p.userId, p.workspace]);
  const counts = { total: totalText, filtered: totalText };
  if (where.conditions !== 'true') counts.filtered = (await select<{ n: string }>(`SELECT count(*) AS n FROM sm.modes m WHERE ${where.filtered}`, b.values))[0].n;
  const total = Number(counts.total);
  const filtered = Number(counts.filtered);
  const pg = paging(path, q, filtered);
  const headers: PagingHeaders = {
    'X-Total': String(total), 'X-Total-Filtered': String(filtered), 'X-Per-Page': String(pg.perPage),
    'X-Page': String(pg.page), 'X-Total-Pages': String(pg.pages), Link: pg.link,
  };
  const sql = `SELECT ${MODE_COLUMNS} FROM sm.modes m WHERE ${where.filtered} ${orderBy(q)}`;
  if (pg.perPage === -1) {
    const values = [...b.values, pg.offset];
    return { headers, body: { raw: jsonArray(streamRows<ModeRow>(`${sql} OFFSET $${values.length}`, values)), contentType: 'application/json; charset=utf-8' } };
  }
  const values = [...b.values, pg.perPage, pg.offset];
  const rows = await select<ModeRow>(`${sql} LIMIT $${values.length - 1} OFFSET $${values.length}`, values);
  const now = Date.now();
  return { headers, body: rows.map((r) => toModeWire(r, now)) };
}
