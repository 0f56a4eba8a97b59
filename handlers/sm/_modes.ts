/**
 * Modes as stored and as answered: one SQL shape for a mode with its items (pages and streams alike), states derived
 * from the clock and cancellation, visibility through the caller's rights, CI resolution under batchValidate, and the
 * history of each mode.
 */
import type { components } from '../../generated/sm';
import { ApiError } from '../../lib/errors';
import type { SmPrincipal } from './_context';
import { MSG, modeNotFound, rule } from './_errors';
import { depthsOf, expansionSql, refreshModeScope, WINDOW_END_SQL, type ScopeItem } from './_graph';
import { formatInstant } from './_instant';
import { occurrences, wallClock } from './_recurrence';
import { Binds, exec, select } from './_sql';

export type ModeWire = components['schemas']['mode'];
export type CiRef = components['schemas']['ci_ref'];

export interface ModeRow {
  id: string;
  title: string | null;
  start_ms: string;
  start_offset: number;
  end_ms: string;
  end_offset: number;
  labels: Record<string, string>;
  cancelled_ms: string | null;
  items: Array<{ id: number; scope: 'Ci' | 'CiAndChildren'; depth: number }> | null;
  rrule: string | null;
  timezone: string | null;
  /** of a recurring mode: the current or next occurrence, null after the last */
  next_occurrence: [number | string, number | string] | null;
}

export const MODE_COLUMNS = `m.id, m.title, m.start_ms, m.start_offset, m.end_ms, m.end_offset, m.labels, m.cancelled_ms,
  (SELECT json_agg(json_build_object('id', i.ci_id, 'scope', i.scope, 'depth', i.depth) ORDER BY i.position)
     FROM sm.mode_items i WHERE i.mode_id = m.id) AS items,
  m.rrule, m.timezone,
  CASE WHEN m.rrule IS NOT NULL THEN (SELECT json_build_array(o.start_ms, o.end_ms) FROM sm.mode_occurrences o
    WHERE o.mode_id = m.id AND o.end_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint ORDER BY o.start_ms LIMIT 1) END AS next_occurrence`;

export type Phase = 'planned' | 'active' | 'ended';
export type State = 'Pending' | 'Active' | 'Completed' | 'Cancelled';

export function stateOf(row: Pick<ModeRow, 'start_ms' | 'end_ms' | 'cancelled_ms' | 'rrule' | 'next_occurrence'>, now = Date.now()): State {
  if (row.cancelled_ms !== null) return 'Cancelled';
  if (row.rrule !== null) {
    if (!row.next_occurrence) return 'Completed';
    return now < Number(row.next_occurrence[0]) ? 'Pending' : 'Active';
  }
  if (now < Number(row.start_ms)) return 'Pending';
  if (now < Number(row.end_ms)) return 'Active';
  return 'Completed';
}

export const phaseOf = (state: State): Phase => (state === 'Pending' ? 'planned' : state === 'Active' ? 'active' : 'ended');

export function toModeWire(row: ModeRow, now = Date.now()): ModeWire {
  const dateStart = formatInstant(Number(row.start_ms), row.start_offset);
  const dateEnd = formatInstant(Number(row.end_ms), row.end_offset);
  const state = stateOf(row, now);
  // the entries of a recurring mode carry its current or next occurrence, in the zone's offset then
  let entryStart = dateStart;
  let entryEnd = dateEnd;
  if (row.rrule !== null && row.next_occurrence) {
    const zone = row.timezone ?? 'UTC';
    const [s, e] = row.next_occurrence.map(Number);
    entryStart = formatInstant(s, (wallClock(s, zone) - s) / 60_000);
    entryEnd = formatInstant(e, (wallClock(e, zone) - e) / 60_000);
  }
  return {
    id: Number(row.id),
    dateStart,
    dateEnd,
    title: row.title,
    configItems: (row.items ?? []).map((i) => ({ id: Number(i.id), scope: i.scope, depth: i.depth, state, dateStart: entryStart, dateEnd: entryEnd })),
    labels: row.labels ?? {},
    ...(row.rrule !== null ? { 'x-rrule': row.rrule, 'x-timezone': row.timezone ?? 'UTC' } : {}),
  };
}

/** SQL condition: the mode `m` has a CI of its effective set the user may view (materialised in sm.mode_viewers). */
export const visibleSql = (userId: string) => `EXISTS (SELECT 1 FROM sm.mode_viewers v WHERE v.user_id = ${userId} AND v.mode_id = m.id)`;

export async function canViewAny(p: SmPrincipal): Promise<boolean> {
  return (await select('SELECT 1 FROM sm.user_rights WHERE user_id = $1 LIMIT 1', [p.userId])).length > 0;
}
export async function canMaintainAny(p: SmPrincipal): Promise<boolean> {
  return (await select('SELECT 1 FROM sm.user_rights WHERE user_id = $1 AND can_maintain LIMIT 1', [p.userId])).length > 0;
}

/** The mode (locked for update when asked), whether the caller sees it and may maintain any CI of it; 404 when absent. */
export async function loadMode(p: SmPrincipal, id: number, forUpdate = false): Promise<{ row: ModeRow; visible: boolean; maintainable: boolean }> {
  if (forUpdate) await exec('SELECT 1 FROM sm.modes WHERE id = $1 FOR UPDATE', [id]);
  const rows = await select<ModeRow & { visible: boolean; maintainable: boolean }>(`
    SELECT ${MODE_COLUMNS}, ${visibleSql('$2')} AS visible,
      EXISTS (SELECT 1 FROM sm.mode_cis mc JOIN sm.user_rights r ON r.user_id = $2 AND r.ci_id = mc.ci_id AND r.can_maintain
               WHERE mc.mode_id = m.id) AS maintainable
      FROM sm.modes m WHERE m.id = $1`, [id, p.userId]);
  if (!rows.length) throw modeNotFound(id);
  const { visible, maintainable, ...row } = rows[0];
  return { row, visible, maintainable };
}

/**
 * The scope items the mode keeps: with batchValidate every CI must exist and be maintainable by the caller (else
 * the product's 400), without it the others are dropped; nothing left is the same 400.
 */
export async function resolveItems(p: SmPrincipal, refs: CiRef[], batchValidate: boolean): Promise<ScopeItem[]> {
  const items: ScopeItem[] = refs.map((r) => ({ id: r.id, scope: r.scope ?? 'Ci', depth: r.depth ?? 0 }));
  const ids = [...new Set(items.map((i) => i.id))];
  const ok = new Set((await select<{ ci_id: string }>(
    'SELECT ci_id FROM sm.user_rights WHERE user_id = $1 AND can_maintain AND ci_id = ANY($2::bigint[])', [p.userId, ids])).map((r) => Number(r.ci_id)));
  if (batchValidate && ids.some((id) => !ok.has(id))) throw rule(MSG.cisNotFound);
  const kept = items.filter((i) => ok.has(i.id));
  if (!kept.length) throw rule(MSG.cisNotFound);
  return kept;
}

/** Stores a mode's items and rebuilds its effective set. */
export async function writeItems(p: SmPrincipal, modeId: number, items: ScopeItem[]): Promise<void> {
  await exec('DELETE FROM sm.mode_items WHERE mode_id = $1', [modeId]);
  await exec(`INSERT INTO sm.mode_items (mode_id, position, workspace, ci_id, scope, depth)
    SELECT $1, t.pos, $2, t.id, t.scope, t.depth FROM unnest($3::bigint[], $4::text[], $5::int[]) WITH ORDINALITY AS t(id, scope, depth, pos)`,
  [modeId, p.workspace, items.map((i) => i.id), items.map((i) => i.scope), items.map((i) => i.depth)]);
  await refreshModeScope(modeId);
}

/**
 * Rewrites a mode's occurrences (one window, or its RRULE's series) cut at `cutMs` when given (cancelled or ended
 * now), its series end, and its effective set's window.
 */
export async function writeOccurrences(modeId: number, cutMs?: number): Promise<void> {
  const [m] = await select<{ workspace: string; start_ms: string; end_ms: string; rrule: string | null; timezone: string | null }>(
    'SELECT workspace, start_ms, end_ms, rrule, timezone FROM sm.modes WHERE id = $1', [modeId]);
  const start = Number(m.start_ms);
  const end = Number(m.end_ms);
  let list: Array<[number, number]> = m.rrule ? await occurrences(m.rrule, m.timezone ?? 'UTC', start, end) : [[start, end]];
  if (cutMs !== undefined) list = list.filter(([s]) => s < cutMs).map(([s, e]) => [s, Math.min(e, cutMs)]);
  await exec('DELETE FROM sm.mode_occurrences WHERE mode_id = $1', [modeId]);
  await exec(`INSERT INTO sm.mode_occurrences (mode_id, workspace, start_ms, end_ms)
    SELECT $1, $2, s, e FROM unnest($3::bigint[], $4::bigint[]) AS t(s, e)`, [modeId, m.workspace, list.map((o) => o[0]), list.map((o) => o[1])]);
  const last = list.length ? list[list.length - 1][1] : start;
  await exec('UPDATE sm.modes SET series_end_ms = $2 WHERE id = $1', [modeId, m.rrule ? last : null]);
  await writeWindow(modeId);
}

/** Keeps the effective set's window in step with the mode's series (cancelled: cut, empty before its start). */
export async function writeWindow(modeId: number): Promise<void> {
  await exec(`UPDATE sm.mode_cis mc SET window_start = m.start_ms, window_end = ${WINDOW_END_SQL}
    FROM sm.modes m WHERE m.id = $1 AND mc.mode_id = m.id`, [modeId]);
}

export async function recordEvent(p: { workspace: string; login: string }, modeId: number, action: string, changes?: unknown): Promise<void> {
  await exec('INSERT INTO sm.mode_events (workspace, mode_id, actor, action, changes) VALUES ($1, $2, $3, $4, $5)',
    [p.workspace, modeId, p.login, action, changes === undefined ? null : JSON.stringify(changes)]);
}

export async function readModeWire(id: number): Promise<ModeWire> {
  const rows = await select<ModeRow>(`SELECT ${MODE_COLUMNS} FROM sm.modes m WHERE m.id = $1`, [id]);
  return toModeWire(rows[0]);
}

export { expansionSql, depthsOf };
export const forbidden = (message: string) => new ApiError('forbidden', message);

// -- lists ------------------------------------------------------------------------------------------------------------

export interface ListQuery {
  page?: number;
  perPage?: number;
  search?: string;
  sortCol?: 'id' | 'dateStart' | 'dateEnd' | 'title';
  sortDir?: 'asc' | 'desc';
  skip?: number;
}
export type Filter = components['schemas']['mode_filter'];

const SORT: Record<NonNullable<ListQuery['sortCol']>, string> = { id: 'm.id', dateStart: 'm.start_ms', dateEnd: 'm.end_ms', title: 'm.title' };
const likeOf = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The WHERE of the visible modes (`base`) and of those that also match search and filter (`filtered`). */
export function listWhere(b: Binds, p: SmPrincipal, q: ListQuery, filter?: Filter, parse?: (s: string) => number): { base: string; conditions: string; filtered: string } {
  const base = `m.workspace = ${b.p(p.workspace)} AND ${visibleSql(b.p(p.userId))}`;
  const conds: string[] = [];
  if (q.search !== undefined && q.search !== '') {
    const s = q.search.trim();
    const like = b.p(likeOf(s));
    const parts = [`m.title ILIKE ${like}`, `EXISTS (SELECT 1 FROM jsonb_each_text(m.labels) l WHERE l.key ILIKE ${like} OR l.value ILIKE ${like})`];
    if (/^[0-9]{1,15}$/.test(s)) {
      const n = b.p(Number(s));
      parts.push(`m.id = ${n}`, `EXISTS (SELECT 1 FROM sm.mode_cis c WHERE c.mode_id = m.id AND c.ci_id = ${n})`);
    }
    conds.push(`(${parts.join(' OR ')})`);
  }
  if (filter) {
    if (filter.ids?.length) conds.push(`m.id = ANY(${b.p(filter.ids, '::bigint[]')})`);
    if (filter.configItemIds?.length) {
      // from the CIs to their modes (one index), not from every visible mode to its CIs
      conds.push(`m.id IN (SELECT c.mode_id FROM sm.mode_cis c WHERE c.workspace = ${b.p(p.workspace)} AND c.ci_id = ANY(${b.p(filter.configItemIds, '::bigint[]')}))`);
    }
    for (const [field, column] of [['dateStart', 'm.start_ms'], ['dateEnd', 'm.end_ms']] as const) {
      const c = filter[field];
      if (!c || !parse) continue;
      if (c.lessThanOrEqual !== undefined) conds.push(`${column} <= ${b.p(parse(c.lessThanOrEqual))}`);
      if (c.moreThanOrEqual !== undefined) conds.push(`${column} >= ${b.p(parse(c.moreThanOrEqual))}`);
      if (c.Equal !== undefined) conds.push(`${column} = ${b.p(parse(c.Equal))}`);
    }
  }
  return { base, conditions: conds.length ? conds.join(' AND ') : 'true', filtered: [base, ...conds].join(' AND ') };
}

export function orderBy(q: ListQuery): string {
  const dir = q.sortDir === 'desc' ? 'DESC' : 'ASC';
  const col = SORT[q.sortCol ?? 'id'];
  return col === 'm.id' ? `ORDER BY m.id ${dir}` : `ORDER BY ${col} ${dir} NULLS ${dir === 'ASC' ? 'FIRST' : 'LAST'}, m.id ${dir}`;
}
