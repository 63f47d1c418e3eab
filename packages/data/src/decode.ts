/**
 * Pixels: decoding with sharp (libvips) into 8-bit RGB (or gray), with the sample's geometry done in the
 * same libvips pipeline, and a JS resampler for pixels already in memory (synthetic data).
 */
import fs from 'node:fs/promises';
import sharp, { type KernelEnum, type OutputInfo, type Sharp } from 'sharp';
import type { ImageInput, InputShape, Preprocessing, TransformSpec } from '@vgglab/core';
import { FAIL_ON, PRESCALE_MIN_PIXELS } from './defaults.ts';
import { BadImageError, describeDecodeError, explainDecodeFailure, type ImageHeader, probeImage } from './probe.ts';
import { defaultTransforms, type Interpolation } from './transform-steps.ts';
import { compileTransforms, type Geometry } from './transforms.ts';
import { rngFor } from './rng.ts';

// One libvips thread per image and several images in flight (see loader.ts) beat libvips' own threading
// on small images; the operation cache only costs memory for one-shot pipelines.
sharp.concurrency(1);
sharp.cache(false);

/** An image in memory: 8-bit, `channels` per pixel, row-major. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

const KERNEL: Record<Interpolation, keyof KernelEnum> = {
  nearest: 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
  lanczos: 'lanczos3',
};

/** Source of a sharp pipeline: a file (with its header) or raw pixels. */
export type PixelSource = { file: string; header: ImageHeader } | { raw: RawImage };

/**
 * The whole file in one read. Measured (bench/data.ts --breakdown): libvips reading the file itself costs
 * more CPU per image than Node reading it and handing libvips the bytes (its file source reads in small
 * chunks, and every system call is expensive on this kind of VM); the bytes are the same, so is the result.
 */
export async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadImageError(file, code === 'ENOENT' ? 'unreadable (file not found)' : `unreadable (${code ?? (e as Error).message})`);
  }
}

/** A sharp pipeline over one source; a file source must come with its bytes (readImageFile). */
function open(source: PixelSource, channels: 1 | 3, bytes?: Buffer): Sharp {
  if ('raw' in source) {
    const { data, width, height, channels: c } = source.raw;
    return sharp(data, { raw: { width, height, channels: c } });
  }
  // autoOrient only when needed: it would disable JPEG shrink-on-load for every image.
  let img = sharp(bytes ?? source.file, { failOn: FAIL_ON, autoOrient: source.header.orientation > 1 });
  img = img.removeAlpha();
  return channels === 3 ? img.toColourspace('srgb') : img.toColourspace('b-w');
}

/**
 * JPEG shrink-on-load for crops: libvips decodes a JPEG at 1/2, 1/4 or 1/8 scale (in the DCT, far cheaper)
 * only when no crop comes before the resize. When a crop is at least twice the output size, decode the
 * whole image at the largest such scale first, then crop and resize that: one decode, at a fraction of
 * the cost on large photos.
 */
function jpegPrescale(source: PixelSource, geometry: Geometry): number {
  if (!('file' in source) || source.header.format !== 'jpeg' || source.header.orientation > 1) return 1;
  if (!geometry.pre || !geometry.resize) return 1;
  // Small images decode fast already; the extra libvips call would cost more than it saves.
  if (source.header.width * source.header.height < PRESCALE_MIN_PIXELS) return 1;
  const s = Math.min(geometry.pre.width / geometry.resize.width, geometry.pre.height / geometry.resize.height);
  return s >= 8 ? 8 : s >= 4 ? 4 : s >= 2 ? 2 : 1;
}

async function prescaled(source: { file: string; header: ImageHeader }, geometry: Geometry, channels: 1 | 3, k: number): Promise<Uint8Array> {
  const width = Math.ceil(source.header.width / k);
  const height = Math.ceil(source.header.height / k);
  const small = await open(source, channels, await readImageFile(source.file))
    .resize(width, height, { fit: 'fill', kernel: KERNEL[geometry.interpolation] })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(async (e: Error) => {
      throw await explainDecodeFailure(source.file, e);
    });
  const sx = width / source.header.width;
  const sy = height / source.header.height;
  const pre = geometry.pre!;
  const left = Math.min(width - 1, Math.round(pre.left * sx));
  const top = Math.min(height - 1, Math.round(pre.top * sy));
  const scaledPre = {
    left,
    top,
    width: Math.max(1, Math.min(width - left, Math.round(pre.width * sx))),
    height: Math.max(1, Math.min(height - top, Math.round(pre.height * sy))),
  };
  const raw: RawImage = { data: new Uint8Array(small.data.buffer, small.data.byteOffset, small.data.length), width, height, channels };
  return geometryWithSharp({ raw }, { ...geometry, pre: scaledPre }, channels);
}

/** Runs one sample's geometry in libvips and returns width x height x channels bytes. */
export async function geometryWithSharp(source: PixelSource, geometry: Geometry, channels: 1 | 3): Promise<Uint8Array> {
  const k = jpegPrescale(source, geometry);
  if (k > 1 && 'file' in source) return prescaled(source, geometry, channels, k);
  let img = open(source, channels, 'file' in source ? await readImageFile(source.file) : undefined);
  if (geometry.pre) img = img.extract(geometry.pre);
  if (geometry.resize) img = img.resize(geometry.resize.width, geometry.resize.height, { fit: 'fill', kernel: KERNEL[geometry.interpolation] });
  if (geometry.post) img = img.extract(geometry.post);
  if (geometry.flip) img = img.flop();
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (!('file' in source)) throw new BadImageError('(pixels in memory)', describeDecodeError((e as Error).message));
    throw await explainDecodeFailure(source.file, e);
  }
  const { info } = out;
  if (info.width !== geometry.width || info.height !== geometry.height || info.channels !== channels) {
    const file = 'file' in source ? source.file : '(pixels in memory)';
    throw new BadImageError(file, `decoded to ${info.width}x${info.height}x${info.channels}, expected ${geometry.width}x${geometry.height}x${channels}`);
  }
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
}

/** Decodes a whole image, EXIF-oriented, as 8-bit RGB (or gray). Throws BadImageError with the reason. */
export async function decodeImage(file: string, options: { channels?: 1 | 3 } = {}): Promise<RawImage> {
  const channels = options.channels ?? 3;
  const img = sharp(await readImageFile(file), { failOn: FAIL_ON, autoOrient: true }).removeAlpha();
  try {
    const { data, info } = await (channels === 3 ? img.toColourspace('srgb') : img.toColourspace('b-w')).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels };
  } catch (e) {
    throw await explainDecodeFailure(file, e);
  }
}

/** Filter taps for one axis: for each output index, the first source index and normalised weights. */
function taps(srcSize: number, start: number, span: number, outSize: number, interpolation: Interpolation) {
  const scale = span / outSize;
  const support = interpolation === 'nearest' ? 0 : Math.max(1, scale);
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = start + (o + 0.5) * scale;
    if (support === 0) {
      first[o] = Math.min(srcSize - 1, Math.max(0, Math.floor(center)));
      count[o] = 1;
      weights[o * maxTaps] = 1;
      continue;
    }
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(srcSize - 1, Math.ceil(center + support));
    let total = 0;
    let n = 0;
    for (let i = lo; i <= hi && n < maxTaps; i++) {
      const w = Math.max(0, 1 - Math.abs((i + 0.5 - center) / support));
      weights[o * maxTaps + n] = w;
      total += w;
      n++;
    }
    if (total === 0) {
      weights[o * maxTaps] = 1;
      n = 1;
      total = 1;
    }
    for (let k = 0; k < n; k++) weights[o * maxTaps + k]! /= total;
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, maxTaps };
}

/** Runs one sample's geometry on pixels in memory (antialiased bilinear, like PIL's). */
export function geometryInJs(src: RawImage, geometry: Geometry): Uint8Array {
  const { width: sw, height: sh, channels: ch, data } = src;
  // Source region of the output in (fractional) source coordinates.
  const base = geometry.pre ?? { left: 0, top: 0, width: sw, height: sh };
  let rx = base.left;
  let ry = base.top;
  let rw = base.width;
  let rh = base.height;
  if (geometry.resize) {
    const sx = geometry.resize.width / base.width;
    const sy = geometry.resize.height / base.height;
    if (geometry.post) {
      rx += geometry.post.left / sx;
      ry += geometry.post.top / sy;
      rw = geometry.post.width / sx;
      rh = geometry.post.height / sy;
    }
  }
  const ow = geometry.width;
  const oh = geometry.height;
  const out = new Uint8Array(ow * oh * ch);
  const identity = rx === 0 && ry === 0 && rw === sw && rh === sh && ow === sw && oh === sh;
  if (identity && !geometry.flip) {
    out.set(data);
    return out;
  }
  const tx = taps(sw, rx, rw, ow, geometry.interpolation);
  const ty = taps(sh, ry, rh, oh, geometry.interpolation);
  // Horizontal pass over the rows the vertical pass needs.
  const rowLo = ty.first[0]!;
  let rowHi = rowLo;
  for (let o = 0; o < oh; o++) rowHi = Math.max(rowHi, ty.first[o]! + ty.count[o]! - 1);
  const rows = rowHi - rowLo + 1;
  const tmp = new Float32Array(rows * ow * ch);
  for (let r = 0; r < rows; r++) {
    const srow = (rowLo + r) * sw * ch;
    for (let o = 0; o < ow; o++) {
      const f = tx.first[o]!, n = tx.count[o]!, wo = o * tx.maxTaps;
      const dst = (r * ow + (geometry.flip ? ow - 1 - o : o)) * ch;
      for (let c = 0; c < ch; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wo + k]! * data[srow + (f + k) * ch + c]!;
        tmp[dst + c] = acc;
      }
    }
  }
  for (let o = 0; o < oh; o++) {
    const f = ty.first[o]! - rowLo, n = ty.count[o]!, wo = o * ty.maxTaps;
    for (let x = 0; x < ow * ch; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += ty.weights[wo + k]! * tmp[(f + k) * ow * ch + x]!;
      out[o * ow * ch + x] = acc < 0 ? 0 : acc > 255 ? 255 : Math.round(acc);
    }
  }
  return out;
}

/**
 * One image preprocessed exactly like validation (for `predict`): decode, EXIF orientation, the val
 * transforms (the defaults when the list is empty), normalisation. Returns inputShape h*w*c floats.
 */
export async function loadImageForInference(
  file: string,
  transformsVal: TransformSpec[] | undefined,
  inputShape: InputShape,
  preprocessing: Preprocessing,
): Promise<Float32Array> {
  const specs = transformsVal && transformsVal.length > 0 ? transformsVal : defaultTransforms(inputShape).val;
  const pipeline = compileTransforms(specs, { inputShape, preprocessing, where: 'data.transforms.val' });
  const header = await probeImage(file);
  const plan = pipeline.plan(header.width, header.height, rngFor(0, 0));
  const channels = inputShape[2] as 1 | 3;
  const pixels = await geometryWithSharp({ file, header }, plan.geometry, channels);
  const out = new Float32Array(inputShape[0] * inputShape[1] * channels);
  pipeline.finish(pixels, plan, out, 0);
  return out;
}

/**
 * The datasets' `loadImage` (DatasetEntry): predict reads an image file the same way whichever of them a
 * model was trained on.
 */
export function loadImageInput(file: string, input: ImageInput): Promise<Float32Array> {
  return loadImageForInference(file, input.transforms, input.inputShape, input.preprocessing);
}
