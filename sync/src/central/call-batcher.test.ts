// CallBatcher: calls made together run as one batch, each caller gets its own answer, batches grow while
// earlier ones run, and a failing batch fails only its own callers.
import { describe, expect, it } from 'vitest';
import { CallBatcher } from './call-batcher.js';

/** A batch runner that records each batch and finishes it only when told. */
function recorder() {
  const batches: number[][] = [];
  const finish: Array<(fail?: Error) => void> = [];
  const run = (items: readonly number[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push([...items]);
      finish.push((fail) => (fail ? reject(fail) : resolve(items.map((n) => n * 10))));
    });
  return { batches, finish, run };
}

const turn = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CallBatcher', () => {
  it('runs the calls made in one turn of the event loop as one batch and answers each its own result', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 100, maxInFlight: 1 });
    const answers = Promise.all([1, 2, 3].map((n) => b.call(n)));
    await turn();
    expect(r.batches).toEqual([[1, 2, 3]]);
    r.finish[0]?.();
    expect(await answers).toEqual([10, 20, 30]);
  });

  it('answers nobody before the batch has finished', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 100, maxInFlight: 1 });
    let answered = false;
    const p = b.call(7).then((v) => {
      answered = true;
      return v;
    });
    await turn();
    await turn();
    expect(answered).toBe(false);
    r.finish[0]?.();
    expect(await p).toBe(70);
  });

  it('gathers the calls made while a batch runs into the next one', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 100, maxInFlight: 1 });
    const first = b.call(1);
    await turn();
    const later = [2, 3, 4, 5].map((n) => b.call(n));
    await turn();
    await turn();
    expect(r.batches).toEqual([[1]]);
    r.finish[0]?.();
    await first;
    await turn();
    expect(r.batches).toEqual([[1], [2, 3, 4, 5]]);
    r.finish[1]?.();
    expect(await Promise.all(later)).toEqual([20, 30, 40, 50]);
  });

  it('keeps a batch within maxBatch and runs up to maxInFlight at once', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 2, maxInFlight: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => b.call(n)));
    await turn();
    expect(r.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    r.finish[1]?.();
    await turn();
    await turn();
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
    r.finish[0]?.();
    r.finish[2]?.();
    expect(await all).toEqual([10, 20, 30, 40, 50]);
  });

  it('fails only the callers of the batch that failed; the next batch runs', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 100, maxInFlight: 1 });
    const doomed = [b.call(1), b.call(2)];
    await turn();
    const next = b.call(3);
    r.finish[0]?.(new Error('connection lost'));
    for (const p of doomed) await expect(p).rejects.toThrow('connection lost');
    await turn();
    r.finish[1]?.();
    expect(await next).toBe(30);
  });

  it('fails a batch whose runner answered a different number of results', async () => {
    const b = new CallBatcher(async (items: readonly number[]) => items.slice(1), {
      maxBatch: 10,
      maxInFlight: 1,
    });
    await expect(Promise.all([b.call(1), b.call(2)])).rejects.toThrow('a batch of 2 answered 1');
  });
  it('with gatherMs, waits that long after its first call: calls over several turns go in one batch', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 100, maxInFlight: 1, gatherMs: 300 });
    const answers = [b.call(1)];
    await turn();
    answers.push(b.call(2));
    await sleep(5);
    answers.push(b.call(3));
    await turn();
    expect(r.batches).toEqual([]);
    await sleep(400);
    expect(r.batches).toEqual([[1, 2, 3]]);
    r.finish[0]?.();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
  });

  it('with gatherMs, runs the calls that waited behind a running batch at once, and a full batch without waiting', async () => {
    const r = recorder();
    const b = new CallBatcher(r.run, { maxBatch: 3, maxInFlight: 1, gatherMs: 60_000 });
    const full = [1, 2, 3].map((n) => b.call(n));
    await turn();
    // A full batch does not wait out the minute.
    expect(r.batches).toEqual([[1, 2, 3]]);
    const waited = [b.call(4)];
    await sleep(20);
    r.finish[0]?.();
    await Promise.all(full);
    await turn();
    await turn();
    // Call 4 is not as old as gatherMs, but a full batch is waiting behind nothing once 5 and 6 join it.
    expect(r.batches).toEqual([[1, 2, 3]]);
    waited.push(b.call(5), b.call(6));
    await turn();
    await turn();
    expect(r.batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    r.finish[1]?.();
    expect(await Promise.all(waited)).toEqual([40, 50, 60]);
  });
});
