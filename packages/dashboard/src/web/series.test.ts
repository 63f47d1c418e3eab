import { describe, expect, it } from 'vitest';
import type { SeriesJson } from './api.ts';
import { appendLivePoints, bandBounds, curve, smooth, type RunSeries } from './series.ts';

const noEpochs = (_step: number, epoch: number | null) => epoch;

function downsampled(columns: Partial<SeriesJson>): SeriesJson {
  return { runId: 'r', key: 'train/loss', totalPoints: 100, downsampled: true, step: [], epoch: [], timestamp: [], value: [], ...columns };
}

describe('curve bands', () => {
  it('carries each bucket\'s min and max along with its last value', () => {
    const s = downsampled({
      step: [10, 20, 30],
      epoch: [1, 1, 2],
      timestamp: [1000, 2000, 3000],
      value: [0.5, 0.4, 0.3],
      min: [0.45, 0.1, 0.25],
      max: [0.6, 2.5, 0.35], // a spike in bucket 2 that its last value (0.4) does not show
    });
    const c = curve(s, 'step', 0, noEpochs);
    expect(c.x).toEqual([10, 20, 30]);
    expect(c.y).toEqual([0.5, 0.4, 0.3]);
    expect(c.band).toEqual({ lo: [0.45, 0.1, 0.25], hi: [0.6, 2.5, 0.35] });
  });

  it('has no band for a series that was not downsampled', () => {
    const s: SeriesJson = { runId: 'r', key: 'k', totalPoints: 2, downsampled: false, step: [1, 2], epoch: [1, 1], timestamp: [0, 1], value: [1, 2] };
    expect(curve(s, 'step', 0, noEpochs).band).toBeUndefined();
  });

  it('leaves a gap where a bucket\'s extent is unknown (only NaN, or ±Infinity sent as null)', () => {
    const s = downsampled({
      step: [1, 2, 3, 4],
      epoch: [1, 1, 1, 1],
      timestamp: [0, 1, 2, 3],
      value: [1, null, 3, 4],
      min: [0.5, null, 2, Number.NaN],
      max: [1.5, null, null, 5],
    });
    expect(curve(s, 'step', 0, noEpochs).band).toEqual({ lo: [0.5, null, null, null], hi: [1.5, null, null, null] });
  });

  it('keeps the band aligned with x when points are dropped (no x) or share an x', () => {
    const s = downsampled({
      step: [10, 20, 30, 40],
      epoch: [1, null, 2, 2],
      timestamp: [1000, 2000, 3000, 3000],
      value: [1, 2, 3, 4],
      min: [0.9, 1.9, 2.5, 3.8],
      max: [1.1, 2.1, 3.2, 4.5],
    });
    // Epoch axis: the point without an epoch is dropped, band bounds with it.
    expect(curve(s, 'epoch', 0, noEpochs)).toEqual({ x: [1, 2], y: [1, 4], band: { lo: [0.9, 2.5], hi: [1.1, 4.5] } });
    // Wall time: two buckets at one timestamp become one point whose band spans both.
    expect(curve(s, 'wall', 0, noEpochs).band).toEqual({ lo: [0.9, 1.9, 2.5], hi: [1.1, 2.1, 4.5] });
  });

  it('gives points appended live after a downsampled load their own value as min and max', () => {
    const s = downsampled({ step: [10, 20], epoch: [1, 1], timestamp: [0, 1], value: [1, 2], min: [0.5, 1.5], max: [1.5, 2.5] });
    const byRun = new Map<string, RunSeries>([['r', new Map([['train/loss', s]])]]);
    appendLivePoints(byRun, [
      { runId: 'r', key: 'train/loss', step: 30, epoch: 2, timestamp: 2, value: 0.8 },
      { runId: 'r', key: 'train/loss', step: 40, epoch: 2, timestamp: 3, value: null },
    ]);
    expect(curve(s, 'step', 0, noEpochs).band).toEqual({ lo: [0.5, 1.5, 0.8, null], hi: [1.5, 2.5, 0.8, null] });
  });

  it('orders swapped bounds', () => {
    const s = downsampled({ step: [1], epoch: [1], timestamp: [0], value: [1], min: [2], max: [0] });
    expect(bandBounds(s, 0)).toEqual([0, 2]);
  });

  it('is not smoothed: smoothing changes the line, the band keeps the raw extremes', () => {
    const s = downsampled({ step: [1, 2, 3], epoch: [1, 1, 1], timestamp: [0, 1, 2], value: [1, 5, 1], min: [0, 0, 0], max: [1, 9, 1] });
    const c = curve(s, 'step', 0, noEpochs);
    expect(smooth(c.y, 0.9)).not.toEqual(c.y);
    expect(c.band!.hi).toEqual([1, 9, 1]);
  });
});
