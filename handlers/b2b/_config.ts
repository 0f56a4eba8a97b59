/** The b2b service's settings (environment variables), checked at start-up by the kernel (lib/settings.ts). */
import { defineSettings } from '../../lib/settings';

const KEY_HEX = /^[0-9a-fA-F]{64}$/;
const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

export const b2bSettings = defineSettings({
  B2B_DEV_ENDPOINTS: { kind: 'bool', env: 'B2B_DEV_ENDPOINTS', default: true, doc: 'false: GET dev/token and dev/ping are 404s like unknown paths' },
  B2B_CLOCK_SKEW_SECONDS: { kind: 'int', env: 'B2B_CLOCK_SKEW_SECONDS', default: 60, min: 0, doc: "how far in the future a token's stamp may lie" },
  B2B_MAX_TOKEN_AGE_SECONDS: {
    kind: 'int', env: 'B2B_MAX_TOKEN_AGE_SECONDS', default: 172800, min: 1,
    doc: "longest life of a token whatever its age says (the vendor's lifetime): a stamp older than this is expired",
  },
  B2B_AUTH_MAX_FAILURES: {
    kind: 'int', env: 'B2B_AUTH_MAX_FAILURES', default: 5, min: 1, doc: 'wrong signatures for one user within the window that lock it',
  },
  B2B_AUTH_MAX_FAILURES_PER_ADDRESS: {
    kind: 'int', env: 'B2B_AUTH_MAX_FAILURES_PER_ADDRESS', default: 50, min: 0,
    doc: 'wrong signatures and unknown users from one client address (IPv6: its /64) within the window that lock it; 0: no address limit',
  },
  B2B_AUTH_WINDOW_SECONDS: { kind: 'int', env: 'B2B_AUTH_WINDOW_SECONDS', default: 900, min: 1, doc: 'how long failures are remembered' },
  B2B_AUTH_LOCK_SECONDS: { kind: 'int', env: 'B2B_AUTH_LOCK_SECONDS', default: 900, min: 1, doc: 'how long a user or address stays locked' },
  B2B_MAX_MEMBERSHIPS_PER_REQUEST: {
    kind: 'int', env: 'B2B_MAX_MEMBERSHIPS_PER_REQUEST', default: 10000, min: 1, doc: 'most groups_refs entries of one upsert_users request (all items together)',
  },
  B2B_UPSERT_TIMEOUT_MS: {
    kind: 'int', env: 'B2B_UPSERT_TIMEOUT_MS', default: 10000, min: 1,
    doc: "longest time a batch upsert may take, waiting for its domain's lock included (then 503, nothing written)",
  },
  B2B_SECRET_KEY: {
    kind: 'secret', env: 'B2B_SECRET_KEY', doc: 'AES-256 key of pass_hash at rest: 64 hex digits or base64 of 32 bytes (default: generated once)',
    parse: (raw) => {
      if (!KEY_HEX.test(raw) && !KEY_BASE64.test(raw)) throw new Error('must be 32 bytes written as 64 hex digits or as base64');
      return raw;
    },
  },
});

/** The values as the handlers read them (at each use, so a test can switch them). */
export const b2bConfig = {
  get devEndpoints() { return b2bSettings.values.B2B_DEV_ENDPOINTS; },
  get clockSkewSeconds() { return b2bSettings.values.B2B_CLOCK_SKEW_SECONDS; },
  get maxTokenAgeSeconds() { return b2bSettings.values.B2B_MAX_TOKEN_AGE_SECONDS; },
  get throttle() {
    const v = b2bSettings.values;
    return {
      maxPerUser: v.B2B_AUTH_MAX_FAILURES, maxPerAddress: v.B2B_AUTH_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: v.B2B_AUTH_WINDOW_SECONDS, lockSeconds: v.B2B_AUTH_LOCK_SECONDS,
    };
  },
  get maxMembershipsPerRequest() { return b2bSettings.values.B2B_MAX_MEMBERSHIPS_PER_REQUEST; },
  get upsertTimeoutMs() { return b2bSettings.values.B2B_UPSERT_TIMEOUT_MS; },
  /** raw: _crypto.ts parses it and names a malformed key at first use too */
  get secretKey() { return process.env.B2B_SECRET_KEY || undefined; },
};
