import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '@vgglab/core';
import { loadImageForInference } from './decode.ts';
import { openImageFolder } from './image-folder.ts';
import { splitDataset } from './split.ts';
import { collect, context, makeFolder, pattern, tempDir, writeJpeg, writePng } from './testing/helpers.ts';

let root: string;
beforeAll(async () => {
  root = await makeFolder(path.join(await tempDir(), 'flowers'), { tulips: 6, daisy: 6, roses: 6 }, [40, 30]);
});

const concat = (batches: Batch[]) => {
  const xs = batches.flatMap((b) => Array.from(b.x));
  return { x: xs, labels: batches.flatMap((b) => Array.from(b.labels)), ids: batches.flatMap((b) => b.ids ?? []) };
};

describe('imageFolder: layouts', () => {
  it('one root split by fraction: sorted classes, stratified sizes, labels match folders', async () => {
    const src = await openImageFolder({ root, valFraction: 0.34, splitSeed: 0 }, context());
    expect(src.classNames).toEqual(['daisy', 'roses', 'tulips']);
    expect(src.size('train') + src.size('val')).toBe(18);
    expect(src.size('val')).toBe(6);
    const batches = await collect(src.batches('train', { batchSize: 5, epoch: 0, shuffle: true }));
    expect(batches.map((b) => b.shape)).toEqual([[5, 16, 16, 3], [5, 16, 16, 3], [2, 16, 16, 3]]);
    const all = concat(batches);
    expect(new Set(all.ids).size).toBe(12);
    all.ids.forEach((id, i) => expect(src.classNames[all.labels[i]!]).toBe(path.basename(path.dirname(id))));
    for (const v of all.x) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('train/ and val/ folders, detected under one root or given apart', async () => {
    const base = await tempDir();
    await makeFolder(path.join(base, 'train'), { a: 3, b: 4 }, [20, 20]);
    await makeFolder(path.join(base, 'val'), { a: 1, b: 2 }, [20, 20]);
    const detected = await openImageFolder({ root: base }, context());
    expect([detected.size('train'), detected.size('val')]).toEqual([7, 3]);
    const apart = await openImageFolder({ trainRoot: path.join(base, 'train'), valRoot: path.join(base, 'val') }, context());
    expect(apart.classNames).toEqual(['a', 'b']);
    expect(apart.size('val')).toBe(3);
    await fs.mkdir(path.join(base, 'val', 'zebra'));
    await writeJpeg(path.join(base, 'val', 'zebra', 'z.jpg'), 8, 8, [0, 0, 0]);
    await expect(openImageFolder({ root: base }, context())).rejects.toThrow(/has classes the training root .* lacks: zebra/);
  });

  it('a manifest from `data split`, with relative paths against baseDir', async () => {
    const { manifestPath, manifest } = await splitDataset(root, { val: 0.5, seed: 1, out: path.join(path.dirname(root), 'my-split.json') });
    const src = await openImageFolder({ manifest: 'my-split.json' }, context({ baseDir: path.dirname(manifestPath!) }));
    expect(src.size('val')).toBe(9);
    const ids = concat(await collect(src.batches('val', { batchSize: 4, epoch: 0, shuffle: false }))).ids;
    const expected = manifest.classes.flatMap((c) => manifest.val[c]!.map((f) => path.join(root, f)));
    expect(ids).toEqual(expected);
  });

  it('errors: missing root names it; one class; empty class; conflicting options', async () => {
    const base = await tempDir();
    await expect(openImageFolder({ root: 'nope' }, context({ baseDir: base }))).rejects.toThrow(`dataset root '${path.join(base, 'nope')}' does not exist`);
    await makeFolder(path.join(base, 'one'), { cats: 3 }, [8, 8]);
    await expect(openImageFolder({ root: 'one' }, context({ baseDir: base }))).rejects.toThrow(/only one class folder \('cats'\); a class-per-folder dataset needs at least two/);
    await makeFolder(path.join(base, 'two'), { cats: 3, dogs: 3 }, [8, 8]);
    await fs.mkdir(path.join(base, 'two', 'birds'));
    await expect(openImageFolder({ root: 'two' }, context({ baseDir: base }))).rejects.toThrow(`class folder '${path.join(base, 'two', 'birds')}' is empty`);
    await expect(openImageFolder({}, context())).rejects.toThrow(/'root' is required/);
    await expect(openImageFolder({ trainRoot: 'x' }, context())).rejects.toThrow(/give both 'trainRoot' and 'valRoot'/);
  });

  it('a bad transform list fails at open with its place in the spec', async () => {
    await expect(openImageFolder({ root }, context({ transforms: { train: [{ randomCrop: { size: 16 } }], val: [] } }))).rejects.toThrow(
      /unknown transform 'randomCrop' in data\.transforms\.train\[0\]; known: resize, centerCrop/,
    );
  });
});

describe('imageFolder: bad files', () => {
  let dirty: string;
  beforeAll(async () => {
    dirty = await makeFolder(path.join(await tempDir(), 'dirty'), { a: 4, b: 4 }, [24, 24]);
    await fs.writeFile(path.join(dirty, 'a', 'empty.jpg'), '');
    await fs.writeFile(path.join(dirty, 'b', 'readme.txt'), 'not an image');
    const jpg = await sharp(pattern(64, 48, [9, 9, 9]), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    await fs.writeFile(path.join(dirty, 'b', 'cut.jpg'), jpg.subarray(0, jpg.length >> 1));
  });

  it('skips them with one warning that lists them; training never fails mid-epoch', async () => {
    const ctx = context();
    const src = await openImageFolder({ root: dirty, valFraction: 0 }, ctx);
    // Header problems are found at open; the truncated file is found while decoding and replaced.
    expect(ctx.warnings).toHaveLength(1);
    expect(ctx.warnings[0]).toMatch(/2 unreadable files skipped/);
    expect(ctx.warnings[0]).toContain(path.join(dirty, 'a', 'empty.jpg'));
    expect(ctx.warnings[0]).toContain(path.join(dirty, 'b', 'readme.txt'));
    const batches = await collect(src.batches('train', { batchSize: 3, epoch: 0, shuffle: true }));
    expect(batches.reduce((n, b) => n + b.labels.length, 0)).toBe(9);
    expect(batches.flatMap((b) => b.ids!)).not.toContain(path.join(dirty, 'b', 'cut.jpg'));
    expect(ctx.warnings).toHaveLength(2);
    expect(ctx.warnings[1]).toMatch(/1 unreadable file found while loading; replaced by other images:\n.*cut\.jpg: truncated/);
    await collect(src.batches('train', { batchSize: 3, epoch: 1, shuffle: true }));
    expect(ctx.warnings).toHaveLength(2); // not repeated every epoch
  });

  it("unreadable: 'drop' (evaluation) yields each readable image once and lists every skipped file once", async () => {
    const ctx = context();
    // One folder as both splits, as `vgglab evaluate --data` opens it: probed once, warned once per file.
    const src = await openImageFolder({ trainRoot: dirty, valRoot: dirty }, ctx);
    expect(ctx.warnings).toHaveLength(1);
    expect(ctx.warnings[0]).toMatch(/^2 unreadable files skipped:\n[^\n]+empty\.jpg: [^\n]+\n[^\n]+readme\.txt: [^\n]+$/);
    const batches = await collect(src.batches('val', { batchSize: 3, epoch: 0, shuffle: false, unreadable: 'drop' }));
    const ids = batches.flatMap((b) => b.ids!);
    const good = ['a', 'b'].flatMap((c) => [0, 1, 2, 3].map((i) => path.join(dirty, c, `img00${i}.jpg`)));
    expect([...ids].sort()).toEqual(good.sort());
    expect(batches.reduce((n, b) => n + b.labels.length, 0)).toBe(8);
    expect(batches.flatMap((b) => Array.from(b.labels)).filter((l) => l === 1)).toHaveLength(4);
    expect(ctx.warnings[1]).toMatch(/^1 unreadable file found while loading; left out:\n.*cut\.jpg: truncated/);
    const skipped = src.unreadable!('val');
    expect(skipped.map((s) => path.relative(dirty, s.file)).sort()).toEqual(['a/empty.jpg', 'b/cut.jpg', 'b/readme.txt']);
    expect(skipped.find((s) => s.file.endsWith('cut.jpg'))!.reason).toMatch(/^truncated/);
    expect(skipped.find((s) => s.file.endsWith('empty.jpg'))!.reason).toBe('empty file (0 bytes)');
    // A second pass finds the same file again: still listed and warned once.
    await collect(src.batches('val', { batchSize: 3, epoch: 0, shuffle: false, unreadable: 'drop' }));
    expect(src.unreadable!('val')).toHaveLength(3);
    expect(ctx.warnings).toHaveLength(2);
  });

  it('strict: an error before the first step listing every bad file', async () => {
    const err = await openImageFolder({ root: dirty }, context({ strict: true })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/3 unreadable files found \(strict: true\)/);
    for (const f of ['a/empty.jpg', 'b/readme.txt', 'b/cut.jpg']) expect(message).toContain(path.join(dirty, f));
  });

  it('a class whose every file is bad is an error naming its folder', async () => {
    const base = await makeFolder(path.join(await tempDir(), 'ds'), { good: 2 }, [8, 8]);
    await fs.mkdir(path.join(base, 'broken'));
    await fs.writeFile(path.join(base, 'broken', 'x.jpg'), 'junk');
    await expect(openImageFolder({ root: base, valFraction: 0 }, context())).rejects.toThrow(`class 'broken' (${path.join(base, 'broken')}) has no readable training images`);
  });
});

describe('imageFolder: seeded augmentation, cache, prefetch', () => {
  const train = (ctx = context({ inputShape: [12, 12, 3] })) => openImageFolder({ root, valFraction: 0.34 }, ctx);

  it('same seed and epoch give the same pixels; another epoch or seed gives others', async () => {
    const a = concat(await collect((await train()).batches('train', { batchSize: 4, epoch: 0, shuffle: true })));
    const b = concat(await collect((await train()).batches('train', { batchSize: 5, epoch: 0, shuffle: true, prefetch: 0 })));
    const c = concat(await collect((await train()).batches('train', { batchSize: 4, epoch: 1, shuffle: true })));
    const d = concat(await collect((await train(context({ inputShape: [12, 12, 3], seed: 9 }))).batches('train', { batchSize: 4, epoch: 0, shuffle: true })));
    expect(b.x).toEqual(a.x);
    expect(b.labels).toEqual(a.labels);
    expect(c.ids).not.toEqual(a.ids);
    expect(d.x).not.toEqual(a.x);
    // The augmentation of a sample depends on (seed, epoch, sample), not on its place in the order.
    const byId = (r: typeof a) => new Map(r.ids.map((id, i) => [id, r.x.slice(i * 432, (i + 1) * 432)]));
    const e0 = byId(a);
    const unshuffled = byId(concat(await collect((await train()).batches('train', { batchSize: 4, epoch: 0, shuffle: false }))));
    for (const [id, x] of e0) expect(unshuffled.get(id)).toEqual(x);
    const e1 = byId(c);
    let differing = 0;
    for (const [id, x] of e0) if (JSON.stringify(e1.get(id)) !== JSON.stringify(x)) differing++;
    expect(differing).toBeGreaterThan(6);
  });

  it('skipBatches resumes mid-epoch with the same batches', async () => {
    const src = await train();
    const all = await collect(src.batches('train', { batchSize: 3, epoch: 2, shuffle: true }));
    const rest = await collect(src.batches('train', { batchSize: 3, epoch: 2, shuffle: true, skipBatches: 2 }));
    expect(rest.map((b) => b.ids)).toEqual(all.slice(2).map((b) => b.ids));
    expect(Array.from(rest[0]!.x)).toEqual(Array.from(all[2]!.x));
  });

  it('breaking out of the loop early stops cleanly', async () => {
    const src = await train();
    for await (const b of src.batches('train', { batchSize: 2, epoch: 0, shuffle: true, prefetch: 3 })) {
      expect(b.labels.length).toBe(2);
      break;
    }
  });

  for (const cache of ['memory', 'disk'] as const) {
    it(`${cache} cache gives the same batches as no cache, cold and warm`, async () => {
      const cacheDir = await tempDir();
      const none = await train();
      const cached = await train(context({ inputShape: [12, 12, 3], cache, cacheDir }));
      for (const split of ['train', 'val'] as const) {
        const ref = concat(await collect(none.batches(split, { batchSize: 4, epoch: 3, shuffle: true })));
        const cold = concat(await collect(cached.batches(split, { batchSize: 4, epoch: 3, shuffle: true })));
        const warm = concat(await collect(cached.batches(split, { batchSize: 4, epoch: 3, shuffle: true })));
        expect(cold.ids).toEqual(ref.ids);
        expect(warm.x).toEqual(cold.x);
        const maxDiff = cold.x.reduce((m, v, i) => Math.max(m, Math.abs(v - ref.x[i]!)), 0);
        expect(maxDiff).toBeLessThan(0.05); // decoded-then-resampled vs resampled while decoding
      }
      if (cache === 'disk') expect((await fs.readdir(cacheDir, { recursive: true })).some((f) => String(f).endsWith('.px'))).toBe(true);
    });
  }

  it('loadImageForInference gives exactly the validation pixels', async () => {
    const src = await train();
    const [first] = await collect(src.batches('val', { batchSize: 1, epoch: 0, shuffle: false }));
    const x = await loadImageForInference(first!.ids![0]!, [], [12, 12, 3], { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(Array.from(x)).toEqual(Array.from(first!.x));
  });

  it('mixed formats and a grayscale model input', async () => {
    const base = await tempDir();
    await writePng(path.join(base, 'x', 'a.png'), 30, 20, [200, 0, 0]);
    await fs.mkdir(path.join(base, 'y'), { recursive: true });
    await sharp(pattern(30, 20, [0, 200, 0]), { raw: { width: 30, height: 20, channels: 3 } }).webp().toFile(path.join(base, 'y', 'b.webp'));
    await sharp(pattern(30, 20, [0, 0, 200]), { raw: { width: 30, height: 20, channels: 3 } }).tiff().toFile(path.join(base, 'y', 'c.tiff'));
    const src = await openImageFolder({ root: base, valFraction: 0 }, context({ inputShape: [10, 10, 1] }));
    const [batch] = await collect(src.batches('train', { batchSize: 8, epoch: 0, shuffle: false }));
    expect(batch!.shape).toEqual([3, 10, 10, 1]);
    // Luminance (ITU-R 601): the red PNG is brighter than the blue TIFF, the green WebP brightest.
    const mean = (k: number) => batch!.x.slice(k * 100, (k + 1) * 100).reduce((a, b) => a + b, 0) / 100;
    const [red, green, blue] = [0, 1, 2].map(mean) as [number, number, number];
    expect(batch!.ids!.map((id) => path.basename(id))).toEqual(['a.png', 'b.webp', 'c.tiff']);
    expect(green).toBeGreaterThan(red);
    expect(red).toBeGreaterThan(blue);
  });
});
