/**
 * `vgglab data import-idx <images> <labels> --out <root> [--names a,b,…]`: MNIST-format (IDX) files,
 * gzipped or not, into a class-per-folder root of PNGs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { Limiter } from './loader.ts';
import { DatasetError } from './scan.ts';

export interface ImportIdxOptions {
  out: string;
  /** Class folder names by label (comma list from the CLI); default the label digits. */
  names?: string[] | string;
}

export interface ImportIdxResult {
  out: string;
  images: number;
  width: number;
  height: number;
  /** Images per class folder. */
  classes: Record<string, number>;
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Reads an unsigned-byte IDX file (magic 0x0000 08 nd), gzipped or not. */
export async function readIdx(file: string): Promise<IdxArray> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw new DatasetError(`cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new DatasetError(`'${file}' looks gzipped but does not decompress (${(e as Error).message})`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DatasetError(`'${file}' is not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new DatasetError(`'${file}': only unsigned-byte IDX data is supported (type 0x${buf[2]!.toString(16)})`);
  const nd = buf[3]!;
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + i * 4));
  const start = 4 + nd * 4;
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length - start < count) throw new DatasetError(`'${file}' is truncated: ${buf.length - start} bytes of data, dims ${dims.join('x')} need ${count}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

export async function importIdx(imagesFile: string, labelsFile: string, options: ImportIdxOptions): Promise<ImportIdxResult> {
  const images = await readIdx(imagesFile);
  const labels = await readIdx(labelsFile);
  if (images.dims.length !== 3) throw new DatasetError(`'${imagesFile}' must hold images (3 dimensions: count, rows, columns), it has ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new DatasetError(`'${labelsFile}' must hold labels (1 dimension), it has ${labels.dims.length}`);
  const [count, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) throw new DatasetError(`${count} images in '${imagesFile}' but ${labels.dims[0]} labels in '${labelsFile}'`);
  const maxLabel = labels.data.reduce((m, v) => Math.max(m, v), 0);
  const names = typeof options.names === 'string' ? options.names.split(',').map((s) => s.trim()) : options.names;
  if (names) {
    if (names.length <= maxLabel) throw new DatasetError(`--names gives ${names.length} names but labels go up to ${maxLabel} (${maxLabel + 1} names needed)`);
    const badName = names.find((n) => n === '' || n.startsWith('.') || /[\\/]/.test(n));
    if (badName !== undefined) throw new DatasetError(`--names: '${badName}' cannot be a folder name`);
    if (new Set(names).size !== names.length) throw new DatasetError(`--names has duplicates: ${names.join(',')}`);
  }
  const folderOf = (label: number) => (names ? names[label]! : String(label));
  const out = path.resolve(options.out);
  const existing = await fs.readdir(out).catch(() => [] as string[]);
  if (existing.length > 0) throw new DatasetError(`--out '${out}' already exists and is not empty; choose a new folder`);
  const classes: Record<string, number> = {};
  for (let l = 0; l <= maxLabel; l++) {
    await fs.mkdir(path.join(out, folderOf(l)), { recursive: true });
    classes[folderOf(l)] = 0;
  }
  const digits = String(count - 1).length;
  const limiter = new Limiter(8);
  const size = width * height;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      limiter.run(async () => {
        const label = labels.data[i]!;
        const pixels = Buffer.from(images.data.buffer, images.data.byteOffset + i * size, size);
        const png = await sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
        await fs.writeFile(path.join(out, folderOf(label), `${String(i).padStart(digits, '0')}.png`), png);
        classes[folderOf(label)]!++;
      }),
    ),
  );
  return { out, images: count, width, height, classes };
}
