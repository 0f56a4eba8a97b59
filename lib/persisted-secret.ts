/**
 * Memoised secrets. Secrets used to be generated into a service's settings table; they now live outside the database
 * (lib/keys.ts), and migration 20261202-0300-keys-out-of-database moved the stored ones out.
 */

/** Memoise an async value, forgetting a failure so the next call tries again. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load().catch((e) => {
    value = undefined;
    throw e;
  }));
}
