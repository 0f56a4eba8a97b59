/**
 * Group commit for small autocommitted writes on every request's path (an audit row per call): callers that arrive
 * while a batch is being written wait, and are then written together, in one statement and one transaction. Nobody
 * waits for a timer: a caller that finds nothing in flight is written at once, alone; under load the batches grow by
 * themselves, up to `max` items. Each caller's promise settles only when its own batch's statement has committed (or
 * failed, which fails every caller of that batch), so a caller that answers after it resolves never acknowledges a
 * write that could still be lost: this changes how many transactions PostgreSQL commits, not what is durable.
 *
 * One batch is in flight at a time per batcher, in this process; processes batch independently.
 */
export interface Batcher<I, R> {
  (item: I): Promise<R>;
  /** items waiting or being written */
  readonly pending: number;
}

export function batcher<I, R>(write: (items: I[]) => Promise<R[]>, opts: { max?: number } = {}): Batcher<I, R> {
  const max = Math.max(1, opts.max ?? 100);
  let queue: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let writing = 0;
  let busy = false;

  async function drain(): Promise<void> {
    busy = true;
    try {
      while (queue.length) {
        const batch = queue.length <= max ? queue : queue.slice(0, max);
        queue = queue.length <= max ? [] : queue.slice(max);
        writing = batch.length;
        try {
          const results = await write(batch.map((b) => b.item));
          if (results.length !== batch.length) throw new Error(`batch write answered ${results.length} results for ${batch.length} items`);
          batch.forEach((b, i) => b.resolve(results[i]));
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      writing = 0;
      busy = false;
    }
  }

  const submit = ((item: I) => new Promise<R>((resolve, reject) => {
    queue.push({ item, resolve, reject });
    if (!busy) void drain();
  })) as Batcher<I, R>;
  Object.defineProperty(submit, 'pending', { get: () => queue.length + writing });
  return submit;
}
