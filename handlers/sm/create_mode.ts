/** POST /api/public/sm/v1/rsm-maintenance (spec/sm.yaml · create_mode) — a mode over the CIs the caller may maintain. */
import { handler } from './_context';
import { MSG } from './_errors';
import { canMaintainAny, forbidden, readModeWire, recordEvent, resolveItems, writeItems, writeOccurrences } from './_modes';
import { select } from './_sql';
import { bodyInstant, checkWindow } from './_write';

export default handler('create_mode', async ({ query, body }, { principal }) => {
  const start = bodyInstant('dateStart', body.dateStart);
  const end = bodyInstant('dateEnd', body.dateEnd);
  const rec = { rrule: body['x-rrule'] ?? null, zone: body['x-rrule'] ? body['x-timezone'] ?? 'UTC' : null };
  await checkWindow(start, end, Date.now(), rec);
  if (!(await canMaintainAny(principal))) throw forbidden(MSG.forbiddenCreate);
  const items = await resolveItems(principal, body.configItems, query.batchValidate ?? false);
  const [row] = await select<{ id: string }>(`INSERT INTO sm.modes
      (workspace, title, start_ms, start_offset, end_ms, end_offset, labels, created_by, updated_by, rrule, timezone)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id`,
  [principal.workspace, body.title ?? null, start.ms, start.offset, end.ms, end.offset, JSON.stringify(body.labels ?? {}), principal.login, rec.rrule, rec.zone]);
  const id = Number(row.id);
  await writeItems(principal, id, items);
  await writeOccurrences(id);
  await recordEvent(principal, id, 'created', body);
  return { status: 201, body: await readModeWire(id) };
});
