import { describe, expect, it } from 'vitest';
import { BUCKET_STEP, bucketsForWidth, firstColumnWidth, MAX_BUCKETS, MIN_BUCKETS } from './buckets.ts';

describe('bucketsForWidth', () => {
  it('asks for about one bucket per 2 CSS px, in steps of 50', () => {
    expect(bucketsForWidth(600)).toBe(300);
    expect(bucketsForWidth(688)).toBe(350); // 344 -> 350
    expect(bucketsForWidth(1040)).toBe(500); // 520 -> 500
    expect(bucketsForWidth(1440) % BUCKET_STEP).toBe(0);
  });

  it('gives the same count for a few pixels of resize', () => {
    expect(bucketsForWidth(690)).toBe(bucketsForWidth(700));
    expect(bucketsForWidth(660)).toBe(bucketsForWidth(670));
  });

  it('clamps narrow and very wide charts', () => {
    expect(bucketsForWidth(120)).toBe(MIN_BUCKETS);
    expect(bucketsForWidth(1)).toBe(MIN_BUCKETS);
    expect(bucketsForWidth(10_000)).toBe(MAX_BUCKETS);
    expect(bucketsForWidth(4000)).toBe(MAX_BUCKETS);
    expect(bucketsForWidth(3900)).toBe(1950);
  });

  it('falls back to the minimum when the width is unknown', () => {
    expect(bucketsForWidth(0)).toBe(MIN_BUCKETS);
    expect(bucketsForWidth(-5)).toBe(MIN_BUCKETS);
    expect(bucketsForWidth(Number.NaN)).toBe(MIN_BUCKETS);
    expect(bucketsForWidth(Number.POSITIVE_INFINITY)).toBe(MIN_BUCKETS);
  });
});

describe('firstColumnWidth', () => {
  it('reads the first track of a computed grid-template-columns', () => {
    expect(firstColumnWidth('688px 688px')).toBe(688);
    expect(firstColumnWidth('540.5px')).toBe(540.5);
    expect(firstColumnWidth(' 700px 700px 700px')).toBe(700);
  });

  it('is null for anything that is not a px length', () => {
    expect(firstColumnWidth('none')).toBeNull();
    expect(firstColumnWidth('')).toBeNull();
    expect(firstColumnWidth('repeat(auto-fill, minmax(520px, 1fr))')).toBeNull();
    expect(firstColumnWidth('1fr 1fr')).toBeNull();
  });
});
