/** The b2b service's own settings, read from the environment on every use (so a test can switch them). */

function flag(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw.trim().toLowerCase());
}

export const b2bConfig = {
  /** B2B_DEV_ENDPOINTS: GET dev/token and dev/ping answer (default) or are a 404 like an unknown path */
  get devEndpoints() { return flag('B2B_DEV_ENDPOINTS', true); },
  /** B2B_CLOCK_SKEW_SECONDS: how far in the future a token's stamp may lie (default 60) */
  get clockSkewSeconds() {
    const raw = process.env.B2B_CLOCK_SKEW_SECONDS;
    if (raw === undefined || raw.trim() === '') return 60;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`B2B_CLOCK_SKEW_SECONDS must be a non-negative integer, got "${raw}"`);
    return n;
  },
  /** B2B_SECRET_KEY: AES-256 key of pass_hash at rest, 32 bytes as 64 hex digits or base64; generated once when unset */
  get secretKey() { return process.env.B2B_SECRET_KEY || undefined; },
};
