/**
 * The transform steps a spec may list, checked one by one: names, parameters and their ranges, with errors
 * that name the list, the index and what was received; and the default lists. transforms.ts compiles them.
 */
import type { InputShape, Preprocessing, TransformSpec } from '@vgglab/core';
import { DEFAULT_FLIP_P, DEFAULT_INTERPOLATION, RRC_RATIO, RRC_SCALE } from './defaults.ts';

export class TransformError extends Error {
  override name = 'TransformError';
}

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos';
const INTERPOLATIONS: Interpolation[] = ['nearest', 'bilinear', 'bicubic', 'lanczos'];

export type Size = [number, number];

export type Step =
  | { kind: 'resize'; size: number | Size; interpolation: Interpolation }
  | { kind: 'centerCrop'; size: Size }
  | { kind: 'randomResizedCrop'; size: Size; scale: [number, number]; ratio: [number, number]; interpolation: Interpolation }
  | { kind: 'randomHorizontalFlip'; p: number }
  | { kind: 'colorJitter'; brightness: [number, number] | null; contrast: [number, number] | null; saturation: [number, number] | null; hue: [number, number] | null }
  | { kind: 'normalize'; mean: number[]; std: number[] }
  | { kind: 'toTensor' };

interface ParamSpec {
  /** Allowed parameter names with a one-line description for errors. */
  params: Record<string, string>;
}

const KNOWN: Record<Step['kind'], ParamSpec> = {
  resize: { params: { size: 'number (shorter side) or [height, width]', interpolation: INTERPOLATIONS.join('|') } },
  centerCrop: { params: { size: 'number or [height, width]' } },
  randomResizedCrop: {
    params: { size: 'number or [height, width]', scale: '[min, max] area fraction', ratio: '[min, max] aspect ratio', interpolation: INTERPOLATIONS.join('|') },
  },
  randomHorizontalFlip: { params: { p: 'probability in [0, 1]' } },
  colorJitter: { params: { brightness: 'f or [min, max]', contrast: 'f or [min, max]', saturation: 'f or [min, max]', hue: 'h <= 0.5 or [min, max]' } },
  normalize: { params: { mean: 'number or [r, g, b]', std: 'number or [r, g, b]' } },
  toTensor: { params: {} },
};

/** Names of the transforms this package understands. */
export const TRANSFORM_NAMES = Object.keys(KNOWN) as Step['kind'][];

export interface CompileOptions {
  inputShape: InputShape;
  preprocessing: Preprocessing;
  /** Where the list sits in the spec, for errors: 'data.transforms.train'. */
  where: string;
  /** Known size of every source image (synthetic data), to allow lists that do not fix the output size. */
  sourceSize?: { width: number; height: number };
}
export function fail(where: string, message: string): never {
  throw new TransformError(`${where}: ${message}`);
}

function parseSize(where: string, name: string, value: unknown, allowScalar: boolean): number | Size {
  const isDim = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (allowScalar && isDim(value)) return value as number;
  if (Array.isArray(value) && value.length === 2 && value.every(isDim)) return [value[0], value[1]];
  if (isDim(value)) return [value as number, value as number];
  fail(where, `'${name}' must be a positive integer or [height, width], received ${JSON.stringify(value)}`);
}

function parseRange(where: string, name: string, value: unknown, lo: number, hi: number): [number, number] {
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const [a, b] = value as [number, number];
    if (a > b || a < lo || b > hi) fail(where, `'${name}' must be [min, max] with ${lo} <= min <= max <= ${hi}, received ${JSON.stringify(value)}`);
    return [a, b];
  }
  fail(where, `'${name}' must be [min, max], received ${JSON.stringify(value)}`);
}

/** torchvision's jitter argument: f means [max(0, 1 - f), 1 + f]; hue h means [-h, h]. */
function parseJitter(where: string, name: string, value: unknown, hue: boolean): [number, number] | null {
  if (value === undefined || value === null || value === 0) return null;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    if (hue) {
      if (value > 0.5) fail(where, `'hue' must be in [0, 0.5], received ${value}`);
      return [-value, value];
    }
    return [Math.max(0, 1 - value), 1 + value];
  }
  return hue ? parseRange(where, name, value, -0.5, 0.5) : parseRange(where, name, value, 0, Number.POSITIVE_INFINITY);
}

function parseTriple(where: string, name: string, value: unknown): number[] {
  if (typeof value === 'number' && Number.isFinite(value)) return [value, value, value];
  if (Array.isArray(value) && (value.length === 3 || value.length === 1) && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return value.length === 3 ? (value as number[]) : [value[0], value[0], value[0]];
  }
  fail(where, `'${name}' must be a number or [r, g, b], received ${JSON.stringify(value)}`);
}

function parseInterpolation(where: string, value: unknown): Interpolation {
  if (value === undefined) return DEFAULT_INTERPOLATION;
  if (typeof value === 'string' && (INTERPOLATIONS as string[]).includes(value)) return value as Interpolation;
  fail(where, `'interpolation' must be one of ${INTERPOLATIONS.join(', ')}, received ${JSON.stringify(value)}`);
}

/** Checks one list item and returns its step; errors name the list, the index and the known names. */
export function parseStep(spec: TransformSpec, where: string, index: number, opts: CompileOptions): Step {
  const at = `${where}[${index}]`;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    if (typeof spec === 'string' && (TRANSFORM_NAMES as string[]).includes(spec)) return parseStep({ [spec]: null }, where, index, opts);
    fail(at, `a transform is a one-key object such as { randomHorizontalFlip: null }, received ${JSON.stringify(spec)}`);
  }
  const keys = Object.keys(spec);
  if (keys.length !== 1) fail(at, `a transform has exactly one key (its name), received ${JSON.stringify(keys)}`);
  const name = keys[0]!;
  if (!(name in KNOWN)) {
    throw new TransformError(`unknown transform '${name}' in ${at}; known: ${TRANSFORM_NAMES.join(', ')}`);
  }
  const raw = spec[name];
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    fail(at, `the parameters of '${name}' must be an object or null, received ${JSON.stringify(raw)}`);
  }
  const p = (raw ?? {}) as Record<string, unknown>;
  const allowed = KNOWN[name as Step['kind']].params;
  for (const k of Object.keys(p)) {
    if (!(k in allowed)) {
      const list = Object.entries(allowed).map(([n, d]) => `${n} (${d})`).join(', ');
      fail(at, `unknown parameter '${k}' of '${name}'; known: ${list || 'none'}`);
    }
  }
  const here = `${at} (${name})`;
  const [h, w] = opts.inputShape;
  switch (name as Step['kind']) {
    case 'resize':
      return { kind: 'resize', size: p.size === undefined ? [h, w] : parseSize(here, 'size', p.size, true), interpolation: parseInterpolation(here, p.interpolation) };
    case 'centerCrop':
      return { kind: 'centerCrop', size: p.size === undefined ? [h, w] : (parseSize(here, 'size', p.size, false) as Size) };
    case 'randomResizedCrop':
      return {
        kind: 'randomResizedCrop',
        size: p.size === undefined ? [h, w] : (parseSize(here, 'size', p.size, false) as Size),
        scale: p.scale === undefined ? RRC_SCALE : parseRange(here, 'scale', p.scale, 0, 1),
        ratio: p.ratio === undefined ? RRC_RATIO : parseRange(here, 'ratio', p.ratio, 1e-6, 1e6),
        interpolation: parseInterpolation(here, p.interpolation),
      };
    case 'randomHorizontalFlip': {
      const prob = p.p === undefined ? DEFAULT_FLIP_P : p.p;
      if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) fail(here, `'p' must be a probability in [0, 1], received ${JSON.stringify(prob)}`);
      return { kind: 'randomHorizontalFlip', p: prob };
    }
    case 'colorJitter':
      return {
        kind: 'colorJitter',
        brightness: parseJitter(here, 'brightness', p.brightness, false),
        contrast: parseJitter(here, 'contrast', p.contrast, false),
        saturation: parseJitter(here, 'saturation', p.saturation, false),
        hue: parseJitter(here, 'hue', p.hue, true),
      };
    case 'normalize': {
      const mean = p.mean === undefined ? opts.preprocessing.mean : parseTriple(here, 'mean', p.mean);
      const std = p.std === undefined ? opts.preprocessing.std : parseTriple(here, 'std', p.std);
      if (std.some((s) => s <= 0)) fail(here, `'std' must be positive, received ${JSON.stringify(std)}`);
      return { kind: 'normalize', mean: [...mean], std: [...std] };
    }
    case 'toTensor':
      return { kind: 'toTensor' };
  }
}

/** The defaults when a spec gives no list: the seed's recipe at the model's input size. */
export function defaultTransforms(inputShape: InputShape): { train: TransformSpec[]; val: TransformSpec[] } {
  const size = [inputShape[0], inputShape[1]];
  return {
    train: [{ randomResizedCrop: { size } }, { randomHorizontalFlip: null }, { normalize: null }],
    val: [{ resize: { size } }, { normalize: null }],
  };
}
