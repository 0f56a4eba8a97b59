/** The one place where account models meet wire names. */
import type { components } from '../../generated/account';
import type { User } from '../../models/account';
import { isoWithOffset } from './_trace';

type Schemas = components['schemas'];

export function toInfoWire(u: User): Schemas['account_info'] {
  return {
    username: u.username,
    name: u.name,
    email: u.email,
    phone: u.phone,
    company_key: u.companyKey,
    timezone: u.timezone,
  };
}

/** A row of account.audit_actions as selected by the audit query (snake_case columns). */
export interface AuditRow {
  username: string; company_key: string; trace_code: string; client: string; server: string; service: string;
  operation: string; time: Date; tz_offset_minutes: number; method_group: string; points_count: number; duration: string;
}

export function toActionWire(r: AuditRow): Schemas['audit_action'] {
  return {
    username: r.username,
    company_key: r.company_key,
    tracedata: {
      code: r.trace_code,
      client: r.client,
      server: r.server,
      service: r.service as Schemas['service_name'],
      operation: r.operation,
      time: isoWithOffset(r.time, r.tz_offset_minutes),
    },
    method_group: r.method_group as Schemas['method_group'],
    statistics: { points_count: r.points_count, duration: r.duration },
  };
}

const q = JSON.stringify;

/**
 * JSON.stringify(toActionWire(r)), written out for the audit stream (a million rows): the same text, key order and
 * escaping (every string goes through JSON.stringify), without building the nested objects first.
 */
export function actionJson(r: AuditRow): string {
  return `{"username":${q(r.username)},"company_key":${q(r.company_key)},"tracedata":{"code":${q(r.trace_code)},` +
    `"client":${q(r.client)},"server":${q(r.server)},"service":${q(r.service)},"operation":${q(r.operation)},` +
    `"time":${q(isoWithOffset(r.time, r.tz_offset_minutes))}},"method_group":${q(r.method_group)},` +
    `"statistics":{"points_count":${q(r.points_count)},"duration":${q(r.duration)}}}`;
}
