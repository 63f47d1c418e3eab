import { describe, expect, it } from 'vitest';
import type { ParamSpaceJson } from '../wire/compare-json.ts';
import { buildParallel, metricColor, MISSING_POSITION, passesBrushes, toListBrush } from './parallel.ts';

const space: ParamSpaceJson = {
  metric: 'val/accuracy',
  total: 4,
  limit: 1000,
  varying: ['model.name', 'optimizer.lr', 'optimizer.options.momentum'],
  constant: [{ key: 'data.name', value: 'shapes' }],
  runs: [
    { id: 'a', name: 'a', status: 'finished', params: { 'model.name': 'vgg11', 'optimizer.lr': '0.0001' }, last: 0.8, min: 0.3, max: 0.82 },
    { id: 'b', name: 'b', status: 'finished', params: { 'model.name': 'vgg16', 'optimizer.lr': '0.01', 'optimizer.options.momentum': '0.9' }, last: 0.9, min: 0.3, max: 0.91 },
    { id: 'c', name: 'c', status: 'finished', params: { 'model.name': 'vgg16', 'optimizer.lr': '0.001' }, last: 0.7, min: 0.3, max: 0.74 },
    { id: 'd', name: 'd', status: 'running', params: { 'model.name': 'vgg9', 'optimizer.lr': '0.001' }, last: null, min: null, max: null },
  ],
};

describe('parallel coordinates', () => {
  const data = buildParallel(space, 'best');

  it('draws an axis per varying param (log for a learning rate, categories in natural order) and one for the metric', () => {
    expect(data.axes.map((a) => [a.key, a.scale])).toEqual([
      ['model.name', 'category'],
      ['optimizer.lr', 'log'],
      ['optimizer.options.momentum', 'linear'],
      ['val/accuracy', 'linear'],
    ]);
    expect(data.axes[0]!.categories).toEqual(['vgg9', 'vgg11', 'vgg16']);
    expect(data.axes[3]!.label).toBe('best (max) val/accuracy');
    const b = data.lines.find((l) => l.runId === 'b')!;
    expect(b.positions[0]).toBeCloseTo(2.5 / 3);
    expect(b.positions[1]).toBeCloseTo(1); // 1e-2 is the top of 1e-4..1e-2
    expect(data.lines.find((l) => l.runId === 'c')!.positions[1]).toBeCloseTo(0.5); // 1e-3 halfway on a log axis
    expect(data.lines.find((l) => l.runId === 'a')!.positions[2]).toBe(MISSING_POSITION);
    expect(data.lines.find((l) => l.runId === 'd')!.positions[3]).toBe(MISSING_POSITION);
    expect(data.metricRange).toEqual({ worst: 0.74, best: 0.91 });
  });

  it('keeps the lines inside every brush and turns each brush into the run list’s brush', () => {
    const lr = { key: 'optimizer.lr', low: 0.4, high: 1 };
    const kept = data.lines.filter((l) => passesBrushes(data, l, [lr])).map((l) => l.runId);
    expect(kept).toEqual(['b', 'c', 'd']);
    const listBrush = toListBrush(data, lr, 'best', 'val/accuracy')!;
    expect(listBrush).toMatchObject({ param: 'optimizer.lr' });
    expect((listBrush as { min: number }).min).toBeCloseTo(10 ** -3.2);
    expect((listBrush as { max: number }).max).toBeCloseTo(0.01);
    const models = { key: 'model.name', low: 0.5, high: 1 };
    expect(toListBrush(data, models, 'best', 'val/accuracy')).toEqual({ param: 'model.name', values: ['vgg11', 'vgg16'] });
    const metric = { key: 'val/accuracy', low: 0.5, high: 1 };
    expect(toListBrush(data, metric, 'best', 'val/accuracy')).toMatchObject({ metric: 'val/accuracy', of: 'max', max: 0.91 });
    expect(toListBrush(buildParallel(space, 'last'), metric, 'last', 'val/accuracy')).toMatchObject({ of: 'latest' });
    // a run without the metric is outside any brush of the metric axis
    expect(data.lines.filter((l) => passesBrushes(data, l, [lr, metric])).map((l) => l.runId)).toEqual(['b']);
  });

  it('colours the best line green and the worst red', () => {
    expect(metricColor(0.91, data.metricRange)).toBe('rgb(26, 152, 80)');
    expect(metricColor(0.74, data.metricRange)).toBe('rgb(215, 48, 39)');
    expect(metricColor(null, data.metricRange)).toBe('#9ca3af');
  });
});
