/**
 * Transforms as data: `[{ randomResizedCrop: { size: 224 } }, { randomHorizontalFlip: null }, …]`.
 * A list is checked and compiled once; each sample then gets a plan from a generator keyed by
 * (seed, epoch, sample index): the geometry (one crop, one resize, one crop, a flip, executed by libvips
 * or by the JS resampler) and the pixel steps (colour jitter, normalisation into float32).
 */
import type { InputShape, TransformSpec } from '@vgglab/core';
import { DEFAULT_INTERPOLATION, RRC_ATTEMPTS } from './defaults.ts';
import { type Rng, randInt, uniform } from './rng.ts';
import { fail, parseStep, TransformError, type CompileOptions, type Interpolation, type Step } from './transform-steps.ts';

/** An integer box in the coordinates of the image it applies to. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * One sample's geometry, in the only order libvips offers: crop the (oriented) source, resize, crop
 * again, mirror. Any list of crops, resizes and flips folds into this form.
 */
export interface Geometry {
  pre: Box | null;
  resize: { width: number; height: number } | null;
  post: Box | null;
  flip: boolean;
  interpolation: Interpolation;
  /** Output size. */
  width: number;
  height: number;
}

export interface JitterStep {
  kind: 'brightness' | 'contrast' | 'saturation' | 'hue';
  factor: number;
}

export interface SamplePlan {
  geometry: Geometry;
  /** Colour jitter in the order drawn, applied to [0, 1] pixels before normalisation; empty when none. */
  jitter: JitterStep[];
}

export interface TransformPipeline {
  readonly where: string;
  readonly specs: readonly TransformSpec[];
  /** [height, width, channels] of the produced samples. */
  readonly outputShape: InputShape;
  /** True when some geometry is random (the decoded source must be kept to cache it). */
  readonly randomGeometry: boolean;
  /** A stable text of the geometry steps (cache keys). */
  readonly geometryKey: string;
  /** Draws one sample's plan for a source of the given (oriented) size. */
  plan(width: number, height: number, rng: Rng): SamplePlan;
  /** Turns geometry output (uint8, `channels` per pixel) into normalised float32 at `out[offset…]`. */
  finish(pixels: Uint8Array, plan: SamplePlan, out: Float32Array, offset: number): void;
}

/** Checks a list without compiling it for use (spec validation). Throws TransformError. */
export function validateTransforms(specs: unknown, options: CompileOptions): void {
  compileTransforms(specs, options);
}

/** Geometry state while folding steps (see Geometry). */
class GeometryBuilder {
  pre: Box | null = null;
  resize: { width: number; height: number } | null = null;
  post: Box | null = null;
  flip = false;
  interpolation: Interpolation = DEFAULT_INTERPOLATION;
  constructor(
    readonly srcW: number,
    readonly srcH: number,
    public width = srcW,
    public height = srcH,
  ) {}

  crop(box: Box): void {
    const b = { ...box };
    if (this.flip) b.left = this.width - b.left - b.width; // later crops see the mirrored image
    if (this.resize === null) {
      this.pre = this.pre ? { ...b, left: this.pre.left + b.left, top: this.pre.top + b.top } : b;
    } else {
      this.post = this.post ? { ...b, left: this.post.left + b.left, top: this.post.top + b.top } : b;
    }
    this.width = box.width;
    this.height = box.height;
  }

  scale(width: number, height: number, interpolation: Interpolation): void {
    if (this.post !== null && this.resize !== null) {
      // Resize after resize+crop: fold the crop back into source coordinates (nearest pixel).
      const base = this.pre ?? { left: 0, top: 0, width: this.srcW, height: this.srcH };
      const sx = this.resize.width / base.width;
      const sy = this.resize.height / base.height;
      const left = base.left + Math.round(this.post.left / sx);
      const top = base.top + Math.round(this.post.top / sy);
      this.pre = {
        left,
        top,
        width: Math.max(1, Math.min(this.srcW - left, Math.round(this.post.width / sx))),
        height: Math.max(1, Math.min(this.srcH - top, Math.round(this.post.height / sy))),
      };
      this.post = null;
    }
    this.resize = { width, height };
    this.interpolation = interpolation;
    this.width = width;
    this.height = height;
  }

  build(): Geometry {
    let resize = this.resize;
    const base = this.pre ?? { width: this.srcW, height: this.srcH };
    if (resize && resize.width === base.width && resize.height === base.height) resize = null;
    let pre = this.pre;
    if (pre && pre.left === 0 && pre.top === 0 && pre.width === this.srcW && pre.height === this.srcH) pre = null;
    return { pre, resize, post: this.post, flip: this.flip, interpolation: this.interpolation, width: this.width, height: this.height };
  }
}

/** Clamps a crop to the image (a crop larger than the image takes all of it; the size is kept by resizing). */
function cropBox(g: GeometryBuilder, box: Box, outW: number, outH: number, interpolation: Interpolation): void {
  const left = Math.max(0, Math.min(box.left, g.width - 1));
  const top = Math.max(0, Math.min(box.top, g.height - 1));
  const width = Math.max(1, Math.min(box.width, g.width - left));
  const height = Math.max(1, Math.min(box.height, g.height - top));
  g.crop({ left, top, width, height });
  if (width !== outW || height !== outH) g.scale(outW, outH, interpolation);
}

/** torchvision's RandomResizedCrop.get_params: ten tries, then a central crop within the ratio range. */
export function randomResizedCropBox(width: number, height: number, scale: [number, number], ratio: [number, number], rng: Rng): Box {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < RRC_ATTEMPTS; attempt++) {
    const target = area * uniform(rng, scale[0], scale[1]);
    const aspect = Math.exp(uniform(rng, logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const top = randInt(rng, 0, height - h + 1);
      const left = randInt(rng, 0, width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < ratio[0]) {
    w = width;
    h = Math.round(w / ratio[0]);
  } else if (inRatio > ratio[1]) {
    h = height;
    w = Math.round(h * ratio[1]);
  } else {
    w = width;
    h = height;
  }
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/** Output size of a Resize with an int size (shorter side, torchvision's truncation). */
function shorterSide(size: number, width: number, height: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.floor((size * height) / width) };
  return { width: Math.floor((size * width) / height), height: size };
}

/** Checks and compiles a transform list. An empty or missing list is an error here: callers pick defaults. */
export function compileTransforms(specsIn: unknown, options: CompileOptions): TransformPipeline {
  const { where, inputShape } = options;
  if (!Array.isArray(specsIn)) fail(where, `transforms must be a list, received ${JSON.stringify(specsIn)}`);
  const specs = specsIn as TransformSpec[];
  const channels = inputShape[2];
  if (channels !== 1 && channels !== 3) fail(where, `images have 1 or 3 channels; the model takes ${channels}`);
  const steps = specs.map((s, i) => parseStep(s, where, i, options));

  const normalizeAt = steps.findIndex((s) => s.kind === 'normalize');
  if (steps.filter((s) => s.kind === 'normalize').length > 1) fail(where, `'normalize' appears more than once`);
  steps.forEach((s, i) => {
    if (s.kind === 'colorJitter' && normalizeAt >= 0 && i > normalizeAt) {
      fail(`${where}[${i}]`, `'colorJitter' works on [0, 1] pixels and must come before 'normalize' (at [${normalizeAt}])`);
    }
  });

  // Static size check: the list must end with images of the model's input size.
  let known: { width: number; height: number } | null = options.sourceSize ?? null;
  for (const s of steps) {
    if (s.kind === 'resize') known = typeof s.size === 'number' ? (known ? shorterSide(s.size, known.width, known.height) : null) : { height: s.size[0], width: s.size[1] };
    else if (s.kind === 'centerCrop' || s.kind === 'randomResizedCrop') known = { height: s.size[0], width: s.size[1] };
  }
  const [h, w] = inputShape;
  if (known === null) {
    fail(where, `the images it produces vary in size; the model takes ${h}x${w}: end the geometry with a crop or a resize to [${h}, ${w}]`);
  }
  if (known.height !== h || known.width !== w) {
    fail(where, `produces ${known.height}x${known.width} images but the model takes ${h}x${w} (height x width)`);
  }

  const norm = steps[normalizeAt] as Extract<Step, { kind: 'normalize' }> | undefined;
  // One lookup table per channel: uint8 value -> normalised float (the per-pixel cost is one load).
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = norm ? (v / 255 - norm.mean[c]!) / norm.std[c]! : v / 255;
  }
  const randomGeometry = steps.some((s) => s.kind === 'randomResizedCrop' || s.kind === 'randomHorizontalFlip');
  const geometryKey = JSON.stringify(steps.filter((s) => s.kind === 'resize' || s.kind === 'centerCrop' || s.kind === 'randomResizedCrop' || s.kind === 'randomHorizontalFlip'));

  const plan = (width: number, height: number, rng: Rng): SamplePlan => {
    const g = new GeometryBuilder(width, height);
    const jitter: JitterStep[] = [];
    for (const s of steps) {
      switch (s.kind) {
        case 'resize': {
          const size = typeof s.size === 'number' ? shorterSide(s.size, g.width, g.height) : { height: s.size[0], width: s.size[1] };
          g.scale(size.width, size.height, s.interpolation);
          break;
        }
        case 'centerCrop': {
          const [ch, cw] = s.size;
          cropBox(g, { left: Math.round((g.width - cw) / 2), top: Math.round((g.height - ch) / 2), width: cw, height: ch }, cw, ch, DEFAULT_INTERPOLATION);
          break;
        }
        case 'randomResizedCrop': {
          const box = randomResizedCropBox(g.width, g.height, s.scale, s.ratio, rng);
          g.crop(box);
          g.scale(s.size[1], s.size[0], s.interpolation);
          break;
        }
        case 'randomHorizontalFlip':
          if (rng() < s.p) g.flip = !g.flip;
          break;
        case 'colorJitter': {
          const order: JitterStep['kind'][] = ['brightness', 'contrast', 'saturation', 'hue'];
          for (let i = order.length - 1; i > 0; i--) {
            const j = Math.floor(rng() * (i + 1));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          for (const kind of order) {
            const range = s[kind];
            if (range) jitter.push({ kind, factor: uniform(rng, range[0], range[1]) });
          }
          break;
        }
        case 'normalize':
        case 'toTensor':
          break;
      }
    }
    return { geometry: g.build(), jitter };
  };

  const finish = (pixels: Uint8Array, p: SamplePlan, out: Float32Array, offset: number): void => {
    const n = h * w;
    if (pixels.length !== n * channels) {
      throw new TransformError(`${where}: expected ${h}x${w}x${channels} pixels, received ${pixels.length} values`);
    }
    if (p.jitter.length === 0) {
      if (channels === 3) {
        for (let i = 0, o = offset; i < n * 3; i += 3, o += 3) {
          out[o] = lut[pixels[i]!]!;
          out[o + 1] = lut[256 + pixels[i + 1]!]!;
          out[o + 2] = lut[512 + pixels[i + 2]!]!;
        }
      } else {
        for (let i = 0; i < n; i++) out[offset + i] = lut[pixels[i]!]!;
      }
      return;
    }
    const f = new Float32Array(n * channels);
    for (let i = 0; i < f.length; i++) f[i] = pixels[i]! / 255;
    applyJitter(f, channels, p.jitter);
    const mean = norm ? norm.mean : [0, 0, 0];
    const std = norm ? norm.std : [1, 1, 1];
    for (let i = 0; i < f.length; i++) {
      const c = channels === 3 ? i % 3 : 0;
      out[offset + i] = (f[i]! - mean[c]!) / std[c]!;
    }
  };

  return { where, specs, outputShape: [h, w, channels], randomGeometry, geometryKey, plan, finish };
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** torchvision's adjust_* functions on float [0, 1] pixels (ITU-R 601 luma, as PIL's 'L'). */
export function applyJitter(f: Float32Array, channels: number, steps: JitterStep[]): void {
  const n = f.length / channels;
  for (const { kind, factor } of steps) {
    if (kind === 'brightness') {
      for (let i = 0; i < f.length; i++) f[i] = clamp01(f[i]! * factor);
    } else if (kind === 'contrast') {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += channels === 3 ? 0.299 * f[i * 3]! + 0.587 * f[i * 3 + 1]! + 0.114 * f[i * 3 + 2]! : f[i]!;
      const mean = sum / n;
      for (let i = 0; i < f.length; i++) f[i] = clamp01(factor * f[i]! + (1 - factor) * mean);
    } else if (channels === 3 && kind === 'saturation') {
      for (let i = 0; i < f.length; i += 3) {
        const g = 0.299 * f[i]! + 0.587 * f[i + 1]! + 0.114 * f[i + 2]!;
        f[i] = clamp01(factor * f[i]! + (1 - factor) * g);
        f[i + 1] = clamp01(factor * f[i + 1]! + (1 - factor) * g);
        f[i + 2] = clamp01(factor * f[i + 2]! + (1 - factor) * g);
      }
    } else if (channels === 3 && kind === 'hue') {
      for (let i = 0; i < f.length; i += 3) {
        const r = f[i]!, g = f[i + 1]!, b = f[i + 2]!;
        const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
        if (d === 0) continue;
        let hh = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
        hh = (((hh / 6 + factor) % 1) + 1) % 1;
        const s = d / max, v = max;
        const k = (m: number) => {
          const x = (m + hh * 6) % 6;
          return v - v * s * Math.max(0, Math.min(x, 4 - x, 1));
        };
        f[i] = k(5);
        f[i + 1] = k(3);
        f[i + 2] = k(1);
      }
    }
  }
}
