import { describe, expect, it } from 'vitest';
import { drawShape, generateShapes, openShapes, SHAPE_NAMES } from './shapes.ts';
import { rngFor } from './rng.ts';
import { collect, context } from './testing/helpers.ts';

describe('shapes', () => {
  it('is deterministic from its seed, at any size and count', () => {
    const a = drawShape('star', 32, 0.08, rngFor(1, 2));
    const b = drawShape('star', 32, 0.08, rngFor(1, 2));
    const c = drawShape('star', 32, 0.08, rngFor(1, 3));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(drawShape('cross', 7 * 9, 0, rngFor(0)).length).toBe(63 * 63 * 3);
    const small = generateShapes('train', { count: 10, imageSize: 16, seed: 5 });
    const large = generateShapes('train', { count: 20, imageSize: 16, seed: 5 });
    expect(large.images.slice(0, 10)).toEqual(small.images); // a larger count extends a smaller one
    expect(generateShapes('train', { count: 10, imageSize: 16, seed: 5 })).toBe(small); // memoised
  });

  it('balanced, sorted classes; one image size', () => {
    const set = generateShapes('val', { classes: ['triangle', 'circle', 'cross'], count: 30, imageSize: 24, noise: 0 });
    expect(set.classNames).toEqual(['circle', 'cross', 'triangle']);
    expect(Array.from(set.labels).filter((l) => l === 2)).toHaveLength(10);
    expect(set.images.every((img) => img.length === 24 * 24 * 3)).toBe(true);
  });

  it('shape areas differ by class as drawn (cross < square, ring < circle)', () => {
    // Foreground coverage on a flat background, averaged: the cross covers less than the square.
    const coverage = (shape: string) => {
      let sum = 0;
      for (let k = 0; k < 20; k++) {
        const img = drawShape(shape, 32, 0, rngFor(7, k));
        const bg = [img[0]!, img[1]!, img[2]!];
        let fg = 0;
        for (let i = 0; i < img.length; i += 3) if (Math.abs(img[i]! - bg[0]!) + Math.abs(img[i + 1]! - bg[1]!) + Math.abs(img[i + 2]! - bg[2]!) > 60) fg++;
        sum += fg / (32 * 32);
      }
      return sum / 20;
    };
    expect(coverage('cross')).toBeLessThan(coverage('square'));
    expect(coverage('ring')).toBeLessThan(coverage('circle'));
  });

  it('opens as a dataset with flips-only defaults and normalised batches', async () => {
    const ctx = context({ inputShape: [16, 16, 3] });
    const src = await openShapes({ trainCount: 20, valCount: 10, classes: 4 }, ctx);
    expect(src.classNames).toEqual([...SHAPE_NAMES.slice(0, 4)].sort());
    expect([src.size('train'), src.size('val')]).toEqual([20, 10]);
    const a = await collect(src.batches('train', { batchSize: 8, epoch: 0, shuffle: true }));
    const b = await collect(src.batches('train', { batchSize: 8, epoch: 0, shuffle: true }));
    expect(a.map((x) => x.shape)).toEqual([[8, 16, 16, 3], [8, 16, 16, 3], [4, 16, 16, 3]]);
    expect(Array.from(a[0]!.x)).toEqual(Array.from(b[0]!.x));
    for (const v of a[0]!.x) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    // Generated at another size, the defaults resize to the model input.
    const big = await openShapes({ trainCount: 4, valCount: 4, imageSize: 40 }, ctx);
    const [batch] = await collect(big.batches('val', { batchSize: 4, epoch: 0, shuffle: false }));
    expect(batch!.shape).toEqual([4, 16, 16, 3]);
  });

  it('rejects unknown shapes with the known list', async () => {
    await expect(openShapes({ classes: ['circle', 'blob'] }, context())).rejects.toThrow(/unknown shape 'blob'; known: circle, square/);
    await expect(openShapes({ classes: 1 }, context())).rejects.toThrow(/'classes' must be 2\.\./);
  });
});
