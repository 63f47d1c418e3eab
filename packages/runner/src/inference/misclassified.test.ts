import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonFolder, MAX_IMAGES_PER_CELL, misclassifiedSamples } from './misclassified.ts';

describe('misclassified samples', () => {
  it('keeps image files relative to the folder holding every evaluated file', () => {
    const root = path.join(path.sep, 'data', 'flowers');
    const file = (...p: string[]) => path.join(root, ...p);
    const evaluated = [file('daisy', '1.jpg'), file('rose', '2.jpg'), file('rose', 'sub', '3.jpg')];
    expect(commonFolder(evaluated)).toBe(root);
    const samples = misclassifiedSamples([{ id: file('rose', 'sub', '3.jpg'), true: 1, predicted: 0 }], evaluated);
    expect(samples).toEqual({ root, items: [{ path: 'rose/sub/3.jpg', true: 1, predicted: 0 }] });
  });

  it('keeps at most a few images per cell, and ids of samples made in memory without a folder', () => {
    const wrong = Array.from({ length: MAX_IMAGES_PER_CELL + 5 }, (_, i) => ({ id: `shapes:val:${i}`, true: 0, predicted: 1 }));
    wrong.push({ id: '../escape', true: 1, predicted: 0 });
    const samples = misclassifiedSamples(wrong, wrong.map((w) => w.id));
    expect(samples.root).toBeNull();
    expect(samples.items.filter((i) => i.true === 0)).toHaveLength(MAX_IMAGES_PER_CELL);
    expect(samples.items.at(-1)).toEqual({ path: '__/escape', true: 1, predicted: 0 });
  });
});
