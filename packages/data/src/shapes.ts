/**
 * `shapes`: a synthetic dataset of coloured shapes at random sizes, positions and rotations on noisy
 * backgrounds, drawn in JS from a seed (no download, no decoding). The same options give the same pixels;
 * generated splits are memoised per process.
 */
import type { DatasetContext, DatasetEntry, DatasetSource, Split } from '@vgglab/core';
import { SHAPES_DEFAULTS } from './defaults.ts';
import { geometryInJs, loadImageInput, type RawImage } from './decode.ts';
import { iterateBatches, type SampleStore } from './loader.ts';
import { normal, rngFor, type Rng, STREAM, uniform } from './rng.ts';
import { DatasetError } from './scan.ts';
import { compileTransforms, type TransformPipeline } from './transforms.ts';
import type { TransformSpec } from '@vgglab/core';

type Inside = (x: number, y: number) => boolean;

function polygon(points: [number, number][]): Inside {
  return (x, y) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i]!;
      const [xj, yj] = points[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}

function regular(n: number, radius: number, phase = -Math.PI / 2): [number, number][] {
  return Array.from({ length: n }, (_, k) => [radius * Math.cos(phase + (2 * Math.PI * k) / n), radius * Math.sin(phase + (2 * Math.PI * k) / n)] as [number, number]);
}

function star(points: number, outer: number, inner: number): [number, number][] {
  return Array.from({ length: points * 2 }, (_, k) => {
    const r = k % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (Math.PI * k) / points;
    return [r * Math.cos(a), r * Math.sin(a)] as [number, number];
  });
}

/** Shapes in a unit frame (extent about [-1, 1]); sizes chosen so areas are comparable. */
export const SHAPES: Record<string, Inside> = {
  circle: (x, y) => x * x + y * y <= 0.8,
  square: (x, y) => Math.abs(x) <= 0.78 && Math.abs(y) <= 0.78,
  triangle: polygon(regular(3, 1.05, -Math.PI / 2)),
  star: polygon(star(5, 1.15, 0.42)),
  cross: (x, y) => (Math.abs(x) <= 0.3 && Math.abs(y) <= 1) || (Math.abs(y) <= 0.3 && Math.abs(x) <= 1),
  ring: (x, y) => {
    const r = x * x + y * y;
    return r <= 1 && r >= 0.45;
  },
  crescent: (x, y) => x * x + y * y <= 1 && (x - 0.5) * (x - 0.5) + y * y > 0.7,
  hexagon: polygon(regular(6, 0.95, 0)),
};
export const SHAPE_NAMES = Object.keys(SHAPES);

export interface ShapesOptions extends Record<string, unknown> {
  /** Shape names (from SHAPE_NAMES) or a count of the first ones. */
  classes: string[] | number;
  trainCount: number;
  valCount: number;
  /** Side of the generated square images; defaults to the model's input height. */
  imageSize?: number;
  noise: number;
  seed: number;
}

export const shapesOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    classes: {
      description: `Shape names (${SHAPE_NAMES.join(', ')}) or how many of them.`,
      anyOf: [
        { type: 'array', items: { enum: SHAPE_NAMES }, minItems: 2, uniqueItems: true },
        { type: 'integer', minimum: 2, maximum: SHAPE_NAMES.length },
      ],
      default: [...SHAPES_DEFAULTS.classes],
    },
    trainCount: { type: 'integer', minimum: 1, default: SHAPES_DEFAULTS.trainCount },
    valCount: { type: 'integer', minimum: 1, default: SHAPES_DEFAULTS.valCount },
    imageSize: { type: 'integer', minimum: 8, maximum: 1024, description: "Defaults to the model's input size." },
    noise: { type: 'number', minimum: 0, maximum: 1, default: SHAPES_DEFAULTS.noise, description: 'Background noise (std on [0, 1] pixels).' },
    seed: { type: 'integer', minimum: 0, default: SHAPES_DEFAULTS.seed, description: "The dataset's own seed (not the experiment seed)." },
  },
} as const;

function hsv(h: number, s: number, v: number): [number, number, number] {
  const k = (m: number) => {
    const x = (m + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(x, 4 - x, 1));
  };
  return [k(5), k(3), k(1)];
}
const luma = (c: [number, number, number]) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];

let gaussians: Float32Array | null = null;
/** 4096 standard normal values from a fixed seed (the noise is looked up, not computed per pixel). */
function gaussianTable(): Float32Array {
  if (!gaussians) {
    const rng = rngFor(0x5eed, STREAM.shapes);
    gaussians = Float32Array.from({ length: 4096 }, () => normal(rng));
  }
  return gaussians;
}

/** Draws one image of `shape` from `rng` (size x size x 3 bytes). */
export function drawShape(shape: string, size: number, noise: number, rng: Rng): Uint8Array {
  const inside = SHAPES[shape];
  if (!inside) throw new DatasetError(`unknown shape '${shape}'; known: ${SHAPE_NAMES.join(', ')}`);
  // Kept clean on purpose (large shapes, clear brightness contrast, mild noise) so a narrow VGG learns it in
  // minutes on a CPU: measured 0.90 val accuracy after 3 epochs of 2000 images at 32x32 (vgg11_bn, 1/4 width).
  // Background: a colour with a gentle gradient; the shape's colour differs clearly in brightness.
  const bg = hsv(rng(), uniform(rng, 0.2, 0.9), uniform(rng, 0.15, 0.95));
  let fg: [number, number, number];
  do fg = hsv(rng(), uniform(rng, 0.3, 1), uniform(rng, 0.2, 1));
  while (Math.abs(luma(fg) - luma(bg)) < 0.4);
  const gx = uniform(rng, -0.1, 0.1);
  const gy = uniform(rng, -0.1, 0.1);
  const radius = uniform(rng, 0.3, 0.45) * size;
  const cx = uniform(rng, radius, size - radius);
  const cy = uniform(rng, radius, size - radius);
  const angle = uniform(rng, 0, 2 * Math.PI);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Edge smoothing: a pixel's coverage is the share of its four corners inside the shape (one test per corner,
  // shared by the neighbouring pixels).
  const corners = new Uint8Array((size + 1) * (size + 1));
  const lo = (v: number) => Math.max(0, Math.floor(v - radius * 1.2));
  const hi = (v: number) => Math.min(size, Math.ceil(v + radius * 1.2));
  for (let y = lo(cy); y <= hi(cy); y++) {
    for (let x = lo(cx); x <= hi(cx); x++) {
      const dx = (x - cx) / radius;
      const dy = (y - cy) / radius;
      corners[y * (size + 1) + x] = inside(cos * dx + sin * dy, -sin * dx + cos * dy) ? 1 : 0;
    }
  }
  const out = new Uint8Array(size * size * 3);
  const table = gaussianTable();
  // Noise: a cheap integer generator seeded from the image's generator, looking up Gaussian values.
  let state = Math.floor(rng() * 4294967296) >>> 0 || 1;
  const scale = 255 * noise;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * (size + 1) + x;
      const cover = (corners[k]! + corners[k + 1]! + corners[k + size + 1]! + corners[k + size + 2]!) / 4;
      const shade = 1 + gx * (x / size - 0.5) * 2 + gy * (y / size - 0.5) * 2;
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const v = (bg[c]! * shade * (1 - cover) + fg[c]! * cover) * 255 + scale * table[(state >>> 0) & 4095]!;
        out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
  return out;
}

export interface ShapesSplit {
  images: Uint8Array[];
  labels: Int32Array;
  size: number;
  classNames: string[];
}

const memo = new Map<string, ShapesSplit>();

function resolveClasses(classes: string[] | number | undefined): string[] {
  if (classes === undefined) return [...SHAPES_DEFAULTS.classes];
  if (typeof classes === 'number') {
    if (!Number.isInteger(classes) || classes < 2 || classes > SHAPE_NAMES.length) {
      throw new DatasetError(`shapes: 'classes' must be 2..${SHAPE_NAMES.length} or a list of names, received ${classes}`);
    }
    return SHAPE_NAMES.slice(0, classes).sort();
  }
  const unknown = classes.filter((c) => !(c in SHAPES));
  if (unknown.length > 0) throw new DatasetError(`shapes: unknown shape ${unknown.map((u) => `'${u}'`).join(', ')}; known: ${SHAPE_NAMES.join(', ')}`);
  if (new Set(classes).size < 2) throw new DatasetError(`shapes: 'classes' needs at least two different shapes, received ${JSON.stringify(classes)}`);
  return [...classes].sort();
}

/**
 * Generates (or returns the memoised) split: sample i has class i mod classes, drawn from a generator keyed
 * by (seed, split, i), so any count and size is reproducible and a larger count extends a smaller one.
 */
export function generateShapes(split: Split, options: { classes?: string[] | number; count: number; imageSize: number; noise?: number; seed?: number }): ShapesSplit {
  const classNames = resolveClasses(options.classes);
  const noise = options.noise ?? SHAPES_DEFAULTS.noise;
  const seed = options.seed ?? SHAPES_DEFAULTS.seed;
  const key = JSON.stringify([split, classNames, options.count, options.imageSize, noise, seed]);
  const hit = memo.get(key);
  if (hit) return hit;
  const images: Uint8Array[] = [];
  const labels = new Int32Array(options.count);
  for (let i = 0; i < options.count; i++) {
    const label = i % classNames.length;
    labels[i] = label;
    images.push(drawShape(classNames[label]!, options.imageSize, noise, rngFor(seed, STREAM.shapes, split === 'train' ? 0 : 1, i)));
  }
  const result = { images, labels, size: options.imageSize, classNames };
  memo.set(key, result);
  return result;
}

class ShapesStore implements SampleStore {
  constructor(
    readonly data: ShapesSplit,
    readonly split: Split,
  ) {}
  get size() {
    return this.data.images.length;
  }
  label(i: number) {
    return this.data.labels[i]!;
  }
  id(i: number) {
    return `shapes:${this.split}:${i}`;
  }
  sourceSize() {
    return { width: this.data.size, height: this.data.size };
  }
  async load(i: number, plan: Parameters<SampleStore['load']>[1]): Promise<Uint8Array> {
    const src: RawImage = { data: this.data.images[i]!, width: this.data.size, height: this.data.size, channels: 3 };
    return geometryInJs(src, plan.geometry);
  }
}

/** Shapes' defaults keep the whole shape in view: flips only (a random crop could cut the shape away). */
export function shapesDefaultTransforms(): { train: TransformSpec[]; val: TransformSpec[] } {
  return { train: [{ randomHorizontalFlip: null }, { normalize: null }], val: [{ normalize: null }] };
}

export async function openShapes(options: Partial<ShapesOptions>, context: DatasetContext): Promise<DatasetSource> {
  const [h, w, c] = context.inputShape;
  const imageSize = options.imageSize ?? h;
  if (c !== 3) throw new DatasetError(`shapes: images are RGB; the model takes ${c} channel(s)`);
  const base = { classes: options.classes, imageSize, noise: options.noise, seed: options.seed };
  const sets: Record<Split, ShapesSplit> = {
    train: generateShapes('train', { ...base, count: options.trainCount ?? SHAPES_DEFAULTS.trainCount }),
    val: generateShapes('val', { ...base, count: options.valCount ?? SHAPES_DEFAULTS.valCount }),
  };
  const defaults = shapesDefaultTransforms();
  if (imageSize !== h || imageSize !== w) {
    // Generated at another size: the defaults resize to the model's input.
    defaults.train.unshift({ resize: { size: [h, w] } });
    defaults.val.unshift({ resize: { size: [h, w] } });
  }
  const sourceSize = { width: imageSize, height: imageSize };
  const compile = (split: Split): TransformPipeline => {
    const given = context.transforms[split];
    return compileTransforms(given?.length ? given : defaults[split], {
      inputShape: context.inputShape,
      preprocessing: context.preprocessing,
      where: `data.transforms.${split}`,
      sourceSize,
    });
  };
  const pipelines: Record<Split, TransformPipeline> = { train: compile('train'), val: compile('val') };
  const stores: Record<Split, ShapesStore> = { train: new ShapesStore(sets.train, 'train'), val: new ShapesStore(sets.val, 'val') };
  return {
    classNames: sets.train.classNames,
    size: (split) => stores[split].size,
    batches: (split, batch) =>
      iterateBatches(stores[split], pipelines[split], batch, {
        seed: context.seed,
        splitKey: split === 'train' ? 0 : 1,
        concurrency: 1,
        strict: context.strict,
        onBadFiles: () => undefined,
      }),
  };
}

export const shapes: DatasetEntry<ShapesOptions> = {
  description: 'Synthetic coloured shapes on noisy backgrounds, generated from a seed (no download).',
  optionsSchema: shapesOptionsSchema,
  open: openShapes,
  loadImage: loadImageInput,
};
