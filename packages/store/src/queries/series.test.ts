import { describe, expect, it } from 'vitest';
import { metricsCsv, runListCsv } from './csv.ts';
import { downsample } from './series.ts';
import { spec, tempStore } from '../testing/temp.ts';

describe('metric series', () => {
  it('downsamples long series to at most maxPoints, keeping each bucket\'s min and max (spikes survive)', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const n = 5000;
    const value = (step: number): number => (step === 1234 ? 100 : step === 4321 ? -100 : Math.sin(step / 100));
    for (let from = 0; from < n; from += 1000) {
      store.logBatch(run.id, { metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: value(from + i), step: from + i, epoch: Math.floor((from + i) / 500) })) });
    }
    const [series] = store.getMetricSeries({ runIds: [run.id], keys: ['loss'], maxPoints: 100 });
    expect(series).toMatchObject({ runId: run.id, key: 'loss', totalPoints: n, downsampled: true });
    expect(series!.points.length).toBeLessThanOrEqual(100);
    expect(series!.points.reduce((sum, p) => sum + p.count, 0)).toBe(n);
    expect(Math.max(...series!.points.map((p) => p.max))).toBe(100);
    expect(Math.min(...series!.points.map((p) => p.min))).toBe(-100);
    // each bucket is its last point, in step order, with the extremes of the points it stands for
    const steps = series!.points.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(series!.points.at(-1)).toMatchObject({ step: n - 1, value: value(n - 1), epoch: 9 });
    const spike = series!.points.find((p) => p.max === 100)!;
    expect(spike.step).toBeGreaterThanOrEqual(1234);
    expect(spike.value).not.toBe(100); // the spike is not the bucket's last point, yet its max says 100
  });

  it('returns short series as they are, several runs and keys in one call, in request order', () => {
    const store = tempStore();
    const a = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const b = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    store.logBatch(a.id, { metrics: [{ key: 'loss', value: 2, step: 1 }, { key: 'acc', value: 0.5, step: 1 }] });
    store.logBatch(b.id, { metrics: [{ key: 'loss', value: 3, step: 1 }, { key: 'loss', value: 1, step: 2 }] });
    const series = store.getMetricSeries({ runIds: [b.id, a.id], keys: ['loss', 'acc'] });
    expect(series.map((s) => [s.runId, s.key, s.totalPoints, s.downsampled])).toEqual([
      [b.id, 'loss', 2, false],
      [b.id, 'acc', 0, false],
      [a.id, 'loss', 1, false],
      [a.id, 'acc', 1, false],
    ]);
    expect(series[0]!.points).toEqual([
      { step: 1, epoch: null, timestamp: expect.any(Number), value: 3, min: 3, max: 3, count: 1 },
      { step: 2, epoch: null, timestamp: expect.any(Number), value: 1, min: 1, max: 1, count: 1 },
    ]);
    expect(() => store.getMetricSeries({ runIds: ['nope'], keys: ['loss'] })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => store.getMetricSeries({ runIds: [a.id], keys: ['loss'], maxPoints: 1 })).toThrow(/maxPoints must be at least 2/);
    expect(store.listMetricKeys([a.id])).toEqual(['acc', 'loss']);
    expect(store.listMetricKeys()).toEqual(['acc', 'loss']);
  });

  it('downsample: a bucket of only NaN reports NaN extremes; uneven steps never exceed maxPoints', () => {
    const rows: [number, number | null, number | null, number][] = [
      [0, null, null, 0],
      [1, null, null, 0],
      [1000, null, 5, 0],
      [1001, null, 7, 0],
    ];
    const points = downsample(rows, 0, 1001, 2);
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ step: 1, count: 2 });
    expect(points[0]!.min).toBeNaN();
    expect(points[1]).toMatchObject({ step: 1001, value: 7, min: 5, max: 7, count: 2 });
  });

  it('downsampling through the packed blocks gives exactly the reference buckets, with NaN, infinities and uneven steps', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const metrics = [];
    let step = 3;
    for (let i = 0; i < 999; i++) {
      step += 1 + Math.floor(rand() * 20); // uneven gaps
      const r = rand();
      const value = r < 0.05 ? Number.NaN : r < 0.07 ? Infinity : r < 0.09 ? -Infinity : rand() * 10 - 5;
      metrics.push({ key: 'loss', value, step, epoch: i % 3 === 0 ? null : i / 10, timestamp: 1000 + i });
    }
    store.logBatch(run.id, { metrics });
    const raw = store.getMetricHistory(run.id, 'loss').map((p) => [p.step, p.epoch, Number.isNaN(p.value) ? null : p.value, p.timestamp] as [number, number | null, number | null, number]);
    for (const maxPoints of [2, 7, 100, 333, 998]) {
      const [series] = store.getMetricSeries({ runIds: [run.id], keys: ['loss'], maxPoints });
      expect(series!.downsampled).toBe(true);
      expect(series!.points, `maxPoints ${maxPoints}`).toEqual(downsample(raw, raw[0]![0], raw.at(-1)![0], maxPoints));
    }
  });

  it('getMetricColumns gives the same buckets as getMetricSeries, as columns, with min/max kept when downsampled', () => {
    const store = tempStore();
    const a = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const b = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const metrics = [];
    for (let step = 1; step <= 900; step++) {
      const value = step === 400 ? 50 : step === 401 ? -50 : step % 97 === 0 ? Number.NaN : step % 211 === 0 ? Infinity : Math.cos(step / 40);
      metrics.push({ key: 'loss', value, step: step * 3, epoch: step % 5 === 0 ? null : step / 100, timestamp: 5000 + step });
    }
    store.logBatch(a.id, { metrics });
    store.logBatch(b.id, { metrics: [{ key: 'loss', value: Number.NaN, step: 0 }, { key: 'loss', value: 2, step: 1, epoch: 0 }] });
    for (const maxPoints of [2, 50, 899, 900, 1000]) {
      const query = { runIds: [a.id, b.id], keys: ['loss', 'absent'], maxPoints };
      const columns = store.getMetricColumns(query);
      const series = store.getMetricSeries(query);
      expect(columns.map((c) => [c.runId, c.key, c.totalPoints, c.downsampled])).toEqual(series.map((s) => [s.runId, s.key, s.totalPoints, s.downsampled]));
      columns.forEach((c, i) => {
        const points = series[i]!.points;
        expect(c.step, `maxPoints ${maxPoints}`).toEqual(points.map((p) => p.step));
        expect(c.epoch).toEqual(points.map((p) => p.epoch));
        expect(c.timestamp).toEqual(points.map((p) => p.timestamp));
        expect(c.value).toEqual(points.map((p) => p.value));
        if (c.downsampled) {
          expect(c.min).toEqual(points.map((p) => p.min));
          expect(c.max).toEqual(points.map((p) => p.max));
          expect(c.count).toEqual(points.map((p) => p.count));
        } else {
          expect([c.min, c.max, c.count]).toEqual([undefined, undefined, undefined]);
        }
      });
    }
    const [raw] = store.getMetricColumns({ runIds: [a.id], keys: ['loss'], maxPoints: 900 });
    expect(raw!.downsampled).toBe(false);
    expect(raw!.value[96]).toBeNaN(); // step 97: NaN read back as NaN
    expect(raw!.value[210]).toBe(Infinity);
    const [down] = store.getMetricColumns({ runIds: [a.id], keys: ['loss'], maxPoints: 10 });
    expect(down!.step.length).toBeLessThanOrEqual(10);
    expect(down!.count!.reduce((x, y) => x + y, 0)).toBe(900);
    // the spikes survive in min/max although neither is its bucket's last point
    expect(Math.min(...down!.min!)).toBe(-50);
    expect(down!.max).toContain(Infinity);
    const spike = down!.min!.indexOf(-50);
    expect(down!.value[spike]).not.toBe(-50);
    expect(() => store.getMetricColumns({ runIds: [a.id], keys: ['loss'], maxPoints: 1 })).toThrow(/maxPoints must be at least 2/);
    expect(() => store.getMetricColumns({ runIds: ['nope'], keys: ['loss'] })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('getMetricsAfter streams new points by cursor, filtered by runs and keys, across runs', () => {
    const store = tempStore();
    const a = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const b = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    expect(store.lastMetricId()).toBe(0);
    store.logBatch(a.id, { metrics: [{ key: 'loss', value: 1, step: 1 }] });
    const start = store.getMetricsAfter({ afterId: 0 });
    expect(start.points).toHaveLength(1);
    store.logBatch(b.id, { metrics: [{ key: 'loss', value: 2, step: 1 }, { key: 'acc', value: 0.1, step: 1 }] });
    store.logBatch(a.id, { metrics: [{ key: 'loss', value: 0.5, step: 2 }] });
    const next = store.getMetricsAfter({ afterId: start.cursor });
    expect(next.points.map((p) => [p.runId, p.key, p.value])).toEqual([
      [b.id, 'loss', 2],
      [b.id, 'acc', 0.1],
      [a.id, 'loss', 0.5],
    ]);
    expect(next.cursor).toBe(store.lastMetricId());
    expect(store.getMetricsAfter({ afterId: next.cursor })).toEqual({ points: [], cursor: next.cursor });
    // filters: the cursor still advances past points the filter leaves out
    const onlyA = store.getMetricsAfter({ afterId: start.cursor, runIds: [a.id], keys: ['loss'] });
    expect(onlyA.points.map((p) => p.value)).toEqual([0.5]);
    expect(onlyA.cursor).toBe(next.cursor);
    // a full page continues from its last point
    const paged = store.getMetricsAfter({ afterId: 0, limit: 2 });
    expect(paged.points).toHaveLength(2);
    expect(store.getMetricsAfter({ afterId: paged.cursor }).points).toHaveLength(2);
  });

  it('a resumed run\'s re-logged points get new ids, so live readers see them; ids are never reused', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    store.logBatch(run.id, { metrics: [1, 2, 3].map((step) => ({ key: 'loss', value: step, step })) });
    const cursor = store.lastMetricId();
    store.resumeRun(run.id, { fromStep: 1 });
    store.logBatch(run.id, { metrics: [2, 3].map((step) => ({ key: 'loss', value: step * 10, step })) });
    const after = store.getMetricsAfter({ afterId: cursor });
    expect(after.points.map((p) => p.value)).toEqual([20, 30]);
    expect(after.points.every((p) => p.id > cursor)).toBe(true);
  });
});

describe('CSV export', () => {
  it('exports the run list with tag, param and metric columns, quoting where needed', () => {
    const store = tempStore();
    const a = store.createRun({ specHash: 'test-spec', experiment: 'e', name: 'has,comma', resolvedSpec: spec('vgg11'), tags: { note: 'say "hi"' }, startTime: 0 });
    store.logBatch(a.id, { metrics: [{ key: 'val/accuracy', value: 0.5, step: 1 }, { key: 'val/accuracy', value: 0.25, step: 2 }] });
    store.createRun({ specHash: 'test-spec', experiment: 'e', name: 'plain', resolvedSpec: spec('vgg16'), startTime: 1 });
    const lines = [...runListCsv(store, { sortBy: 'startTime', order: 'asc' })];
    expect(lines).toHaveLength(3);
    const header = lines[0]!.trimEnd().split(',');
    expect(header.slice(0, 4)).toEqual(['id', 'name', 'experiment', 'status']);
    expect(header).toEqual(expect.arrayContaining(['tag:note', 'param:model.name', 'metric:val/accuracy', 'metric.max:val/accuracy']));
    expect(lines[1]).toContain('"has,comma"');
    expect(lines[1]).toContain('"say ""hi"""');
    expect(lines[1]).toMatch(/,"say ""hi""","\[32,32,3\]",vgg11,test,0\.001,adam,0,2,0\.25,0\.25,0\.5\n$/);
    expect(lines[2]!.trimEnd().endsWith(',,,')).toBe(true); // no metric: empty cells
  });

  it('exports metric points row by row, NaN and infinities as nan/inf', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', name: 'r', resolvedSpec: {} });
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: Number.NaN, step: 1, epoch: 0, timestamp: 0 }, { key: 'loss', value: -Infinity, step: 2, timestamp: 1000 }] });
    expect([...metricsCsv(store, { runIds: [run.id] })]).toEqual([
      'run_id,run_name,key,step,epoch,timestamp,value\n',
      `${run.id},r,loss,1,0,1970-01-01T00:00:00.000Z,nan\n`,
      `${run.id},r,loss,2,,1970-01-01T00:00:01.000Z,-inf\n`,
    ]);
    expect(() => [...metricsCsv(store, { runIds: ['missing'] })]).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('a long export can be interleaved with other calls on the same store (as a streamed HTTP response is)', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', name: 'r', resolvedSpec: {} });
    for (let from = 0; from < 12_000; from += 1000) {
      store.logBatch(run.id, { metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: i, step: from + i })) });
    }
    let lines = 0;
    for (const line of metricsCsv(store, { runIds: [run.id] })) {
      lines++;
      if (lines % 3000 === 0) {
        store.listRuns(); // would throw "connection is busy" if a statement were held open across yields
        store.logMetric(run.id, { key: 'other', value: lines, step: lines });
      }
      void line;
    }
    expect(lines).toBe(12_001);
  });
});
