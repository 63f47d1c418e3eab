import { describe, expect, it } from 'vitest';
import { epochOrder, iterateBatches, type SampleStore } from './loader.ts';
import { BadImageError } from './probe.ts';
import { compileTransforms } from './transforms.ts';

const pipeline = compileTransforms([{ normalize: { mean: 0, std: 1 } }], { inputShape: [1, 1, 3], preprocessing: { mean: [0, 0, 0], std: [1, 1, 1] }, where: 'test', sourceSize: { width: 1, height: 1 } });

/** Sample i is one pixel of value i; `bad` indices throw like an unreadable file. */
function fakeStore(size: number, bad: number[] = []): SampleStore & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    size,
    label: (i) => i % 3,
    id: (i) => `s${i}`,
    sourceSize: () => ({ width: 1, height: 1 }),
    async load(i) {
      calls.push(i);
      await new Promise((r) => setTimeout(r, 1));
      if (bad.includes(i)) throw new BadImageError(`s${i}`, 'corrupt (test)');
      return new Uint8Array([i, i, i]);
    },
  };
}
const options = (onBadFiles: (b: { file: string; reason: string }[]) => void = () => undefined) => ({ seed: 0, splitKey: 0, strict: false, onBadFiles });

describe('epochOrder', () => {
  it('is a seeded permutation per epoch, identity without shuffle', () => {
    const a = epochOrder(50, 1, 0, true);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 1, 0, true)).toEqual(a);
    expect(epochOrder(50, 1, 1, true)).not.toEqual(a);
    expect(epochOrder(50, 2, 0, true)).not.toEqual(a);
    expect(Array.from(epochOrder(5, 1, 0, false))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('iterateBatches', () => {
  it('queues the samples of `prefetch` batches ahead before the consumer asks', async () => {
    for (const prefetch of [0, 2]) {
      const store = fakeStore(40);
      const it = iterateBatches(store, pipeline, { batchSize: 4, epoch: 0, shuffle: false, prefetch }, options());
      const first = await it.next();
      expect(Array.from(first.value!.labels)).toEqual([0, 1, 2, 0]);
      await new Promise((r) => setTimeout(r, 30));
      expect(store.calls.length).toBe(4 * (prefetch + 1)); // the held batch + prefetch ahead, no more
      await it.return(undefined);
    }
  });

  it('yields every sample once, in the epoch order, with its pixels', async () => {
    const store = fakeStore(10);
    const seen: number[] = [];
    for await (const b of iterateBatches(store, pipeline, { batchSize: 3, epoch: 4, shuffle: true }, options())) {
      const values = Array.from({ length: b.labels.length }, (_, k) => Math.round(b.x[k * 3]! * 255));
      expect(b.ids!.map((id) => Number(id.slice(1)))).toEqual(values);
      seen.push(...values);
    }
    expect(seen).toEqual(Array.from(epochOrder(10, 0, 4, true)));
  });

  it('writes later batches into the memory of released ones, with the same pixels as fresh batches', async () => {
    const collect = async (release: boolean) => {
      const out: { values: number[]; buffer: ArrayBufferLike }[] = [];
      for await (const b of iterateBatches(fakeStore(23), pipeline, { batchSize: 4, epoch: 1, shuffle: true, prefetch: 1 }, options())) {
        out.push({ values: Array.from(b.x), buffer: b.x.buffer });
        expect(b.x.length).toBe(b.labels.length * 3);
        if (release) {
          b.release!();
          b.release!(); // twice is harmless: the buffer is pooled once
        }
      }
      return out;
    };
    const fresh = await collect(false);
    const reused = await collect(true);
    expect(reused.map((b) => b.values)).toEqual(fresh.map((b) => b.values));
    // Never released: every batch has its own memory. Released: the held batch plus `prefetch` ahead (and one
    // being refilled) is all the memory the 6 batches of the epoch need.
    expect(new Set(fresh.map((b) => b.buffer)).size).toBe(6);
    expect(new Set(reused.map((b) => b.buffer)).size).toBeLessThanOrEqual(3);
    expect(reused[5]!.values).toHaveLength(3 * 3); // the last, short batch is a view of a pooled buffer
  });

  it('replaces a bad sample by the next good one and reports it once', async () => {
    const store = fakeStore(6, [2]);
    const reports: string[][] = [];
    const batches = [];
    for await (const b of iterateBatches(store, pipeline, { batchSize: 6, epoch: 0, shuffle: false }, options((bad) => reports.push(bad.map((x) => x.file))))) batches.push(b);
    expect(batches[0]!.ids).toEqual(['s0', 's1', 's3', 's3', 's4', 's5']);
    expect(Array.from(batches[0]!.labels)).toEqual([0, 1, 0, 0, 1, 2]);
    expect(reports).toEqual([['s2']]);
  });

  it("unreadable: 'drop' leaves a bad sample out (shorter batch, the others' pixels moved up) and skips an all-bad batch", async () => {
    const store = fakeStore(9, [1, 3, 4, 5]);
    const reports: string[][] = [];
    const batches = [];
    for await (const b of iterateBatches(store, pipeline, { batchSize: 3, epoch: 0, shuffle: false, unreadable: 'drop' }, options((bad) => reports.push(bad.map((x) => x.file))))) batches.push(b);
    // Batches [0 1 2] [3 4 5] [6 7 8]: the middle one has no readable sample and is not yielded.
    expect(batches.map((b) => b.ids)).toEqual([['s0', 's2'], ['s6', 's7', 's8']]);
    expect(batches.map((b) => b.shape[0])).toEqual([2, 3]);
    expect(Array.from(batches[0]!.labels)).toEqual([0, 2]);
    expect(Array.from(batches[0]!.x, (v) => Math.round(v * 255))).toEqual([0, 0, 0, 2, 2, 2]);
    expect(reports.flat().sort()).toEqual(['s1', 's3', 's4', 's5']);
  });

  it('strict: a bad sample is an error', async () => {
    const store = fakeStore(4, [1]);
    const run = async () => {
      for await (const _ of iterateBatches(store, pipeline, { batchSize: 2, epoch: 0, shuffle: false }, { ...options(), strict: true })) void _;
    };
    await expect(run()).rejects.toThrow('s1: corrupt (test)');
  });

  it('rejects a bad batch size', async () => {
    await expect(iterateBatches(fakeStore(2), pipeline, { batchSize: 0, epoch: 0, shuffle: false }, options()).next()).rejects.toThrow('batchSize must be a positive integer, received 0');
  });
});
