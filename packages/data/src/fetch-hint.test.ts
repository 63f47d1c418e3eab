import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchHint } from './fetch-hint.ts';
import { dataPlugin } from './plugin.ts';
import { tempDir } from './testing/helpers.ts';

describe('the missing-data hint', () => {
  it('a missing flower_photos folder gets the fetch command with --dest where the spec expects it', async () => {
    const base = await tempDir();
    const hint = fetchHint({ root: '../data/flower_photos' }, path.join(base, 'experiments'));
    // The temporary folder is outside the working directory: the hint shows it absolute.
    expect(hint).toBe(`get it with \`vgglab data fetch flowers --dest ${path.join(base, 'data')}\``);
  });

  it('nothing for a folder that exists or that no known dataset extracts to', async () => {
    const base = await tempDir();
    fs.mkdirSync(path.join(base, 'flower_photos'));
    expect(fetchHint({ root: 'flower_photos' }, base)).toBeUndefined();
    expect(fetchHint({ trainRoot: 'my_pictures', valRoot: 'my_pictures' }, base)).toBeUndefined();
  });

  it("is imageFolder's missingDataHint; both datasets load images for predict", () => {
    const { imageFolder, shapes } = dataPlugin().datasets;
    expect(imageFolder!.missingDataHint).toBe(fetchHint);
    expect(typeof imageFolder!.loadImage).toBe('function');
    expect(shapes!.loadImage).toBe(imageFolder!.loadImage);
  });
});
