import { createRegistry, type DatasetEntry, type ExperimentSpec, type ImageInput } from '@vgglab/core';
import { describe, expect, it } from 'vitest';
import { imageLoaderFor } from './images.ts';

const input: ImageInput = { transforms: [], inputShape: [2, 2, 3], preprocessing: { mean: [0, 0, 0], std: [1, 1, 1] } };
const spec = (data: string) => ({ data: { name: data } }) as ExperimentSpec;
const dataset = (value: number, loads = true): DatasetEntry => ({
  open: () => Promise.reject(new Error('not opened in this test')),
  ...(loads ? { loadImage: async (_file: string, i: ImageInput) => new Float32Array(i.inputShape[0] * i.inputShape[1] * i.inputShape[2]).fill(value) } : {}),
});

describe('reading images for a trained model', () => {
  it("uses the run's own dataset entry's loadImage, with the run's input", async () => {
    const registry = createRegistry([{ name: 'd', datasets: { a: dataset(1), b: dataset(2) } }]);
    expect(Array.from(await imageLoaderFor(registry, spec('b'), input)('x.png'))).toEqual(new Array(12).fill(2));
  });

  it('falls back on the first registered entry that loads images when the run\'s cannot', async () => {
    const registry = createRegistry([{ name: 'd', datasets: { synthetic: dataset(0, false), files: dataset(3) } }]);
    expect((await imageLoaderFor(registry, spec('synthetic'), input)('x.png'))[0]).toBe(3);
  });

  it('says so when no registered dataset can read images', async () => {
    const registry = createRegistry([{ name: 'd', datasets: { synthetic: dataset(0, false) } }]);
    await expect(imageLoaderFor(registry, spec('synthetic'), input)('x.png')).rejects.toThrow(
      "no registered dataset can read image files (none has loadImage); the run's is 'synthetic'",
    );
  });
});
