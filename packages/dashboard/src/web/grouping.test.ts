import { describe, expect, it } from 'vitest';
import { aggregateCurves, groupLabel, groupRuns } from './grouping.ts';

describe('aggregateCurves', () => {
  it('averages runs logged at the same steps, with the min–max across them', () => {
    const agg = aggregateCurves(
      [
        { x: [10, 20, 30], y: [1, 2, 3] },
        { x: [10, 20, 30], y: [3, 4, 8] },
      ],
      'minmax',
    );
    expect(agg).toEqual({ x: [10, 20, 30], mean: [2, 3, 5.5], lo: [1, 2, 3], hi: [3, 4, 8], count: [2, 2, 2] });
  });

  it('aligns runs logged at different steps: union of steps, a run interpolated between its own neighbours', () => {
    // a every 10 steps, b every 15: at 15 a is interpolated (between 10 and 20), at 20 b is (between 15 and 30)
    const agg = aggregateCurves(
      [
        { x: [10, 20, 30], y: [1, 2, 4] },
        { x: [15, 30], y: [6, 9] },
      ],
      'minmax',
    );
    expect(agg.x).toEqual([10, 15, 20, 30]);
    // at 10 only a covers the step (b starts at 15): no extrapolation
    expect(agg.count).toEqual([1, 2, 2, 2]);
    expect(agg.mean[0]).toBe(1);
    expect(agg.mean[1]).toBeCloseTo((1.5 + 6) / 2, 12);
    expect(agg.mean[2]).toBeCloseTo((2 + 7) / 2, 12);
    expect(agg.mean[3]).toBeCloseTo((4 + 9) / 2, 12);
    expect(agg.lo[2]).toBe(2);
    expect(agg.hi[2]).toBeCloseTo(7, 12);
  });

  it('leaves a run out past its last point, so a run that stopped early does not drag the mean', () => {
    const agg = aggregateCurves(
      [
        { x: [1, 2, 3, 4], y: [1, 1, 1, 1] },
        { x: [1, 2], y: [3, 3] },
      ],
      'minmax',
    );
    expect(agg.mean).toEqual([2, 2, 1, 1]);
    expect(agg.count).toEqual([2, 2, 1, 1]);
    expect(agg.lo.slice(2)).toEqual([1, 1]);
  });

  it('gives mean ± one sample standard deviation for the std band, 0 wide where one run covers x', () => {
    const agg = aggregateCurves(
      [
        { x: [1, 2], y: [1, 5] },
        { x: [1], y: [3] },
        { x: [1], y: [5] },
      ],
      'std',
    );
    // values 1, 3, 5: mean 3, sample std 2
    expect(agg.mean[0]).toBe(3);
    expect(agg.lo[0]).toBeCloseTo(1, 12);
    expect(agg.hi[0]).toBeCloseTo(5, 12);
    expect([agg.lo[1], agg.mean[1], agg.hi[1]]).toEqual([5, 5, 5]);
  });

  it('leaves out non-finite values (sent as null) and runs without any finite point', () => {
    const agg = aggregateCurves(
      [
        { x: [1, 2, 3], y: [1, null, 3] },
        { x: [1, 2, 3], y: [null, null, null] },
      ],
      'minmax',
    );
    // step 2 is not a point of any run any more; a is interpolated over its null only where another run has a point
    expect(agg).toEqual({ x: [1, 3], mean: [1, 3], lo: [1, 3], hi: [1, 3], count: [1, 1] });
    expect(aggregateCurves([], 'std')).toEqual({ x: [], mean: [], lo: [], hi: [], count: [] });
  });
});

describe('groupRuns', () => {
  const params: Record<string, Record<string, string>> = {
    r1: { 'optimizer.name': 'adam', seed: '0' },
    r2: { 'optimizer.name': 'sgd', seed: '0' },
    r3: { 'optimizer.name': 'adam', seed: '1' },
    r4: { seed: '1' },
  };
  const paramOf = (id: string, key: string) => params[id][key] ?? null;

  it('groups runs by the values of one param, in the order of their first run, a missing value its own group', () => {
    const groups = groupRuns(['r1', 'r2', 'r3', 'r4'], paramOf, ['optimizer.name']);
    expect(groups.map((g) => [g.values, g.runIds])).toEqual([
      [['adam'], ['r1', 'r3']],
      [['sgd'], ['r2']],
      [[null], ['r4']],
    ]);
    expect(groups[0].id).toBe('group:["adam"]');
    expect(groupLabel(groups[2].values)).toBe('–');
  });

  it('groups by several params', () => {
    const groups = groupRuns(['r1', 'r2', 'r3'], paramOf, ['optimizer.name', 'seed']);
    expect(groups.map((g) => groupLabel(g.values))).toEqual(['adam · 0', 'sgd · 0', 'adam · 1']);
  });
});
