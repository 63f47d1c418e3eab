/** Helpers for this package's tests: temporary folders and images made with sharp. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { DatasetContext, InputShape } from '@vgglab/core';

export async function tempDir(prefix = 'vgglab-data-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A w x h RGB image filled with `rgb`, with a gradient so geometry changes pixels. */
export function pattern(width: number, height: number, rgb: [number, number, number], seed = 0): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      px[o] = (rgb[0] + ((x * 97 + seed * 13) % 40)) & 255;
      px[o + 1] = (rgb[1] + ((y * 61 + seed * 7) % 40)) & 255;
      px[o + 2] = rgb[2];
    }
  }
  return px;
}

export function rawImage(width: number, height: number, rgb: [number, number, number], seed = 0) {
  return sharp(pattern(width, height, rgb, seed), { raw: { width, height, channels: 3 } });
}

export async function writeJpeg(file: string, width: number, height: number, rgb: [number, number, number], seed = 0): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await rawImage(width, height, rgb, seed).jpeg({ quality: 90 }).toFile(file);
  return file;
}

export async function writePng(file: string, width: number, height: number, rgb: [number, number, number], seed = 0): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await rawImage(width, height, rgb, seed).png().toFile(file);
  return file;
}

/** A class-per-folder root: classes -> count of small JPEGs each. */
export async function makeFolder(root: string, classes: Record<string, number>, size: [number, number] = [40, 30]): Promise<string> {
  const colours: [number, number, number][] = [
    [200, 30, 30],
    [30, 200, 30],
    [30, 30, 200],
    [200, 200, 30],
  ];
  let k = 0;
  for (const [name, count] of Object.entries(classes)) {
    await fs.mkdir(path.join(root, name), { recursive: true });
    for (let i = 0; i < count; i++) await writeJpeg(path.join(root, name, `img${String(i).padStart(3, '0')}.jpg`), size[0], size[1], colours[k % 4]!, i);
    k++;
  }
  return root;
}

export function context(overrides: Partial<DatasetContext> & { inputShape?: InputShape } = {}): DatasetContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    baseDir: process.cwd(),
    seed: 0,
    inputShape: [16, 16, 3],
    preprocessing: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    transforms: { train: [], val: [] },
    cache: 'none',
    cacheDir: path.join(os.tmpdir(), 'vgglab-data-cache'),
    strict: false,
    warn: (m: string) => warnings.push(m),
    ...overrides,
    warnings,
  };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
