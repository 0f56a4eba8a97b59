/** The account service's settings (environment variables), checked at start-up by the kernel (lib/settings.ts). */
import { defineSettings } from '../../lib/settings';

export const accountSettings = defineSettings({
  LOGIN_MAX_FAILURES: { kind: 'int', env: 'LOGIN_MAX_FAILURES', default: 5, min: 1, doc: 'failed logins of one username, from every address together, that lock it' },
  LOGIN_WINDOW_SECONDS: { kind: 'int', env: 'LOGIN_WINDOW_SECONDS', default: 900, min: 1, doc: 'window in which failures are counted' },
  LOGIN_LOCK_SECONDS: { kind: 'int', env: 'LOGIN_LOCK_SECONDS', default: 900, min: 1, doc: 'how long a lock lasts' },
  AUDIT_FLUSH_MS: { kind: 'int', env: 'AUDIT_FLUSH_MS', default: 20, min: 1, max: 60_000, doc: 'how often the audit outbox is moved into the trail' },
  SERVER_NAME: { kind: 'string', env: 'SERVER_NAME', pattern: /^[A-Za-z0-9_]{2,256}$/, doc: 'tracedata.server (default: the host name)' },
  ACCOUNT_JWT_SECRET: {
    kind: 'secret', env: 'ACCOUNT_JWT_SECRET', doc: 'HS256 secret of account tokens (default: generated once)',
    parse: (raw) => {
      if (Buffer.byteLength(raw, 'utf8') < 32) throw new Error('must be at least 32 bytes');
      return raw;
    },
  },
});
