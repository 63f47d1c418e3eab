import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { importIdx, readIdx } from './idx.ts';
import { tempDir } from './testing/helpers.ts';

function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + dims.length * 4);
  head.writeUInt8(0x08, 2);
  head.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + i * 4));
  return Buffer.concat([head, data]);
}

/** n images of 6x5 whose pixels all equal 10 * label + index. */
async function mnistLike(dir: string, labels: number[], gzip: boolean) {
  const images = new Uint8Array(labels.length * 30);
  labels.forEach((_, i) => images.fill(10 * labels[i]! + i, i * 30, (i + 1) * 30));
  const img = idx([labels.length, 5, 6], images);
  const lab = idx([labels.length], Uint8Array.from(labels));
  const ext = gzip ? '-idx.gz' : '-idx';
  const imagesFile = path.join(dir, `images${ext}`);
  const labelsFile = path.join(dir, `labels${ext}`);
  await fs.writeFile(imagesFile, gzip ? zlib.gzipSync(img) : img);
  await fs.writeFile(labelsFile, gzip ? zlib.gzipSync(lab) : lab);
  return { imagesFile, labelsFile };
}

describe('importIdx', () => {
  for (const gzip of [true, false]) {
    it(`writes one grayscale PNG per image into label folders (${gzip ? 'gzipped' : 'plain'})`, async () => {
      const dir = await tempDir();
      const labels = [3, 0, 1, 3, 2];
      const { imagesFile, labelsFile } = await mnistLike(dir, labels, gzip);
      const out = path.join(dir, 'mnist');
      const r = await importIdx(imagesFile, labelsFile, { out });
      expect(r).toEqual({ out, images: 5, width: 6, height: 5, classes: { '0': 1, '1': 1, '2': 1, '3': 2 } });
      expect(await fs.readdir(path.join(out, '3'))).toEqual(['0.png', '3.png']);
      const meta = await sharp(path.join(out, '3', '3.png')).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 6, 5, 1]);
      const { data } = await sharp(path.join(out, '3', '3.png')).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect(new Set(data)).toEqual(new Set([33]));
    });
  }

  it('names class folders from --names', async () => {
    const dir = await tempDir();
    const { imagesFile, labelsFile } = await mnistLike(dir, [0, 1, 1], true);
    const r = await importIdx(imagesFile, labelsFile, { out: path.join(dir, 'out'), names: 'tshirt,trouser' });
    expect(r.classes).toEqual({ tshirt: 1, trouser: 2 });
    await expect(importIdx(imagesFile, labelsFile, { out: path.join(dir, 'o2'), names: ['only'] })).rejects.toThrow('--names gives 1 names but labels go up to 1 (2 names needed)');
  });

  it('errors: count mismatch, not IDX, truncated, existing output', async () => {
    const dir = await tempDir();
    const { imagesFile } = await mnistLike(dir, [0, 1, 2], false);
    const fewer = path.join(dir, 'fewer');
    await fs.writeFile(fewer, idx([2], Uint8Array.from([0, 1])));
    await expect(importIdx(imagesFile, fewer, { out: path.join(dir, 'x') })).rejects.toThrow(/3 images in .* but 2 labels in/);
    const text = path.join(dir, 'text');
    await fs.writeFile(text, 'hello');
    await expect(readIdx(text)).rejects.toThrow(/is not an IDX file/);
    const cut = path.join(dir, 'cut');
    await fs.writeFile(cut, (await fs.readFile(imagesFile)).subarray(0, 40));
    await expect(readIdx(cut)).rejects.toThrow(/is truncated/);
    const { labelsFile } = await mnistLike(dir, [0, 1, 2], false);
    await importIdx(imagesFile, labelsFile, { out: path.join(dir, 'done') });
    await expect(importIdx(imagesFile, labelsFile, { out: path.join(dir, 'done') })).rejects.toThrow(/already exists and is not empty/);
  });
});
