import { describe, expect, it } from 'vitest';
import {
  buildScatter,
  CATEGORY_JITTER,
  chooseXAxis,
  lowerIsBetter,
  OTHER_COLOR,
  paddedRange,
  resolvedSummary,
  scatterColumns,
  STATUS_COLORS,
  summaryOf,
  type ScatterRow,
} from './param-scatter.ts';
import { RUN_COLORS } from './format.ts';

const row = (id: string, x: string | null, metric: [number | null, number | null, number | null] | null, extra: Partial<ScatterRow> = {}): ScatterRow => ({
  id,
  name: `run-${id}`,
  status: 'finished',
  x,
  color: null,
  last: metric?.[0] ?? null,
  min: metric?.[1] ?? null,
  max: metric?.[2] ?? null,
  ...extra,
});

describe('metric summary', () => {
  it('best is the min of loss-like keys and the max of accuracy-like ones', () => {
    expect(lowerIsBetter('val/loss')).toBe(true);
    expect(lowerIsBetter('train/top1_error')).toBe(true);
    expect(lowerIsBetter('val/accuracy')).toBe(false);
    expect(resolvedSummary('best', 'val/loss')).toBe('min');
    expect(resolvedSummary('best', 'val/accuracy')).toBe('max');
    const r = { last: 0.8, min: 0.2, max: 0.9 };
    expect(summaryOf(r, 'best', 'val/accuracy')).toBe(0.9);
    expect(summaryOf(r, 'best', 'val/loss')).toBe(0.2);
    expect(summaryOf(r, 'last', 'val/accuracy')).toBe(0.8);
    expect(summaryOf(r, 'min', 'val/accuracy')).toBe(0.2);
  });

  it('has no summary without a finite value (NaN last, no points)', () => {
    expect(summaryOf({ last: NaN, min: 1, max: 2 }, 'last', 'val/loss')).toBeNull();
    expect(summaryOf({ last: 1, min: null, max: null }, 'best', 'val/loss')).toBeNull();
  });
});

describe('x axis for a param', () => {
  it('puts numbers spanning two decades or more on a log axis under auto, others linear', () => {
    expect(chooseXAxis(['0.0001', '0.001', '0.01', null], 'auto').kind).toBe('log');
    expect(chooseXAxis(['16', '32', '64'], 'auto').kind).toBe('linear');
    expect(chooseXAxis(['16', '32', '64'], 'log').kind).toBe('log');
    expect(chooseXAxis(['0.001', '0.1'], 'linear').kind).toBe('linear');
  });

  it('refuses a log axis for values <= 0 and says so', () => {
    expect(chooseXAxis(['0', '0.5', '0.9'], 'log')).toEqual({ kind: 'linear', logRefused: true });
    expect(chooseXAxis(['-1', '100'], 'auto').kind).toBe('linear');
  });

  it('makes categories of values that are not all numbers, in natural order', () => {
    expect(chooseXAxis(['vgg16', 'vgg11', 'vgg16_bn', 'vgg9'], 'auto')).toEqual({ kind: 'category', categories: ['vgg9', 'vgg11', 'vgg16', 'vgg16_bn'] });
    expect(chooseXAxis(['1', 'true', ''], 'log').kind).toBe('category');
  });
});

describe('points', () => {
  it('plots one point per run with both values and counts the runs skipped for each', () => {
    const rows = [
      row('a', '0.001', [0.8, 0.5, 0.9]),
      row('b', '0.01', [0.7, 0.4, 0.75], { status: 'running' }),
      row('c', null, [0.6, 0.6, 0.6]),
      row('d', '0.1', null),
      row('e', '0.1', [NaN, null, null], { status: 'failed' }),
    ];
    const scatter = buildScatter(rows, { yKey: 'val/accuracy', summary: 'best', scale: 'auto', colorBy: 'status' });
    expect(scatter.points.map((p) => [p.runId, p.x, p.y])).toEqual([
      ['a', 0.001, 0.9],
      ['b', 0.01, 0.75],
    ]);
    expect([scatter.missingX, scatter.missingY]).toEqual([1, 2]);
    expect(scatter.axis.kind).toBe('linear');
    const byLabel = Object.fromEntries(scatter.groups.map((g) => [g.label, [g.color, g.count]]));
    expect(byLabel.finished).toEqual([STATUS_COLORS.finished, 1]);
    expect(byLabel.running).toEqual([STATUS_COLORS.running, 1]);
  });

  it('places categorical values at their index with a small stable jitter', () => {
    const rows = [row('a', 'sgd', [1, 1, 1]), row('b', 'adam', [2, 2, 2]), row('c', 'sgd', [3, 3, 3])];
    const first = buildScatter(rows, { yKey: 'val/loss', summary: 'last', scale: 'auto', colorBy: 'status' });
    expect(first.axis).toEqual({ kind: 'category', categories: ['adam', 'sgd'] });
    const xOf = (id: string) => first.points.find((p) => p.runId === id)!.x;
    expect(Math.abs(xOf('b') - 0)).toBeLessThanOrEqual(CATEGORY_JITTER);
    expect(Math.abs(xOf('a') - 1)).toBeLessThanOrEqual(CATEGORY_JITTER);
    expect(xOf('a')).not.toBe(xOf('c'));
    const again = buildScatter([...rows].reverse(), { yKey: 'val/loss', summary: 'last', scale: 'auto', colorBy: 'status' });
    expect(again.points.find((p) => p.runId === 'a')!.x).toBe(xOf('a'));
  });

  it('colours by a param: one palette colour per value, grey for runs without it and past the palette', () => {
    const rows = [row('a', '1', [1, 1, 1], { color: 'vgg16' }), row('b', '2', [1, 1, 1], { color: 'vgg11' }), row('c', '3', [1, 1, 1])];
    const scatter = buildScatter(rows, { yKey: 'y', summary: 'last', scale: 'auto', colorBy: 'param' });
    expect(scatter.groups).toEqual([
      { label: 'vgg11', color: RUN_COLORS[0], count: 1 },
      { label: 'vgg16', color: RUN_COLORS[1], count: 1 },
      { label: '(none)', color: OTHER_COLOR, count: 1 },
    ]);
    const many = Array.from({ length: 14 }, (_, i) => row(`r${i}`, String(i), [1, 1, 1], { color: `v${i}` }));
    const crowded = buildScatter(many, { yKey: 'y', summary: 'last', scale: 'auto', colorBy: 'param' });
    expect(crowded.groups).toHaveLength(RUN_COLORS.length);
    expect(crowded.groups.at(-1)).toEqual({ label: '5 other values', color: OTHER_COLOR, count: 5 });
  });

  it('lays the points out for uPlot: x ascending, one column per colour group', () => {
    const rows = [row('a', '3', [30, 30, 30]), row('b', '1', [10, 10, 10], { status: 'failed' }), row('c', '2', [20, 20, 20])];
    const scatter = buildScatter(rows, { yKey: 'y', summary: 'last', scale: 'linear', colorBy: 'status' });
    const { data, order } = scatterColumns(scatter);
    expect(data[0]).toEqual([1, 2, 3]);
    expect(order.map((i) => scatter.points[i].runId)).toEqual(['b', 'c', 'a']);
    const finished = scatter.groups.findIndex((g) => g.label === 'finished') + 1;
    const failed = scatter.groups.findIndex((g) => g.label === 'failed') + 1;
    expect(data[finished]).toEqual([null, 20, 30]);
    expect(data[failed]).toEqual([10, null, null]);
  });
});

describe('axis ranges', () => {
  it('pads the span so the extreme points are inside the plot, in log10 space on a log axis', () => {
    expect(paddedRange([0, 10], false)).toEqual([-0.6, 10.6]);
    const [lo, hi] = paddedRange([1e-4, 1e-2], true)!;
    expect(Math.log10(lo)).toBeCloseTo(-4.12, 10);
    expect(Math.log10(hi)).toBeCloseTo(-1.88, 10);
    expect(paddedRange([5], false)).toEqual([4.5, 5.5]);
    expect(paddedRange([0.01], true)!.map(Math.log10)).toEqual([-2.5, -1.5]);
    expect(paddedRange([], false)).toBeNull();
  });
});
