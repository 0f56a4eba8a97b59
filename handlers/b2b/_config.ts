/** The b2b service's settings (environment variables), checked at start-up by the kernel (lib/settings.ts). */
import { defineSettings } from '../../lib/settings';

const KEY_HEX = /^[0-9a-fA-F]{64}$/;
const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

export const b2bSettings = defineSettings({
  B2B_DEV_ENDPOINTS: { kind: 'bool', env: 'B2B_DEV_ENDPOINTS', default: true, doc: 'false: GET dev/token and dev/ping are 404s like unknown paths' },
  B2B_CLOCK_SKEW_SECONDS: { kind: 'int', env: 'B2B_CLOCK_SKEW_SECONDS', default: 60, min: 0, doc: "how far in the future a token's stamp may lie" },
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
  /** raw: _crypto.ts parses it and names a malformed key at first use too */
  get secretKey() { return process.env.B2B_SECRET_KEY || undefined; },
};
