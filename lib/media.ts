/** Media-type matching shared by the kernel, the contract runner and the test harness (parameters are ignored). */

export function isJsonMedia(m: string): boolean {
  const t = m.split(';')[0].trim().toLowerCase();
  return t === 'application/json' || /^application\/[\w.+-]+\+json$/.test(t);
}

/** Whether `actual` is covered by `declared` (exact, `type/*` or `*\/*`). */
export function mediaMatches(declared: string, actual: string): boolean {
  const d = declared.split(';')[0].trim().toLowerCase();
  const a = actual.split(';')[0].trim().toLowerCase();
  if (d === '*/*' || d === a) return true;
  const [dt, ds] = d.split('/');
  const [at] = a.split('/');
  return ds === '*' && dt === at;
}
