/**
 * Usage ingestion: other services' calls recorded as audit actions of an account, with their payloads. A batch is
 * all-or-nothing; points beyond a quota's points_per_request or the day's points_per_day are refused.
 */
import { QueryTypes, type Transaction } from 'sequelize';
import { AdminError } from '../../lib/admin';
import { explain, specValidator } from '../../lib/spec-schemas';
import { accountDb, TraceData, User } from '../../models/account';
import { isJsonType } from './_convert';
import { localDay, parseInstant, pgInstant, type Instant } from '../../lib/instant';
import { effectiveQuotas } from './_quota';
import { durationMs } from './_trace';

export interface UsageEvent {
  tracedata: { code: string; client: string; server: string; service: string; operation: string; time: string };
  method_group: string;
  points_count?: number;
  duration?: string;
  payloads?: { flow_type: 'INPUT' | 'OUTPUT'; stage?: number; content_type?: string; json?: unknown; base64?: string }[];
}

const eventSchema = {
  type: 'object',
  required: ['tracedata', 'method_group'],
  additionalProperties: false,
  properties: {
    tracedata: { $ref: '#/components/schemas/tracedata' },
    method_group: { $ref: '#/components/schemas/method_group' },
    points_count: { type: 'integer', minimum: 0, maximum: 10000000, default: 0 },
    duration: { type: 'string', minLength: 3, maxLength: 16, default: 'PT0S' },
    payloads: {
      type: 'array',
      maxItems: 8,
      items: {
        type: 'object',
        required: ['flow_type'],
        additionalProperties: false,
        properties: {
          flow_type: { $ref: '#/components/schemas/flow_type' },
          stage: { type: 'integer', minimum: 0, maximum: 3, default: 0 },
          content_type: { type: 'string', minLength: 3, maxLength: 128 },
          json: {},
          base64: { type: 'string' },
        },
      },
    },
  },
};

/** Line of each parsed event in its file, so that errors found while recording name the line too. */
const lineOf = new WeakMap<UsageEvent, number>();
/** The instant of each parsed event's tracedata.time, read once by parseUsage. */
const instantOf = new WeakMap<UsageEvent, Instant>();
const where = (e: UsageEvent, i: number) => (lineOf.has(e) ? `line ${lineOf.get(e)}` : `event ${i + 1}`);

/**
 * Progress through a big file: `done` of `total` lines through a phase (parsed, checked against accounts and quotas,
 * recorded), every `every` lines (default 10,000) and at the end; a file shorter than `every` reports nothing.
 */
export interface UsageProgress {
  report(phase: UsagePhase, done: number, total: number): void;
  every?: number;
}
export type UsagePhase = 'parsed' | 'checked' | 'recorded';
function tick(p: UsageProgress | undefined, phase: UsagePhase, done: number, total: number): void {
  const every = p?.every ?? 10_000;
  if (p && total >= every && (done % every === 0 || done === total)) p.report(phase, done, total);
}

/** Parse NDJSON text into validated events; every problem is reported with its line number. */
export function parseUsage(text: string, progress?: UsageProgress): UsageEvent[] {
  const validate = specValidator('account').compile(eventSchema);
  const errors: string[] = [];
  const events: UsageEvent[] = [];
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    tick(progress, 'parsed', i + 1, lines.length);
    if (!line.trim()) return;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch (e) {
      errors.push(`line ${i + 1}: not JSON (${(e as Error).message})`);
      return;
    }
    if (!validate(ev)) {
      errors.push(`line ${i + 1}: ${explain(validate.errors)}`);
      return;
    }
    const e = ev as UsageEvent;
    if (!e.tracedata.client.includes('_|_')) errors.push(`line ${i + 1}: tracedata.client must be company_key_|_username`);
    // kept exactly with the offset it was written with; what cannot be (year 0000, a leap second, sub-milliseconds) is refused
    const at = parseInstant(e.tracedata.time);
    if ('error' in at) errors.push(`line ${i + 1}: tracedata.time ${at.error}`);
    else instantOf.set(e, at);
    if (durationMs(e.duration ?? 'PT0S') === undefined) errors.push(`line ${i + 1}: duration is not an ISO 8601 duration`);
    for (const p of e.payloads ?? []) {
      if ((p.json === undefined) === (p.base64 === undefined)) errors.push(`line ${i + 1}: a payload needs exactly one of json, base64`);
      if (p.base64 !== undefined && !p.content_type) errors.push(`line ${i + 1}: a base64 payload needs content_type`);
      if (p.base64 !== undefined && p.content_type && isJsonType(p.content_type)) {
        try {
          JSON.parse(Buffer.from(p.base64, 'base64').toString('utf8'));
        } catch {
          errors.push(`line ${i + 1}: a payload of type ${p.content_type} must be JSON`);
        }
      }
    }
    lineOf.set(e, i + 1);
    events.push(e);
  });
  if (errors.length) throw new AdminError(errors.join('\n'));
  return events;
}

const ACTION_COLUMNS: [string, string][] = [
  ['username', 'text'], ['company_key', 'text'], ['trace_code', 'uuid'], ['client', 'text'], ['server', 'text'], ['service', 'text'],
  ['operation', 'text'], ['time', 'timestamptz'], ['tz_offset_minutes', 'integer'], ['method_group', 'text'], ['points_count', 'integer'],
  ['duration', 'text'], ['duration_ms', 'double precision'],
];

export async function recordUsage(events: UsageEvent[], progress?: UsageProgress): Promise<{ recorded: number; payloads: number }> {
  const db = accountDb();
  return db.transaction(async (transaction: Transaction) => {
    const names = [...new Set(events.map((e) => e.tracedata.client.split('_|_')[1]))].sort();
    const users = new Map<string, User>();
    for (const u of await User.findAll({ where: { username: names }, transaction, lock: transaction.LOCK.UPDATE, order: [['username', 'ASC']] })) {
      users.set(u.username, u);
    }
    const quotas = await effectiveQuotas(names, transaction);
    const used = new Map<string, number>();
    const errors: string[] = [];
    const actions: (string | number)[][] = [];
    let payloads = 0;
    // a trace code whose stored data belongs to another account is refused, never overwritten
    const owners = new Map<string, string>();
    const codes = [...new Set(events.filter((e) => e.payloads?.length).map((e) => e.tracedata.code))];
    if (codes.length) {
      for (const t of await TraceData.findAll({ where: { traceCode: codes }, attributes: ['traceCode', 'username'], transaction })) {
        owners.set(t.traceCode, t.username);
      }
    }
    for (const [i, e] of events.entries()) {
      tick(progress, 'checked', i + 1, events.length);
      const [company, username] = e.tracedata.client.split('_|_');
      const user = users.get(username);
      if (!user || user.companyKey !== company) {
        errors.push(`${where(e, i)}: no user ${username} in company ${company}`);
        continue;
      }
      const points = e.points_count ?? 0;
      const at = instantOf.get(e) ?? parseInstant(e.tracedata.time) as Instant;
      const quota = quotas.get(username)?.find((q) => q.service === e.tracedata.service && q.methodGroup === e.method_group);
      if (quota) {
        if (points > quota.pointsPerRequest) {
          errors.push(`${where(e, i)}: ${points} points exceed points_per_request ${quota.pointsPerRequest} of ${e.tracedata.service}/${e.method_group}`);
          continue;
        }
        const day = localDay(at.ms, user.timezone * 60);
        const key = `${username}|${e.tracedata.service}|${e.method_group}|${day}`;
        if (!used.has(key)) {
          // the local day's bounds are computed by PostgreSQL, which holds days before 1 AD and after 9999 too
          const [row] = await db.query<{ s: string }>(
            `WITH d AS (SELECT date_trunc('day', (CAST(:t AS timestamptz) AT TIME ZONE 'UTC') + make_interval(hours => :tz)) - make_interval(hours => :tz) AS start)
             SELECT coalesce(sum(points_count), 0) AS s FROM account.audit_actions, d
              WHERE username = :u AND service = :s AND method_group = :m
                AND time >= d.start AT TIME ZONE 'UTC' AND time < (d.start + interval '1 day') AT TIME ZONE 'UTC'`,
            { replacements: { u: username, s: e.tracedata.service, m: e.method_group, t: pgInstant(at.ms), tz: user.timezone }, type: QueryTypes.SELECT, transaction },
          );
          used.set(key, Number(row.s));
        }
        const total = used.get(key)! + points;
        if (total > quota.pointsPerDay) {
          errors.push(`${where(e, i)}: quota exceeded: ${total} points on ${day} for ${e.tracedata.service}/${e.method_group}, points_per_day is ${quota.pointsPerDay}`);
          continue;
        }
        used.set(key, total);
      }
      const owner = owners.get(e.tracedata.code);
      if (e.payloads?.length && owner !== undefined && owner !== username) {
        errors.push(`${where(e, i)}: trace code ${e.tracedata.code} already holds another account's data`);
        continue;
      }
      if (e.payloads?.length) owners.set(e.tracedata.code, username);
      const duration = e.duration ?? 'PT0S';
      // tracedata.time is answered as it was given: the same instant with the same offset
      actions.push([username, company, e.tracedata.code, e.tracedata.client, e.tracedata.server, e.tracedata.service, e.tracedata.operation,
        pgInstant(at.ms), at.offsetMinutes, e.method_group, points, duration, durationMs(duration) ?? 0]);
      for (const p of e.payloads ?? []) {
        const payload = p.json !== undefined ? Buffer.from(JSON.stringify(p.json)) : Buffer.from(p.base64!, 'base64');
        await TraceData.upsert({
          traceCode: e.tracedata.code, flowType: p.flow_type, stage: p.stage ?? 0, username, companyKey: company,
          contentType: p.content_type ?? 'application/json', payload,
        }, { transaction, conflictFields: ['trace_code', 'flow_type', 'stage'] as never });
        payloads++;
      }
    }
    if (errors.length) throw new AdminError(`nothing recorded:\n${errors.join('\n')}`);
    for (let k = 0; k < actions.length; k += 5000) {
      // column-wise arrays, so an instant travels as text PostgreSQL reads exactly (a Date before 1 AD would not)
      const batch = actions.slice(k, k + 5000);
      await db.query(
        `INSERT INTO account.audit_actions (${ACTION_COLUMNS.map(([c]) => c).join(', ')})
         SELECT * FROM unnest(${ACTION_COLUMNS.map(([, type], j) => `$${j + 1}::${type}[]`).join(', ')})`,
        { bind: ACTION_COLUMNS.map((_, j) => batch.map((row) => row[j])), transaction },
      );
      tick(progress, 'recorded', k + batch.length, actions.length);
    }
    return { recorded: events.length, payloads };
  });
}
