import { describe, expect, it } from 'vitest';
import { arithmeticRuns, decodeCompactSeries, float32Column, float32Shortest, integerDeltas } from './compact-series.ts';

describe('compact series encoding', () => {
  it('writes values as a decimal of at most 9 digits that reads back as the same float32', () => {
    expect(float32Shortest(2.0444827402696553)).toBe(2.0444827);
    expect(float32Shortest(0.1)).toBe(0.1);
    expect(float32Shortest(Math.fround(0.1))).toBe(0.1);
    expect(float32Shortest(-1e-7)).toBe(-1e-7);
    for (let i = 0; i < 4000; i++) {
      const v = (Math.random() - 0.5) * 10 ** ((i % 60) - 30);
      const s = float32Shortest(v);
      expect(Math.fround(s)).toBe(Math.fround(v));
      expect(s.toExponential().split('e')[0].replace(/[-.]/g, '').length).toBeLessThanOrEqual(9);
    }
  });

  it('keeps NaN, infinities, null and values float32 cannot hold', () => {
    expect(float32Column([NaN, Infinity, -Infinity, null, 1e300, 1e-300, 0])).toEqual([NaN, Infinity, -Infinity, null, 1e300, 1e-300, 0]);
  });

  it('sends integer timestamps as deltas, steps and epochs as runs, all expanding back exactly', () => {
    const timestamps = [1767225600500, 1767225601000, 1767225601000, 1767225699999, 1767225601234];
    expect(integerDeltas(timestamps)).toEqual({ start: 1767225600500, delta: [0, 500, 0, 98999, -98765] });
    timestamps.push(...Array.from({ length: 7 }, (_, i) => 1767225700000 + i * 613));
    const encoded = integerDeltas(timestamps)!;
    const steps = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 105, 110];
    const epochs = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3];
    expect(arithmeticRuns(steps)).toEqual([10, 10, 10, 105, 5, 2]);
    expect(arithmeticRuns(epochs)).toEqual([1, 0, 5, 2, 0, 5, 3, 0, 2]);
    const wire = {
      stepRuns: arithmeticRuns(steps),
      epochRuns: arithmeticRuns(epochs),
      timestampStart: encoded.start,
      timestampDelta: encoded.delta,
    };
    const decoded = decodeCompactSeries(wire);
    expect(decoded).toEqual({ step: steps, epoch: epochs, timestamp: timestamps });
    expect(integerDeltas([])).toBeUndefined();
    expect(integerDeltas([1.5, 2])).toBeUndefined();
    expect(arithmeticRuns([1, null, 2])).toBeUndefined();
    expect(arithmeticRuns([1, 5, 2, 9])).toBeUndefined(); // runs no shorter than the column
    expect(arithmeticRuns([])).toEqual([]);
    expect(decodeCompactSeries({ stepRuns: [], epochRuns: [], timestampDelta: [] })).toEqual({ step: [], epoch: [], timestamp: [] });
    // Columns sent in full (null epochs, non-integer timestamps) stay as they are.
    const full = { step: [1, 2], epoch: [null, 1], timestamp: [1.5, 2] };
    expect(decodeCompactSeries({ ...full })).toEqual(full);
  });
});
