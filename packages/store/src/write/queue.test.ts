import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createMetricQueue } from './queue.ts';
import { StoreError } from '../errors.ts';
import type { RunStore, RunWriter } from '../interfaces.ts';
import { openStore } from '../store.ts';
import { tempDir, tempStore } from '../testing/temp.ts';

describe('createMetricQueue', () => {
  it('holds points until flush, then writes them; close flushes the rest and refuses later logs', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const queue = createMetricQueue(store, run.id, { flushEveryMs: 60_000 });
    queue.logMetric({ key: 'loss', value: 1, step: 1 });
    queue.logParam('batch', '32');
    queue.setTag('phase', 'train');
    expect(queue.pending).toBe(3);
    expect(store.getMetricHistory(run.id, 'loss')).toEqual([]);
    await queue.flush();
    expect(queue.pending).toBe(0);
    expect(store.getRun(run.id)).toMatchObject({ params: { batch: '32' }, tags: { phase: 'train' } });
    queue.logMetric({ key: 'loss', value: 0.5, step: 2 });
    await queue.close();
    expect(store.getMetricHistory(run.id, 'loss').map((p) => p.value)).toEqual([1, 0.5]);
    expect(() => queue.logMetric({ key: 'loss', value: 0.1, step: 3 })).toThrow(/closed/);
  });

  it('writes in the background every flushEveryMs, stamping points with the time they were logged', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const queue = createMetricQueue(store, run.id, { flushEveryMs: 20 });
    const before = Date.now();
    queue.logMetric({ key: 'loss', value: 1, step: 1 });
    await expect.poll(() => store.getMetricHistory(run.id, 'loss').length, { timeout: 5000, interval: 10 }).toBe(1);
    const [point] = store.getMetricHistory(run.id, 'loss');
    expect(point!.timestamp).toBeGreaterThanOrEqual(before);
    expect(point!.timestamp).toBeLessThanOrEqual(Date.now());
    await queue.close();
  });

  it('flushes synchronously at maxPending and splits anything beyond the batch limits', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const queue = createMetricQueue(store, run.id, { flushEveryMs: 60_000, maxPending: 10 });
    for (let step = 0; step < 9; step++) queue.logMetric({ key: 'loss', value: step, step });
    expect(store.getMetricHistory(run.id, 'loss')).toHaveLength(0);
    queue.logMetric({ key: 'loss', value: 9, step: 9 });
    expect(store.getMetricHistory(run.id, 'loss')).toHaveLength(10);

    const big = createMetricQueue(store, run.id, { flushEveryMs: 60_000, maxPending: 100_000 });
    big.logBatch({
      metrics: Array.from({ length: 2500 }, (_, i) => ({ key: 'acc', value: i, step: i })),
      params: Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
      tags: Array.from({ length: 250 }, (_, i) => ({ key: `t${i}`, value: String(i) })),
    });
    await big.close();
    const details = store.getRun(run.id)!;
    expect(details.metrics.acc!.count).toBe(2500);
    expect(Object.keys(details.params)).toHaveLength(150);
    expect(Object.keys(details.tags)).toHaveLength(250);
    await queue.close();
  });

  it('rejects a bad point at the call that logged it, not at a later flush', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const queue = createMetricQueue(store, run.id);
    expect(() => queue.logMetric({ key: 'loss', value: 1, step: -0.5 })).toThrow('metrics[0].step (loss) must be a safe integer, received -0.5');
    expect(queue.pending).toBe(0);
    expect(() => createMetricQueue(store, 'no-such-run')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await queue.close();
  });

  it('keeps its points when the database stays locked past the timeout, and writes them on the next flush', async () => {
    const file = join(tempDir(), 'vgglab.db');
    const store = openStore(file, { busyTimeoutMs: 50 });
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const queue = createMetricQueue(store, run.id, { flushEveryMs: 60_000 });
    queue.logMetric({ key: 'loss', value: 1, step: 1 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    await expect(queue.flush()).rejects.toThrow(/locked/);
    expect(queue.pending).toBe(1);
    other.exec('COMMIT');
    other.close();
    await queue.flush();
    expect(store.getMetricHistory(run.id, 'loss')).toHaveLength(1);
    await queue.close();
    store.close();
  });

  it('a background failure that cannot succeed (a param changing value) is reported at the next call', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: { lr: 0.1 } });
    const queue = createMetricQueue(store, run.id, { flushEveryMs: 10 });
    queue.logParam('lr', '0.2');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(() => queue.logMetric({ key: 'loss', value: 1, step: 1 })).toThrow(/param "lr" was already logged with value "0.1"/);
    expect(queue.pending).toBe(0);
    queue.logMetric({ key: 'loss', value: 1, step: 1 });
    await queue.close();
    expect(store.getMetricHistory(run.id, 'loss')).toHaveLength(1);
  });

  it('flushes pending points when the process exits without closing the queue', async () => {
    const file = join(tempDir(), 'vgglab.db');
    const store = openStore(file);
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const worker = fileURLToPath(new URL('../testing/worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', worker, 'queue-exit', file, run.id], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ pending: 1500 }); // nothing was written before exit
    expect(store.getRun(run.id)!.metrics.loss!.count).toBe(1500);
    store.close();
  }, 30_000);

  it('with a writer that answers later (over HTTP): one batch at a time, in order; flush resolves once all are acknowledged', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const writer = delayedWriter(store);
    const queue = createMetricQueue(writer, run.id, { flushEveryMs: 60_000, maxPending: 3 });
    for (let step = 1; step <= 7; step++) queue.logMetric({ key: 'loss', value: step, step });
    // maxPending was reached at step 3: that batch is in flight; the next write waits behind it.
    expect(writer.inFlight).toBe(1);
    const flushed = queue.flush();
    let done = false;
    void flushed.then(() => (done = true));
    await writer.answerAll();
    await flushed;
    expect(done).toBe(true);
    expect(writer.maxInFlight).toBe(1);
    expect(queue.pending).toBe(0);
    // Steps 4..7 were logged while the first batch was in flight: they go out together, after it.
    expect(writer.batches.map((b) => b.map((m) => m.step))).toEqual([[1, 2, 3], [4, 5, 6, 7]]);
    expect(store.getMetricHistory(run.id, 'loss').map((p) => p.value)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await queue.close();
  });

  it('a refused write from a writer that answers later (a newer attempt: CONFLICT): to the flush that awaited it, or at the next call', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const writer = delayedWriter(store);
    const queue = createMetricQueue(writer, run.id, { flushEveryMs: 60_000, maxPending: 2 });
    writer.refuse = new StoreError('CONFLICT', 'run is at attempt 2');
    queue.logMetric({ key: 'loss', value: 1, step: 1 });
    const flushed = expect(queue.flush()).rejects.toThrow(/attempt 2/);
    await writer.answerAll();
    await flushed;
    // A write nobody awaits (maxPending reached): its refusal is thrown by the next call.
    writer.refuse = new StoreError('CONFLICT', 'run is at attempt 3');
    queue.logMetric({ key: 'loss', value: 2, step: 2 });
    queue.logMetric({ key: 'loss', value: 3, step: 3 });
    await writer.answerAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => queue.logMetric({ key: 'loss', value: 4, step: 4 })).toThrow(/attempt 3/);
    expect(store.getMetricHistory(run.id, 'loss')).toEqual([]);
  });

  it('heartbeats every heartbeatEveryMs while nothing is logged (a long validation pass), and stops on close', async () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    let beats = 0;
    const counting: RunWriter = { ...bind(store), heartbeat: (id, pid, fence) => (beats++, store.heartbeat(id, pid, fence)) };
    const queue = createMetricQueue(counting, run.id, { flushEveryMs: 60_000, heartbeatEveryMs: 10 });
    expect(beats).toBe(1); // the check at creation
    await expect.poll(() => beats, { timeout: 10_000, interval: 5 }).toBeGreaterThan(3);
    await queue.close();
    const after = beats;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(beats).toBe(after);

    const quiet = createMetricQueue(counting, run.id, { heartbeatEveryMs: 0 });
    beats = 0;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(beats).toBe(0);
    await quiet.close();
  });
});

/** Every method of a store, bound, as a plain RunWriter object. */
function bind(store: RunStore): RunWriter {
  const names = ['createExperiment', 'createRun', 'setRunStatus', 'heartbeat', 'resumeRun', 'deleteMetricsAfter', 'logBatch', 'logMetric', 'logParam', 'setTag', 'logArtifact', 'logEvaluation', 'close'] as const;
  return Object.fromEntries(names.map((n) => [n, (store[n] as (...a: unknown[]) => unknown).bind(store)])) as unknown as RunWriter;
}

/** A writer whose logBatch answers only when the test says so (as a network writer would, later), in order. */
function delayedWriter(store: RunStore) {
  const waiting: (() => void)[] = [];
  const state = {
    ...bind(store),
    inFlight: 0,
    maxInFlight: 0,
    batches: [] as { step: number }[][],
    refuse: undefined as Error | undefined,
    logBatch(runId: string, batch: Parameters<RunStore['logBatch']>[1]): Promise<void> {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      return new Promise<void>((resolve, reject) => {
        waiting.push(() => {
          state.inFlight--;
          if (state.refuse) return reject(state.refuse);
          state.batches.push([...(batch.metrics ?? [])]);
          store.logBatch(runId, batch);
          resolve();
        });
      });
    },
    /** Answers every write, including those that start while answering. */
    async answerAll(): Promise<void> {
      for (let rounds = 0; rounds < 100; rounds++) {
        await new Promise((resolve) => setImmediate(resolve));
        const next = waiting.shift();
        if (!next) {
          if (state.inFlight === 0) return;
          continue;
        }
        next();
      }
    },
  };
  return state;
}
