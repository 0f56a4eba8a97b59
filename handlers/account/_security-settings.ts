/**
 * The account service's security limits (issue 11): streamed answers, payload conversion, login throttle per source,
 * password hashing. Read at each use like every setting (lib/settings.ts); `securityProblems()` adds the rules that
 * tie two settings together to the start-up check.
 */
import { config } from '../../lib/config';
import { defineSettings } from '../../lib/settings';
import { accountSettings } from './_settings';

export const securitySettings = defineSettings({
  ACCOUNT_STREAMS_PER_USER: {
    kind: 'int', env: 'ACCOUNT_STREAMS_PER_USER', default: 2, min: 1, max: 100,
    doc: 'streamed audit answers one account may have open at once, across every process on the database',
  },
  ACCOUNT_MAX_STREAMS: {
    kind: 'string', env: 'ACCOUNT_MAX_STREAMS', pattern: /^[1-9]\d{0,5}$/,
    doc: 'streamed answers one process may have open at once (default DB_POOL_MAX - 2, at least 1); must be below DB_POOL_MAX',
  },
  ACCOUNT_STREAM_IDLE_MS: {
    kind: 'int', env: 'ACCOUNT_STREAM_IDLE_MS', default: 30_000, min: 100, max: 3_600_000,
    doc: 'a streamed answer whose client reads nothing for this long is cut off and its connection released',
  },
  ACCOUNT_CONVERT_MAX_BYTES: {
    kind: 'int', env: 'ACCOUNT_CONVERT_MAX_BYTES', default: 8 * 1024 * 1024, min: 1024,
    doc: 'largest stored payload read_data converts between JSON and XLSX (a larger one is answered 400; ORIGIN always works)',
  },
  ACCOUNT_XLSX_MAX_EXPANDED_BYTES: {
    kind: 'int', env: 'ACCOUNT_XLSX_MAX_EXPANDED_BYTES', default: 64 * 1024 * 1024, min: 1024,
    doc: 'most bytes the entries of a stored workbook may expand to before it is opened for conversion',
  },
  ACCOUNT_XLSX_MAX_ENTRIES: {
    kind: 'int', env: 'ACCOUNT_XLSX_MAX_ENTRIES', default: 1000, min: 1, max: 65_535,
    doc: 'most entries (files) a stored workbook may hold to be opened for conversion',
  },
  LOGIN_MAX_FAILURES_PER_SOURCE: {
    kind: 'int', env: 'LOGIN_MAX_FAILURES_PER_SOURCE', default: 3, min: 1,
    doc: 'failed logins of one client address for one username that lock that address out of that username (at most LOGIN_MAX_FAILURES)',
  },
  ACCOUNT_PASSWORD_SCRYPT_N: {
    kind: 'int', env: 'ACCOUNT_PASSWORD_SCRYPT_N', default: 131_072, min: 16_384, max: 1_048_576,
    doc: 'scrypt cost of new password hashes (a power of two; r=8, p=1); older hashes are redone at the next login',
  },
});

/** Streams a process may have open: ACCOUNT_MAX_STREAMS, or two below the pool size so plain requests always get a connection. */
export function maxStreams(): number {
  const raw = securitySettings.values.ACCOUNT_MAX_STREAMS;
  return raw ? Number(raw) : Math.max(1, config.dbPoolMax - 2);
}

/** Every problem of these settings, alone and together (for the service's start-up check). */
export function securityProblems(): string[] {
  const problems = securitySettings.check();
  if (problems.length) return problems;
  const v = securitySettings.values;
  if (v.ACCOUNT_MAX_STREAMS && Number(v.ACCOUNT_MAX_STREAMS) >= config.dbPoolMax) {
    problems.push(`ACCOUNT_MAX_STREAMS must be below DB_POOL_MAX (${config.dbPoolMax}), got ${v.ACCOUNT_MAX_STREAMS}`);
  }
  const n = v.ACCOUNT_PASSWORD_SCRYPT_N;
  if ((n & (n - 1)) !== 0) problems.push(`ACCOUNT_PASSWORD_SCRYPT_N must be a power of two, got ${n}`);
  try {
    const perUser = accountSettings.values.LOGIN_MAX_FAILURES;
    if (v.LOGIN_MAX_FAILURES_PER_SOURCE > perUser) {
      problems.push(`LOGIN_MAX_FAILURES_PER_SOURCE (${v.LOGIN_MAX_FAILURES_PER_SOURCE}) must not exceed LOGIN_MAX_FAILURES (${perUser})`);
    }
  } catch {
    // LOGIN_MAX_FAILURES itself is refused by the account settings' own check
  }
  return problems;
}
