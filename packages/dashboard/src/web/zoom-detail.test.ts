import { describe, expect, it } from 'vitest';
import type { SeriesJson } from './api.ts';
import { curve, epochMapper, type RunSeries } from './series.ts';
import { detailCovers, detailRequests, detailWanted, stepRangeOfX, withDetail } from './zoom-detail.ts';

function series(columns: Partial<SeriesJson> & { step: number[] }): SeriesJson {
  const n = columns.step.length;
  return {
    runId: 'r',
    key: 'train/loss',
    totalPoints: n,
    downsampled: false,
    epoch: columns.step.map(() => null),
    timestamp: columns.step.map((s) => 1_000_000 + s * 100),
    value: columns.step.map((s) => s / 10),
    ...columns,
  };
}

/** Buckets of 10 steps over steps 1..100 (last point 10, 20, …, 100), with each bucket's min and max. */
const overview = series({
  totalPoints: 100,
  downsampled: true,
  step: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
  epoch: [1, 1, 1, 1, 1, 2, 2, 2, 2, 2],
  value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  min: [0.1, 1.1, 2.1, 3.1, 4.1, 5.1, 6.1, 7.1, 8.1, 9.1],
  max: [1, 2, 3, 40, 5, 6, 7, 8, 9, 10], // a spike in the bucket of steps 31..40
});
const runStart = 1_000_000;

describe('zoom detail: which steps a zoomed x range shows', () => {
  it('on the step axis is the range itself, widened to whole steps', () => {
    const run: RunSeries = new Map([['train/loss', overview]]);
    expect(stepRangeOfX(run, { min: 31.4, max: 47.2 }, 'step', runStart, epochMapper(run))).toEqual({ stepMin: 31, stepMax: 48 });
  });

  it('on the time and epoch axes runs from the point at or before the left edge to the point at or after the right edge', () => {
    const run: RunSeries = new Map([['train/loss', overview]]);
    // relative seconds: step s is at s / 10 s; 3.5 s .. 6.5 s lies between steps 30 and 70
    expect(stepRangeOfX(run, { min: 3.5, max: 6.5 }, 'relative', runStart, epochMapper(run))).toEqual({ stepMin: 30, stepMax: 70 });
    // wall time: the same range in epoch seconds
    expect(stepRangeOfX(run, { min: 1003.5, max: 1006.5 }, 'wall', runStart, epochMapper(run))).toEqual({ stepMin: 30, stepMax: 70 });
    // epochs: step 50 ends epoch 1, step 100 epoch 2; x 1.3 .. 1.7 lies between steps 60 and 90
    const toEpoch = epochMapper(run);
    const x = curve(overview, 'epoch', runStart, toEpoch).x;
    expect(x[5]).toBeCloseTo(1.2, 9);
    expect(stepRangeOfX(run, { min: 1.3, max: 1.7 }, 'epoch', runStart, toEpoch)).toEqual({ stepMin: 60, stepMax: 90 });
    // a range past the data's ends is clamped to the first and last points
    expect(stepRangeOfX(run, { min: -5, max: 500 }, 'relative', runStart, toEpoch)).toEqual({ stepMin: 10, stepMax: 100 });
  });

  it('takes the tightest bounds any key of the run gives, and is null without any point on that axis', () => {
    const validation = series({ key: 'val/loss', step: [50, 100], timestamp: [1_000_000 + 5_500, 1_000_000 + 10_000] });
    const run: RunSeries = new Map([
      ['train/loss', overview],
      ['val/loss', validation],
    ]);
    // train: 30 .. 70; validation (every 50 steps): no point before the left edge, 100 after the right one
    expect(stepRangeOfX(run, { min: 3.5, max: 6.5 }, 'relative', runStart, epochMapper(run))).toEqual({ stepMin: 30, stepMax: 70 });
    // zoomed between two validation points, past the last train bucket: bounded by validation alone
    const late: RunSeries = new Map([
      ['train/loss', series({ step: [10, 20], timestamp: [1_000_000 + 1_000, 1_000_000 + 2_000] })],
      ['val/loss', series({ key: 'val/loss', step: [20, 50, 100], timestamp: [1_000_000 + 2_000, 1_000_000 + 5_000, 1_000_000 + 10_000] })],
    ]);
    expect(stepRangeOfX(late, { min: 5.5, max: 6 }, 'relative', runStart, epochMapper(late))).toEqual({ stepMin: 50, stepMax: 100 });
    const noEpochs: RunSeries = new Map([['k', series({ step: [1, 2, 3] })]]);
    expect(stepRangeOfX(noEpochs, { min: 0, max: 1 }, 'epoch', runStart, epochMapper(noEpochs))).toBeNull();
  });
});

describe('zoom detail: when and how to ask', () => {
  it('asks only when a downsampled series has points outside the range', () => {
    const run: RunSeries = new Map([['train/loss', overview]]);
    expect(detailWanted(run, { stepMin: 30, stepMax: 70 })).toBe(true);
    expect(detailWanted(run, { stepMin: 1, stepMax: 100 })).toBe(false);
    const whole: RunSeries = new Map([['train/loss', series({ step: [1, 2, 3] })]]);
    expect(detailWanted(whole, { stepMin: 2, stepMax: 2 })).toBe(false);
  });

  it('does not ask again when the loaded detail already holds every point of the new range', () => {
    const raw: RunSeries = new Map([['train/loss', series({ step: [30, 31, 32, 33, 34, 35] })]]);
    const bucketed: RunSeries = new Map([['train/loss', { ...overview }]]);
    const loadedRanges = new Map([['a', { stepMin: 30, stepMax: 35 }]]);
    expect(detailCovers(loadedRanges, new Map([['a', raw]]), new Map([['a', { stepMin: 31, stepMax: 34 }]]))).toBe(true);
    expect(detailCovers(loadedRanges, new Map([['a', raw]]), new Map([['a', { stepMin: 29, stepMax: 34 }]]))).toBe(false);
    expect(detailCovers(loadedRanges, new Map([['a', raw]]), new Map([['b', { stepMin: 31, stepMax: 34 }]]))).toBe(false);
    expect(detailCovers(loadedRanges, new Map([['a', bucketed]]), new Map([['a', { stepMin: 31, stepMax: 34 }]]))).toBe(false);
  });

  it('asks once per distinct range, in run order', () => {
    const requests = detailRequests(
      new Map([
        ['a', { stepMin: 10, stepMax: 20 }],
        ['b', { stepMin: 12, stepMax: 20 }],
        ['c', { stepMin: 10, stepMax: 20 }],
      ]),
    );
    expect(requests).toEqual([
      { runIds: ['a', 'c'], range: { stepMin: 10, stepMax: 20 } },
      { runIds: ['b'], range: { stepMin: 12, stepMax: 20 } },
    ]);
  });
});

describe('zoom detail: what a zoomed chart draws', () => {
  it('the detail inside the range, the whole-run buckets outside it, with a band for every point', () => {
    // steps 31..45 as stored: the spike at 36 is a point of the line now, not only the band's top
    const steps = Array.from({ length: 15 }, (_, i) => 31 + i);
    const detail = series({ step: steps, value: steps.map((s) => (s === 36 ? 40 : s / 10)) });
    const merged = withDetail(overview, detail, { stepMin: 31, stepMax: 45 });
    expect(merged.step).toEqual([10, 20, 30, ...steps, 50, 60, 70, 80, 90, 100]);
    expect(merged.value[3 + 5]).toBe(40);
    expect(merged.downsampled).toBe(true);
    // buckets keep their extremes; stored points are their own min and max
    expect(merged.min!.slice(0, 3)).toEqual([0.1, 1.1, 2.1]);
    expect(merged.max!.slice(3, 18)).toEqual(detail.value);
    expect(merged.min!.slice(3, 18)).toEqual(detail.value);
    expect(merged.max!.slice(18)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(merged.totalPoints).toBe(100);
    const drawn = curve(merged, 'step', runStart, epochMapper(new Map([['k', merged]])));
    expect(drawn.band?.hi).toHaveLength(drawn.x.length);
  });

  it('a downsampled detail keeps its own buckets', () => {
    const detail = series({ downsampled: true, totalPoints: 30, step: [40, 50], value: [4, 5], min: [3, 4.5], max: [40, 5.5] });
    const merged = withDetail(overview, detail, { stepMin: 31, stepMax: 50 });
    expect(merged.step).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(merged.max!.slice(3, 5)).toEqual([40, 5.5]);
    expect(merged.min!.slice(3, 5)).toEqual([3, 4.5]);
  });

  it('keeps points appended live after the detail was read, inside the range and past it', () => {
    const live = { ...overview, step: [...overview.step, 101, 102], epoch: [...overview.epoch, 2, 2], timestamp: [...overview.timestamp, 1, 2], value: [...overview.value, 0.5, 0.6] };
    // zoomed onto the end of the run: the detail was read up to step 100
    const detail = series({ step: [95, 96, 97, 98, 99, 100] });
    const merged = withDetail(live, detail, { stepMin: 95, stepMax: 110 });
    expect(merged.step).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 96, 97, 98, 99, 100, 101, 102]);
    expect(merged.max!.slice(-2)).toEqual([0.5, 0.6]);
    // nothing was stored in the range when it was read: the live points in it still show
    const empty = withDetail(live, series({ step: [] }), { stepMin: 101, stepMax: 120 });
    expect(empty.step).toEqual(live.step);
  });

  it('without any downsampling the result has no band', () => {
    const whole = series({ step: [1, 2, 3, 4] });
    const merged = withDetail(whole, series({ step: [2, 3] }), { stepMin: 2, stepMax: 3 });
    expect(merged.step).toEqual([1, 2, 3, 4]);
    expect(merged.min).toBeUndefined();
    expect(curve(merged, 'step', 0, (_s, e) => e).band).toBeUndefined();
  });
});
