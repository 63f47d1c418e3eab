import { describe, expect, it } from 'vitest';
import { decodeTimestamps, float32Column, float32Shortest, timestampDeltas } from './compact-series.ts';

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

  it('sends integer timestamps as deltas that add back exactly', () => {
    const timestamps = [1767225600500, 1767225601000, 1767225601000, 1767225699999, 1767225601234];
    const encoded = timestampDeltas(timestamps)!;
    expect(encoded.timestampStart).toBe(1767225600500);
    expect(encoded.timestampDelta).toEqual([0, 500, 0, 98999, -98765]);
    expect(decodeTimestamps({ ...encoded }).timestamp).toEqual(timestamps);
    expect(timestampDeltas([])).toBeUndefined();
    expect(timestampDeltas([1.5, 2])).toBeUndefined();
    expect(decodeTimestamps({ timestamp: [1.5, 2] }).timestamp).toEqual([1.5, 2]);
  });
});
