import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkDataset, formatCheckReport } from './check.ts';
import { makeFolder, pattern, tempDir, writePng } from './testing/helpers.ts';

describe('checkDataset', () => {
  it('counts images per class, size statistics, formats, and lists every bad file with its reason', async () => {
    const root = await makeFolder(path.join(await tempDir(), 'ds'), { cats: 3, dogs: 2 }, [40, 30]);
    await writePng(path.join(root, 'dogs', 'wide.png'), 80, 20, [1, 2, 3]);
    await fs.writeFile(path.join(root, 'cats', 'empty.jpg'), '');
    await fs.writeFile(path.join(root, 'cats', 'notes.txt'), 'hello');
    const jpg = await sharp(pattern(64, 48, [9, 9, 9]), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    await fs.writeFile(path.join(root, 'dogs', 'cut.jpg'), jpg.subarray(0, jpg.length >> 1));
    const r = await checkDataset(root);
    expect(r.layout).toBe('classes');
    expect(r.parts[0]!.classes).toEqual([
      { name: 'cats', images: 3, bad: 2 },
      { name: 'dogs', images: 3, bad: 1 },
    ]);
    expect(r.images).toBe(6);
    expect(r.formats).toEqual({ jpeg: 5, png: 1 });
    expect(r.width).toEqual({ min: 40, max: 80, mean: 46.7, median: 40 });
    expect(r.height).toEqual({ min: 20, max: 30, mean: 28.3, median: 30 });
    expect(r.bad.map((b) => [path.relative(root, b.file), b.reason.split(' ')[0]])).toEqual(
      expect.arrayContaining([
        ['cats/empty.jpg', 'empty'],
        ['cats/notes.txt', 'not'],
        ['dogs/cut.jpg', 'truncated'],
      ]),
    );
    expect(r.ok).toBe(true);
    const text = formatCheckReport(r);
    expect(text).toContain('cats');
    expect(text).toMatch(/3 unreadable files \(training skips them\)/);
    expect(text).toContain(path.join(root, 'dogs', 'cut.jpg'));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('reports the train/ and val/ layout per part, and a class with no readable image', async () => {
    const base = await tempDir();
    await makeFolder(path.join(base, 'train'), { a: 2, b: 2 }, [8, 8]);
    await makeFolder(path.join(base, 'val'), { a: 1 }, [8, 8]);
    await fs.mkdir(path.join(base, 'val', 'b'));
    await fs.writeFile(path.join(base, 'val', 'b', 'x.png'), 'junk');
    const r = await checkDataset(base);
    expect(r.layout).toBe('split');
    expect(r.parts.map((p) => p.name)).toEqual(['train', 'val']);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([`class folder '${path.join(base, 'val', 'b')}' has no readable image`]);
  });

  it('a missing root is an error naming it', async () => {
    await expect(checkDataset('/nonexistent/flowers')).rejects.toThrow("dataset root '/nonexistent/flowers' does not exist");
  });
});
