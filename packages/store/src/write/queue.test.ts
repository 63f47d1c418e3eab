import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createMetricQueue } from './queue.ts';
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
});
