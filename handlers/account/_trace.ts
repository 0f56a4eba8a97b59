/** tracedata: the vendor's process stamp carried by every audit action and every error body. */
import crypto from 'node:crypto';
import os from 'node:os';
import { accountSettings } from './_settings';

export const SERVICE = 'ACCOUNT';

/** `server` must match ^[A-Za-z0-9_]+$ (2..256): the configured SERVER_NAME or the host name with other characters as _. */
export const serverName = (() => {
  const raw = (accountSettings.values.SERVER_NAME || os.hostname() || 'server').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 256);
  return raw.length >= 2 ? raw : `${raw}__`.slice(0, 2);
})();

export interface TraceLocals {
  traceCode: string;
  [k: string]: unknown;
}

export function newLocals(): TraceLocals {
  return { traceCode: crypto.randomUUID() };
}

export const clientOf = (companyKey: string, username: string) => `${companyKey}_|_${username}`;

/** ISO 8601 with the given offset from UTC, e.g. 2024-02-21T09:30:00+03:00 (milliseconds kept when present). */
export function isoWithOffset(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const base = local.toISOString().replace(/\.000Z$/, 'Z').replace(/Z$/, '');
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface Tracedata {
  code: string;
  client: string;
  server: string;
  service: string;
  operation: string;
  time: string;
}

export function tracedata(opts: {
  traceCode: string;
  operation?: string;
  user?: { companyKey: string; username: string; timezone: number } | null;
  time?: Date;
}): Tracedata {
  const op = opts.operation && opts.operation.length >= 3 ? opts.operation : 'unknown_operation';
  return {
    code: opts.traceCode,
    client: opts.user ? clientOf(opts.user.companyKey, opts.user.username) : 'anonymous',
    server: serverName,
    service: SERVICE,
    operation: op,
    time: isoWithOffset(opts.time ?? new Date(), (opts.user?.timezone ?? 0) * 60),
  };
}

/** ISO 8601 duration of at most 16 characters from milliseconds, e.g. PT0.042S, PT2H12M34.3S, P1DT2H. */
export function isoDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  const days = Math.floor(rest / 86_400_000); rest -= days * 86_400_000;
  const hours = Math.floor(rest / 3_600_000); rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000); rest -= minutes * 60_000;
  const seconds = rest / 1000;
  let time = '';
  if (hours) time += `${hours}H`;
  if (minutes) time += `${minutes}M`;
  if (seconds || (!hours && !minutes)) time += `${Number(seconds.toFixed(3))}S`;
  const out = days ? `P${days}D${time === '0S' ? '' : `T${time}`}` : `PT${time}`;
  return out.length <= 16 ? out : out.replace(/\.\d+S$/, 'S');
}

const DURATION = /^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an ISO 8601 duration (years 365 d, months 30 d), or undefined when it is not one. */
export function durationMs(iso: string): number | undefined {
  const m = DURATION.exec(iso);
  if (!m) return undefined;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  return ((((y * 365 + mo * 30 + w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000;
}
