import { describe, expect, it } from 'vitest';
import { MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH } from '../defaults.ts';
import { spec, tempStore } from '../testing/temp.ts';
import type { MetricInput } from '../types.ts';

const points = (key: string, n: number, from = 0): MetricInput[] => Array.from({ length: n }, (_, i) => ({ key, value: i, step: from + i }));

describe('logBatch', () => {
  it('stores NaN, Infinity and -Infinity faithfully in history, latest values, series, live points and export', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: spec() });
    store.logBatch(run.id, {
      metrics: [
        { key: 'loss', value: Number.NaN, step: 1 },
        { key: 'loss', value: Infinity, step: 2 },
        { key: 'loss', value: -Infinity, step: 3 },
        { key: 'loss', value: -0.25, step: 4 },
        { key: 'nan-last', value: 1, step: 1 },
        { key: 'nan-last', value: Number.NaN, step: 2 },
      ],
    });
    expect(store.getMetricHistory(run.id, 'loss').map((p) => p.value)).toEqual([Number.NaN, Infinity, -Infinity, -0.25]);
    const latest = store.getRun(run.id)!.metrics;
    expect(latest.loss).toMatchObject({ value: -0.25, min: -Infinity, minStep: 3, max: Infinity, maxStep: 2, count: 4 });
    // NaN counts as the latest value but never as min/max
    expect(latest['nan-last']).toMatchObject({ value: Number.NaN, step: 2, min: 1, max: 1, count: 2 });
    const [series] = store.getMetricSeries({ runIds: [run.id], keys: ['loss'] });
    expect(series!.points.map((p) => p.value)).toEqual([Number.NaN, Infinity, -Infinity, -0.25]);
    expect(store.getMetricsAfter({ afterId: 0, keys: ['loss'] }).points.map((p) => p.value)).toEqual([Number.NaN, Infinity, -Infinity, -0.25]);
    expect([...store.iterateMetrics({ runIds: [run.id], keys: ['loss'] })].map((p) => p.value)).toEqual([Number.NaN, Infinity, -Infinity, -0.25]);
  });

  it(`checks the limits (${MAX_METRICS_PER_BATCH} metrics, ${MAX_PARAMS_PER_BATCH} params, ${MAX_TAGS_PER_BATCH} tags) before writing anything, and says how to split`, () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    expect(() => store.logBatch(run.id, { metrics: points('loss', 2500) })).toThrow(
      'logBatch received 2500 metrics; the limit is 1000 per batch. Split them into 3 batches of at most 1000',
    );
    expect(() => store.logBatch(run.id, { metrics: points('loss', 10), params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })) })).toThrow(
      expect.objectContaining({ code: 'BATCH_LIMIT', message: expect.stringMatching(/101 params; the limit is 100/) }),
    );
    expect(() => store.logBatch(run.id, { tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: '1' })) })).toThrow(/101 tags/);
    expect(store.getMetricHistory(run.id, 'loss')).toEqual([]);
    // exactly at the limits is fine
    store.logBatch(run.id, {
      metrics: points('loss', MAX_METRICS_PER_BATCH),
      params: Array.from({ length: MAX_PARAMS_PER_BATCH }, (_, i) => ({ key: `p${i}`, value: String(i) })),
      tags: Array.from({ length: MAX_TAGS_PER_BATCH }, (_, i) => ({ key: `t${i}`, value: String(i) })),
    });
    const details = store.getRun(run.id)!;
    expect(details.metrics.loss!.count).toBe(MAX_METRICS_PER_BATCH);
    expect(Object.keys(details.params)).toHaveLength(MAX_PARAMS_PER_BATCH);
    expect(Object.keys(details.tags)).toHaveLength(MAX_TAGS_PER_BATCH);
  });

  it('names the bad entry and field, and writes nothing from a batch with one bad entry', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const good = points('loss', 3);
    expect(() => store.logBatch(run.id, { metrics: [...good, { key: 'loss', value: 1, step: 1.5 }] })).toThrow(
      'metrics[3].step (loss) must be a safe integer, received 1.5',
    );
    expect(() => store.logBatch(run.id, { metrics: [{ key: 'acc', value: '0.9' as unknown as number, step: 1 }] })).toThrow(
      'metrics[0].value (acc) must be a number, received "0.9"',
    );
    expect(() => store.logBatch(run.id, { metrics: [{ key: '', value: 1, step: 1 }] })).toThrow(/metrics\[0\]\.key must be a string of 1\.\.250/);
    expect(() => store.logBatch(run.id, { params: [{ key: 'lr', value: 0.1 as unknown as string }] })).toThrow('params[0].value (lr) must be a string, received 0.1');
    expect(() => store.logMetric('no-such-run', { key: 'loss', value: 1, step: 1 })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(store.getMetricHistory(run.id, 'loss')).toEqual([]);
  });

  it('params are write-once: the same value again is fine, a different one fails and rolls back the whole batch', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: { optimizer: { lr: 0.001 } } });
    store.logParam(run.id, 'optimizer.lr', '0.001');
    expect(() => store.logBatch(run.id, { metrics: points('loss', 5), params: [{ key: 'optimizer.lr', value: '0.1' }] })).toThrow(
      /param "optimizer.lr" was already logged with value "0.001"; received "0.1"/,
    );
    expect(store.getMetricHistory(run.id, 'loss')).toEqual([]);
    expect(store.getRun(run.id)!.params['optimizer.lr']).toBe('0.001');
  });

  it('tags are upserted', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, tags: { stage: 'draft' } });
    store.setTag(run.id, 'stage', 'final');
    store.logBatch(run.id, { tags: [{ key: 'note', value: 'ok' }] });
    expect(store.getRun(run.id)!.tags).toEqual({ stage: 'final', note: 'ok' });
  });

  it('keeps latest value and step, and best-so-far min/max with their steps, across batches', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    store.logBatch(run.id, { metrics: [0.5, 0.7, 0.6].map((value, i) => ({ key: 'val/accuracy', value, step: (i + 1) * 10, epoch: i + 1 })) });
    store.logBatch(run.id, { metrics: [{ key: 'val/accuracy', value: 0.65, step: 40, epoch: 4, timestamp: 1234 }] });
    expect(store.getRun(run.id)!.metrics['val/accuracy']).toEqual({
      key: 'val/accuracy',
      value: 0.65,
      step: 40,
      epoch: 4,
      timestamp: 1234,
      min: 0.5,
      minStep: 10,
      max: 0.7,
      maxStep: 20,
      count: 4,
    });
  });

  it('is idempotent on (run, key, step): re-logging a step replaces the point and the best values follow', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    store.logBatch(run.id, { metrics: [1, 9, 3].map((value, i) => ({ key: 'loss', value, step: i })) });
    // step 1 had the max (9); overwrite it with 2: the max must drop to 3, not stay stale
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 2, step: 1 }] });
    expect(store.getMetricHistory(run.id, 'loss').map((p) => [p.step, p.value])).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(store.getRun(run.id)!.metrics.loss).toMatchObject({ value: 3, step: 2, max: 3, maxStep: 2, min: 1, minStep: 0, count: 3 });
    // within one batch, the last point for a step wins
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 7, step: 5 }, { key: 'loss', value: 8, step: 5 }] });
    expect(store.getMetricHistory(run.id, 'loss', { afterStep: 2 }).map((p) => p.value)).toEqual([8]);
  });

  it('a point logged for an earlier step does not become the latest value', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 1, step: 100 }] });
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 5, step: 50 }] });
    expect(store.getRun(run.id)!.metrics.loss).toMatchObject({ value: 1, step: 100, max: 5, maxStep: 50, count: 2 });
  });
});
