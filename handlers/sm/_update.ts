/**
 * PUT and PATCH of a mode under the product's rules: an ended mode is frozen; a started one keeps its start and can
 * only be ended now (`cancel: true` with nothing else changed); a planned one can be cancelled or changed freely.
 */
import type { components } from '../../generated/sm';
import type { SmPrincipal } from './_context';
import { MSG, rule } from './_errors';
import type { Instant } from './_instant';
import { forbidden, loadMode, phaseOf, readModeWire, recordEvent, resolveItems, stateOf, writeItems, writeOccurrences, type ModeRow, type ModeWire } from './_modes';
import { exec } from './_sql';
import { bodyInstant, checkWindow } from './_write';

type Body = components['schemas']['mode_patch'];

const sorted = (o: Record<string, string>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
const itemsKey = (items: Array<{ id: number; scope?: string; depth?: number }>) =>
  JSON.stringify(items.map((i) => [Number(i.id), i.scope ?? 'Ci', i.depth ?? 0]));

export async function changeMode(p: SmPrincipal, id: number, body: Body, batchValidate: boolean, kind: 'replaced' | 'updated'): Promise<ModeWire> {
  const { row, visible, maintainable } = await loadMode(p, id, true);
  if (!visible || !maintainable) throw forbidden(MSG.forbiddenEdit);
  const now = Date.now();
  const phase = phaseOf(stateOf(row, now));
  const full = kind === 'replaced';
  const current = {
    title: row.title,
    start: { ms: Number(row.start_ms), offset: row.start_offset } as Instant,
    end: { ms: Number(row.end_ms), offset: row.end_offset } as Instant,
    labels: row.labels ?? {},
  };
  const next = {
    title: full ? body.title ?? null : 'title' in body ? body.title ?? null : current.title,
    start: body.dateStart !== undefined ? bodyInstant('dateStart', body.dateStart) : current.start,
    end: body.dateEnd !== undefined ? bodyInstant('dateEnd', body.dateEnd) : current.end,
    labels: full ? body.labels ?? {} : body.labels ?? current.labels,
    rrule: full ? body['x-rrule'] ?? null : 'x-rrule' in body ? body['x-rrule'] ?? null : row.rrule,
    zone: full ? body['x-timezone'] ?? null : 'x-timezone' in body ? body['x-timezone'] ?? null : row.timezone,
  };
  if (next.rrule === null) next.zone = null;
  else next.zone ??= 'UTC';
  const itemsChanged = body.configItems !== undefined && itemsKey(body.configItems) !== itemsKey((row as ModeRow).items ?? []);
  const changed = next.title !== current.title || next.start.ms !== current.start.ms || next.start.offset !== current.start.offset ||
    next.end.ms !== current.end.ms || next.end.offset !== current.end.offset || sorted(next.labels) !== sorted(current.labels) || itemsChanged ||
    next.rrule !== row.rrule || next.zone !== row.timezone;

  if (body.cancel === true) {
    if (phase === 'ended') throw rule(MSG.endedCannotEnd);
    if (phase === 'active') {
      if (changed) throw rule(MSG.startedCannotCancel);
      // a single window ends now; a series ends with the occurrence under way
      if (row.rrule === null) await exec('UPDATE sm.modes SET end_ms = $2 WHERE id = $1', [id, now]);
      await exec('UPDATE sm.modes SET ended_early = true, updated_by = $2, updated_at = now() WHERE id = $1', [id, p.login]);
      await writeOccurrences(id, now);
      await recordEvent(p, id, 'ended');
    } else {
      await exec('UPDATE sm.modes SET cancelled_ms = $2, updated_by = $3, updated_at = now() WHERE id = $1', [id, now, p.login]);
      await writeOccurrences(id, now);
      await recordEvent(p, id, 'cancelled');
    }
    return readModeWire(id);
  }
  if (phase === 'ended') throw rule(MSG.endedCannotChange);
  if (phase === 'active' && next.start.ms !== current.start.ms) throw rule(MSG.startedCannotMoveStart);
  await checkWindow(next.start, next.end, now, { rrule: next.rrule, zone: next.zone });
  const items = body.configItems !== undefined ? await resolveItems(p, body.configItems, batchValidate) : undefined;
  await exec(`UPDATE sm.modes SET title = $2, start_ms = $3, start_offset = $4, end_ms = $5, end_offset = $6, labels = $7,
      updated_by = $8, updated_at = now(), rrule = $9, timezone = $10 WHERE id = $1`,
  [id, next.title, next.start.ms, next.start.offset, next.end.ms, next.end.offset, JSON.stringify(next.labels), p.login, next.rrule, next.zone]);
  if (items) await writeItems(p, id, items);
  await writeOccurrences(id);
  await recordEvent(p, id, kind, body);
  return readModeWire(id);
}
