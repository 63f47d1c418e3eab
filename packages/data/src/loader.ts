/**
 * Batches: seeded order, several samples decoding at once, batches prefetched, bad files replaced (never a
 * failure mid-epoch) or dropped (evaluation), and a memory or disk cache of decoded pixels.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Batch, BatchOptions, DatasetContext } from '@vgglab/core';
import { DEFAULT_MEMORY_CACHE_BYTES, DEFAULT_PREFETCH } from './defaults.ts';
import type { RawImage } from './decode.ts';
import { BadImageError } from './probe.ts';
import { rngFor, shuffleInPlace, STREAM } from './rng.ts';
import type { SamplePlan, TransformPipeline } from './transforms.ts';

/** Runs at most `limit` tasks at once, first come first served. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(readonly limit: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** What a dataset provides per sample; the loader does the rest. */
export interface SampleStore {
  readonly size: number;
  label(index: number): number;
  id(index: number): string;
  /** (Oriented) source size, known before decoding. */
  sourceSize(index: number): { width: number; height: number };
  /** Geometry output for one sample (uint8, the pipeline's channels per pixel). Throws BadImageError. */
  load(index: number, plan: SamplePlan): Promise<Uint8Array>;
}

export interface LoaderOptions {
  seed: number;
  /** Distinguishes the random streams of the splits. */
  splitKey: number;
  /**
   * Most samples queued for decoding at once. Default: every sample of the batches in progress (the current
   * one and `prefetch` ahead). Queued libvips jobs run on libuv's thread pool even while a synchronous
   * training step holds the main thread, so a deep queue keeps decoding going during the step.
   */
  concurrency?: number;
  /** Called with the files that failed while loading (replaced or dropped, as `BatchOptions.unreadable` says). */
  onBadFiles(bad: { file: string; reason: string }[]): void;
  /** Throw instead of replacing (strict mode: every file was verified before the first step). */
  strict: boolean;
}

/** The sample order of one epoch: a seeded permutation, or the dataset order. */
export function epochOrder(size: number, seed: number, epoch: number, shuffle: boolean, splitKey = 0): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  if (shuffle) shuffleInPlace(order, rngFor(seed, epoch, STREAM.shuffle, splitKey));
  return order;
}

/** Yields batches of `store` through `pipeline`. */
export async function* iterateBatches(
  store: SampleStore,
  pipeline: TransformPipeline,
  batch: BatchOptions,
  options: LoaderOptions,
): AsyncGenerator<Batch> {
  const { batchSize, epoch, shuffle } = batch;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, received ${batchSize}`);
  const prefetch = batch.prefetch ?? DEFAULT_PREFETCH;
  const limiter = new Limiter(options.concurrency ?? batchSize * (prefetch + 1));
  const order = epochOrder(store.size, options.seed, epoch, shuffle, options.splitKey);
  const batchCount = Math.ceil(store.size / batchSize);
  const [h, w, c] = pipeline.outputShape;
  const sampleLen = h * w * c;
  const knownBad = new Set<number>();
  const newlyBad: { file: string; reason: string }[] = [];
  let cancelled = false;

  const drop = batch.unreadable === 'drop';
  /** Loads sample `index` (or, replacing, the next good one) into `slot`; returns the sample used, or -1 (dropped). */
  const loadSample = async (index: number, x: Float32Array, slot: number): Promise<number> => {
    // Replacing: a bad file gives way to the next good sample in dataset order (deterministic), never a failure.
    for (let tries = 0, i = index; tries < Math.min(store.size, 64); tries++, i = (i + 1) % store.size) {
      if (knownBad.has(i)) {
        if (drop) return -1;
        continue;
      }
      const { width, height } = store.sourceSize(i);
      const plan = pipeline.plan(width, height, rngFor(options.seed, epoch, STREAM.augment, options.splitKey, i));
      try {
        const pixels = await store.load(i, plan);
        pipeline.finish(pixels, plan, x, slot * sampleLen);
        return i;
      } catch (e) {
        if (!(e instanceof BadImageError) || options.strict) throw e;
        knownBad.add(i);
        newlyBad.push({ file: e.file, reason: e.reason });
        if (drop) return -1;
      }
    }
    throw new Error(`no readable image found near sample ${store.id(index)}: too many bad files`);
  };

  const buffers = new BatchBufferPool(batchSize * sampleLen);
  const buildBatch = async (b: number): Promise<Batch> => {
    const start = b * batchSize;
    const n = Math.min(batchSize, store.size - start);
    const buffer = buffers.take();
    const x = buffer.subarray(0, n * sampleLen);
    const labels = new Int32Array(n);
    const ids = new Array<string>(n);
    const used = new Int32Array(n).fill(-1);
    await Promise.all(
      Array.from({ length: n }, (_, slot) =>
        limiter.run(async () => {
          if (!cancelled) used[slot] = await loadSample(order[start + slot]!, x, slot);
        }),
      ),
    );
    // Dropped samples leave holes: move the loaded ones up so the batch holds only real images.
    let kept = 0;
    for (let slot = 0; slot < n; slot++) {
      const i = used[slot]!;
      if (i < 0) continue;
      if (kept !== slot) x.copyWithin(kept * sampleLen, slot * sampleLen, (slot + 1) * sampleLen);
      labels[kept] = store.label(i);
      ids[kept] = store.id(i);
      kept++;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      buffers.give(buffer);
    };
    if (kept === n) return { x, shape: [n, h, w, c], labels, ids, release };
    return { x: x.subarray(0, kept * sampleLen), shape: [kept, h, w, c], labels: labels.slice(0, kept), ids: ids.slice(0, kept), release };
  };

  const pending: Promise<Batch>[] = [];
  let next = Math.max(0, batch.skipBatches ?? 0);
  const startNext = () => {
    if (next < batchCount) {
      const p = buildBatch(next++);
      p.catch(() => undefined); // awaited below; avoid an unhandled rejection while it waits in the queue
      pending.push(p);
    }
  };
  for (let k = 0; k <= prefetch; k++) startNext();
  try {
    for (let first = true; ; first = false) {
      if (!first) startNext(); // keeps `prefetch` batches in progress while the consumer holds one
      const waiting = pending.shift();
      if (!waiting) break;
      const ready = await waiting;
      if (newlyBad.length > 0) options.onBadFiles(newlyBad.splice(0));
      if (ready.shape[0] === 0) {
        ready.release?.(); // every sample of it was dropped
        continue;
      }
      yield ready;
    }
  } finally {
    cancelled = true;
    await Promise.allSettled(pending);
  }
}

/**
 * Float32 batch buffers handed back by consumers (Batch.release), reused for later batches. Why: a fresh
 * batch array (19 MB at 32 x 224 x 224 x 3) is zero-filled memory the kernel must fault in page by page,
 * which bench/data.ts --breakdown measured at ~0.7 ms of CPU per image on this kind of VM, against ~0.25 ms
 * for writing into memory already in use. Batches never released are simply garbage-collected.
 */
export class BatchBufferPool {
  private readonly free: Float32Array[] = [];
  constructor(readonly length: number) {}
  take(): Float32Array {
    return this.free.pop() ?? new Float32Array(this.length);
  }
  give(buffer: Float32Array): void {
    if (buffer.length === this.length) this.free.push(buffer);
  }
}

/** Key -> decoded pixels, in memory (up to a byte budget) or in files under a folder. */
export interface PixelCache {
  get(key: string): Promise<RawImage | undefined>;
  set(key: string, image: RawImage): Promise<void>;
}

export function memoryCache(warn: (m: string) => void, budget = DEFAULT_MEMORY_CACHE_BYTES): PixelCache {
  const map = new Map<string, RawImage>();
  let bytes = 0;
  let full = false;
  return {
    async get(key) {
      return map.get(key);
    },
    async set(key, image) {
      if (map.has(key)) return;
      if (bytes + image.data.length > budget) {
        if (!full) warn(`memory cache is full (${(budget / 2 ** 30).toFixed(1)} GiB); further images are decoded each epoch (use cache: disk)`);
        full = true;
        return;
      }
      bytes += image.data.length;
      map.set(key, image);
    },
  };
}

const MAGIC = 0x564c4331; // 'VLC1'

export function diskCache(dir: string, warn: (m: string) => void): PixelCache {
  let made: Promise<unknown> | null = null;
  let failed = false;
  const fileOf = (key: string) => path.join(dir, crypto.createHash('sha1').update(key).digest('hex') + '.px');
  return {
    async get(key) {
      let buf: Buffer;
      try {
        buf = await fs.readFile(fileOf(key));
      } catch {
        return undefined;
      }
      if (buf.length < 16 || buf.readUInt32LE(0) !== MAGIC) return undefined;
      const width = buf.readUInt32LE(4), height = buf.readUInt32LE(8), channels = buf.readUInt32LE(12) as 1 | 3;
      if (buf.length !== 16 + width * height * channels) return undefined;
      return { data: new Uint8Array(buf.buffer, buf.byteOffset + 16, width * height * channels), width, height, channels };
    },
    async set(key, image) {
      if (failed) return;
      try {
        made ??= fs.mkdir(dir, { recursive: true });
        await made;
        const head = Buffer.alloc(16);
        head.writeUInt32LE(MAGIC, 0);
        head.writeUInt32LE(image.width, 4);
        head.writeUInt32LE(image.height, 8);
        head.writeUInt32LE(image.channels, 12);
        const file = fileOf(key);
        const tmp = `${file}.${process.pid}.tmp`;
        await fs.writeFile(tmp, Buffer.concat([head, image.data]));
        await fs.rename(tmp, file);
      } catch (e) {
        failed = true;
        warn(`disk cache in ${dir} is not writable (${(e as Error).message}); images are decoded each epoch`);
      }
    },
  };
}

export function makeCache(context: Pick<DatasetContext, 'cache' | 'cacheDir' | 'warn'>, namespace: string): PixelCache | null {
  if (context.cache === 'memory') return memoryCache(context.warn);
  if (context.cache === 'disk') return diskCache(path.join(context.cacheDir, namespace), context.warn);
  return null;
}
