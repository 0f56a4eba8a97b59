import { batcher } from '../../lib/db/batch';

const tick = () => new Promise((r) => setImmediate(r));

function controlled() {
  const calls: { items: number[]; done: (r?: unknown) => void; fail: (e: unknown) => void }[] = [];
  const write = (items: number[]) => new Promise<string[]>((resolve, reject) => {
    calls.push({ items, done: () => resolve(items.map((i) => `ok ${i}`)), fail: reject });
  });
  return { calls, write };
}

describe('batcher (lib/db/batch.ts)', () => {
  test('a lone caller is written at once; callers arriving meanwhile are written together, each after its own batch', async () => {
    const { calls, write } = controlled();
    const submit = batcher(write, { max: 10 });
    const settled: string[] = [];
    const first = submit(1).then((r) => settled.push(r));
    expect(calls.map((c) => c.items)).toEqual([[1]]);
    const rest = [2, 3, 4].map((i) => submit(i).then((r) => settled.push(r)));
    await tick();
    expect(calls).toHaveLength(1); // nobody else is written before the first batch ends
    expect(submit.pending).toBe(4);
    calls[0].done();
    await first;
    await tick();
    expect(settled).toEqual(['ok 1']); // the others wait for their own batch
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    calls[1].done();
    await Promise.all(rest);
    expect(settled).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4']);
    expect(submit.pending).toBe(0);
  });

  test('batches hold at most max items', async () => {
    const { calls, write } = controlled();
    const submit = batcher(write, { max: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => submit(i));
    for (let k = 0; k < 3; k++) {
      await tick();
      calls[k].done();
    }
    await expect(Promise.all(all)).resolves.toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3], [4, 5]]);
  });

  test('a failed write fails every caller of its batch and no other', async () => {
    const { calls, write } = controlled();
    const submit = batcher(write);
    const a = submit(1);
    const b = submit(2);
    const c = submit(3);
    calls[0].done();
    await a;
    await tick();
    calls[1].fail(new Error('database gone'));
    await expect(b).rejects.toThrow('database gone');
    await expect(c).rejects.toThrow('database gone');
    const d = submit(4);
    await tick();
    calls[2].done();
    await expect(d).resolves.toBe('ok 4');
  });

  test('a write answering the wrong number of results fails its batch', async () => {
    const submit = batcher(async (items: number[]) => items.slice(1));
    await expect(submit(1)).rejects.toThrow(/answered 0 results for 1 items/);
  });
});
