import { describe, expect, it } from 'vitest';
import { isolatedPoints, nearestOwnPoint, sortRowsByValue, type CursorRow } from './cursor-values.ts';

describe('nearestOwnPoint', () => {
  // joined x; run a dense (every step 10..70), run b only at 10 and 63
  const xs = [10, 20, 30, 40, 50, 60, 63, 70];
  const a = [1, 2, 3, 4, 5, 6, undefined, 7];
  const b = [0.5, undefined, undefined, undefined, undefined, undefined, 0.9, undefined];

  it("picks the curve's own nearest point by x, not by index in the joined columns", () => {
    // cursor at 20: b's own points are 10 (10 away) and 63 (43 away)
    expect(nearestOwnPoint(xs, b, 1, 20, 5)).toBe(0);
    // cursor at 40: 30 from 10, 23 from 63
    expect(nearestOwnPoint(xs, b, 3, 40, 5)).toBe(6);
    expect(nearestOwnPoint(xs, a, 1, 20, 5)).toBe(1);
    // at 63 a has no point: 60 is nearer than 70
    expect(nearestOwnPoint(xs, a, 6, 63, 5)).toBe(5);
  });

  it('answers outside the curve only within maxOutside', () => {
    // b ends at 63: the cursor at 70 is 7 past it
    expect(nearestOwnPoint(xs, b, 7, 70, 5)).toBeNull();
    expect(nearestOwnPoint(xs, b, 7, 70, 10)).toBe(6);
    expect(nearestOwnPoint(xs, [undefined, undefined, 1], 0, 10, 5)).toBeNull();
    expect(nearestOwnPoint(xs, [undefined, undefined], -1, 10, 5)).toBeNull();
  });

  it('reads a null (a NaN the curve logged) as a point without a value', () => {
    expect(nearestOwnPoint([1, 2, 3], [1, null, 3], 1, 2, 0)).toBe(1);
  });
});

describe('sortRowsByValue', () => {
  const row = (id: string, value: number | null): CursorRow => ({ id, label: id, color: '#000000', value, x: 1 });
  it('sorts by value, highest first, rows without a value last', () => {
    const sorted = sortRowsByValue([row('a', 0.2), row('b', null), row('c', 0.9), row('d', 0.5)]);
    expect(sorted.map((r) => r.id)).toEqual(['c', 'd', 'a', 'b']);
  });
});

describe('isolatedPoints', () => {
  it('marks the only point of a curve', () => {
    expect(isolatedPoints([undefined, 0.7, undefined], true)).toEqual([1]);
    expect(isolatedPoints([null, 0.7, null], true)).toEqual([1]);
    expect(isolatedPoints([0.1, undefined, 0.2], true)).toEqual([]);
    expect(isolatedPoints([], true)).toEqual([]);
  });

  it('marks points between gaps when gaps break the line, and none when the line spans them', () => {
    const ys = [1, null, 2, null, 3, 4, undefined, null, 5];
    expect(isolatedPoints(ys, false)).toEqual([0, 2, 8]);
    expect(isolatedPoints(ys, true)).toEqual([]);
  });
});
