import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, splitClasses, splitDataset } from './split.ts';
import { makeFolder, tempDir } from './testing/helpers.ts';

const files = (cls: string, n: number) => Array.from({ length: n }, (_, i) => `${cls}/f${i}.jpg`);

describe('splitClasses', () => {
  it('is stratified: each class keeps round(n * val) for validation, at least one', () => {
    const classes = [
      { name: 'a', dir: '', files: files('a', 100) },
      { name: 'b', dir: '', files: files('b', 7) },
      { name: 'c', dir: '', files: files('c', 3) },
    ];
    const { train, val } = splitClasses(classes, 0.2, 0);
    expect([val.a!.length, val.b!.length, val.c!.length]).toEqual([20, 1, 1]);
    expect([train.a!.length, train.b!.length, train.c!.length]).toEqual([80, 6, 2]);
    for (const c of classes) expect(new Set([...train[c.name]!, ...val[c.name]!])).toEqual(new Set(c.files));
  });
  it('does not depend on the listing order; the seed changes it', () => {
    const a = files('a', 50);
    const shuffled = [...a].reverse();
    const one = splitClasses([{ name: 'a', dir: '', files: a }, { name: 'b', dir: '', files: files('b', 10) }], 0.1, 0);
    const two = splitClasses([{ name: 'a', dir: '', files: shuffled }, { name: 'b', dir: '', files: files('b', 10) }], 0.1, 0);
    const other = splitClasses([{ name: 'a', dir: '', files: a }, { name: 'b', dir: '', files: files('b', 10) }], 0.1, 1);
    expect(two).toEqual(one);
    expect(other.val.a).not.toEqual(one.val.a);
  });
  it('adding a file moves at most one file across', () => {
    const before = splitClasses([{ name: 'a', dir: '', files: files('a', 40) }, { name: 'b', dir: '', files: files('b', 2) }], 0.25, 0);
    const after = splitClasses([{ name: 'a', dir: '', files: [...files('a', 40), 'a/new.jpg'] }, { name: 'b', dir: '', files: files('b', 2) }], 0.25, 0);
    const moved = before.val.a!.filter((f) => !after.val.a!.includes(f));
    expect(moved.length).toBeLessThanOrEqual(1);
  });
  it('rejects a bad fraction', () => {
    expect(() => splitClasses([], 1.5, 0)).toThrow('val must be a fraction in [0, 1), received 1.5');
  });
});

describe('splitDataset', () => {
  it('writes a manifest; the same seed and files give the same one whatever the creation order', async () => {
    const r1 = await makeFolder(path.join(await tempDir(), 'ds'), { cat: 12, dog: 9 }, [8, 8]);
    // The same files created in another order (another directory listing order).
    const r2 = path.join(await tempDir(), 'ds');
    for (const cls of ['dog', 'cat']) {
      await fs.mkdir(path.join(r2, cls), { recursive: true });
      const names = (await fs.readdir(path.join(r1, cls))).reverse();
      for (const n of names) await fs.copyFile(path.join(r1, cls, n), path.join(r2, cls, n));
    }
    const a = await splitDataset(r1, { val: 0.25, seed: 3 });
    const b = await splitDataset(r2, { val: 0.25, seed: 3 });
    expect(a.manifestPath).toBe(path.join(r1, 'split.json'));
    expect(a.manifest.train).toEqual(b.manifest.train);
    expect(a.manifest.val).toEqual(b.manifest.val);
    expect(a.counts).toEqual({ cat: { train: 9, val: 3 }, dog: { train: 7, val: 2 } });
    const read = await readManifest(a.manifestPath!);
    expect(read.root).toBe(r1);
    expect(read.classes).toEqual(['cat', 'dog']);
    // Running it again is harmless; a different split over an existing manifest is refused.
    await expect(splitDataset(r1, { val: 0.25, seed: 3 })).resolves.toBeTruthy();
    await expect(splitDataset(r1, { val: 0.5, seed: 3 })).rejects.toThrow(/already exists with a different split/);
  });

  it('--copy writes the train/ and val/ layout', async () => {
    const root = await makeFolder(path.join(await tempDir(), 'ds'), { a: 10, b: 10 }, [8, 8]);
    const dest = path.join(await tempDir(), 'copy');
    const r = await splitDataset(root, { val: 0.2, seed: 0, copy: dest });
    expect(r.copiedTo).toBe(dest);
    expect((await fs.readdir(path.join(dest, 'train', 'a'))).length).toBe(8);
    expect((await fs.readdir(path.join(dest, 'val', 'b'))).length).toBe(2);
    expect(new Set(await fs.readdir(path.join(dest, 'val', 'a')))).toEqual(new Set(r.manifest.val.a!.map((f) => path.basename(f))));
    await expect(splitDataset(root, { val: 0.2, seed: 0, copy: dest })).rejects.toThrow(/already exists and is not empty/);
  });

  it('errors name the folder', async () => {
    const base = await tempDir();
    await expect(splitDataset(path.join(base, 'missing'))).rejects.toThrow(`dataset root '${path.join(base, 'missing')}' does not exist`);
    await makeFolder(path.join(base, 'one'), { only: 2 }, [8, 8]);
    await expect(splitDataset(path.join(base, 'one'))).rejects.toThrow(/only one class folder \('only'\)/);
    await makeFolder(path.join(base, 'hole'), { a: 2, b: 2 }, [8, 8]);
    await fs.mkdir(path.join(base, 'hole', 'c'));
    await expect(splitDataset(path.join(base, 'hole'))).rejects.toThrow(`class folder '${path.join(base, 'hole', 'c')}' is empty`);
  });
});
