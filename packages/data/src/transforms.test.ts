import { describe, expect, it } from 'vitest';
import { rngFor } from './rng.ts';
import { defaultTransforms, TransformError } from './transform-steps.ts';
import { applyJitter, compileTransforms, randomResizedCropBox } from './transforms.ts';

const pre = { mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.5, 0.5, 0.5] as [number, number, number] };
const compile = (specs: unknown, inputShape: [number, number, number] = [8, 8, 3]) =>
  compileTransforms(specs, { inputShape, preprocessing: pre, where: 'data.transforms.train' });

describe('validation', () => {
  it('names an unknown transform, its place and the known ones', () => {
    expect(() => compile([{ resize: null }, { randomCrop: { size: 8 } }])).toThrow(
      "unknown transform 'randomCrop' in data.transforms.train[1]; known: resize, centerCrop, randomResizedCrop, randomHorizontalFlip, colorJitter, normalize, toTensor",
    );
  });
  it('names an unknown parameter', () => {
    expect(() => compile([{ randomHorizontalFlip: { prob: 0.5 } }, { resize: null }])).toThrow(/data\.transforms\.train\[0\]: unknown parameter 'prob' of 'randomHorizontalFlip'; known: p/);
  });
  it('checks values and repeats what was received', () => {
    expect(() => compile([{ randomResizedCrop: { scale: [0.9, 0.1] } }])).toThrow(/'scale' must be \[min, max\].*received \[0.9,0.1\]/);
    expect(() => compile([{ randomHorizontalFlip: { p: 2 } }, { resize: null }])).toThrow(/'p' must be a probability in \[0, 1\], received 2/);
    expect(() => compile([{ resize: { size: -3 } }])).toThrow(/'size' must be a positive integer or \[height, width\], received -3/);
    expect(() => compile([{ resize: null }, { normalize: { std: [0, 1, 1] } }])).toThrow(/'std' must be positive/);
    expect(() => compile([{ resize: null, centerCrop: null }])).toThrow(/exactly one key/);
    expect(() => compile('resize')).toThrow(/must be a list/);
  });
  it('refuses lists that do not end at the input size', () => {
    expect(() => compile([{ resize: { size: [10, 10] } }])).toThrow('data.transforms.train: produces 10x10 images but the model takes 8x8 (height x width)');
    expect(() => compile([{ resize: { size: 8 } }])).toThrow(/vary in size/);
    expect(() => compile([{ randomHorizontalFlip: null }])).toThrow(/vary in size/);
    expect(() => compile([{ resize: { size: 10 } }, { centerCrop: { size: 8 } }])).not.toThrow();
  });
  it('colorJitter must come before normalize', () => {
    expect(() => compile([{ resize: null }, { normalize: null }, { colorJitter: { brightness: 0.2 } }])).toThrow(/must come before 'normalize'/);
  });
  it('accepts the defaults and torchvision-style lists', () => {
    const d = defaultTransforms([8, 8, 3]);
    expect(() => compile(d.train)).not.toThrow();
    expect(() => compile(d.val)).not.toThrow();
    expect(() => compile([{ resize: { size: 10 } }, { centerCrop: null }, { toTensor: null }, { normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }])).not.toThrow();
  });
});

describe('randomResizedCrop (torchvision get_params)', () => {
  it('boxes lie inside the image with area and ratio in range', () => {
    for (let i = 0; i < 500; i++) {
      const b = randomResizedCropBox(500, 375, [0.08, 1], [3 / 4, 4 / 3], rngFor(1, i));
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left + b.width).toBeLessThanOrEqual(500);
      expect(b.top + b.height).toBeLessThanOrEqual(375);
      const area = (b.width * b.height) / (500 * 375);
      expect(area).toBeGreaterThan(0.07);
      expect(b.width / b.height).toBeGreaterThan(0.7);
      expect(b.width / b.height).toBeLessThan(1.42);
    }
  });
  it('falls back to a central crop within the ratio when ten tries fail', () => {
    // A 100x10 strip cannot hold a crop of ratio <= 4/3 with area >= 90%: central crop of ratio 4/3.
    const b = randomResizedCropBox(100, 10, [0.9, 1], [3 / 4, 4 / 3], rngFor(2));
    expect(b).toEqual({ left: Math.floor((100 - 13) / 2), top: 0, width: 13, height: 10 });
    const tall = randomResizedCropBox(10, 100, [0.9, 1], [3 / 4, 4 / 3], rngFor(2));
    expect(tall).toEqual({ left: 0, top: Math.floor((100 - 13) / 2), width: 10, height: 13 });
  });
});

describe('plans', () => {
  it('are the same for the same generator and differ for another', () => {
    const p = compile(defaultTransforms([8, 8, 3]).train);
    const a = p.plan(500, 375, rngFor(0, 0, 2, 0, 7));
    const b = p.plan(500, 375, rngFor(0, 0, 2, 0, 7));
    const c = p.plan(500, 375, rngFor(0, 1, 2, 0, 7));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
  it('fold resize then center crop into resize + crop', () => {
    const p = compile([{ resize: { size: 10 } }, { centerCrop: { size: 8 } }]);
    const { geometry } = p.plan(40, 20, rngFor(0));
    expect(geometry.resize).toEqual({ width: 20, height: 10 });
    expect(geometry.post).toEqual({ left: 6, top: 1, width: 8, height: 8 });
    expect([geometry.width, geometry.height]).toEqual([8, 8]);
  });
  it('mirror crops that come after a flip', () => {
    const p = compile([{ randomHorizontalFlip: { p: 1 } }, { centerCrop: { size: [8, 8] } }]);
    const { geometry } = p.plan(20, 8, rngFor(0));
    expect(geometry.flip).toBe(true);
    expect(geometry.pre).toEqual({ left: 6, top: 0, width: 8, height: 8 });
  });
  it('finish normalises with the lookup table', () => {
    const p = compile([{ resize: null }, { normalize: { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 1] } }], [1, 2, 3]);
    const plan = p.plan(1, 2, rngFor(0));
    const out = new Float32Array(6);
    p.finish(new Uint8Array([255, 0, 255, 0, 255, 0]), plan, out, 0);
    expect(Array.from(out).map((v) => +v.toFixed(4))).toEqual([1, -1, 1, -1, 3, 0]);
  });
  it('without normalize, pixels are scaled to [0, 1]', () => {
    const p = compile([{ resize: null }, { toTensor: null }], [1, 1, 3]);
    const out = new Float32Array(3);
    p.finish(new Uint8Array([255, 51, 0]), p.plan(1, 1, rngFor(0)), out, 0);
    expect(Array.from(out).map((v) => +v.toFixed(6))).toEqual([1, 0.2, 0]);
  });
});

describe('colorJitter', () => {
  it('factor 1 changes nothing; brightness scales; saturation 0 gives gray', () => {
    const px = () => new Float32Array([0.2, 0.4, 0.6, 0.8, 0.1, 0.3]);
    const same = px();
    applyJitter(same, 3, [{ kind: 'brightness', factor: 1 }, { kind: 'contrast', factor: 1 }, { kind: 'saturation', factor: 1 }, { kind: 'hue', factor: 0 }]);
    expect(Array.from(same).map((v) => +v.toFixed(5))).toEqual(Array.from(px()).map((v) => +v.toFixed(5)));
    const bright = px();
    applyJitter(bright, 3, [{ kind: 'brightness', factor: 0.5 }]);
    expect(bright[1]).toBeCloseTo(0.2, 5);
    const gray = px();
    applyJitter(gray, 3, [{ kind: 'saturation', factor: 0 }]);
    expect(gray[0]).toBeCloseTo(gray[1]!, 5);
    expect(gray[1]).toBeCloseTo(gray[2]!, 5);
  });
  it('hue shift of one third maps red to green', () => {
    const red = new Float32Array([1, 0, 0]);
    applyJitter(red, 3, [{ kind: 'hue', factor: 1 / 3 }]);
    expect(Array.from(red).map((v) => +v.toFixed(4))).toEqual([0, 1, 0]);
  });
  it('draws factors within the ranges, in a seeded order', () => {
    const p = compile([{ colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 } }, { resize: null }, { normalize: null }]);
    const a = p.plan(8, 8, rngFor(5));
    expect(a.jitter.map((j) => j.kind).sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']);
    for (const j of a.jitter) {
      if (j.kind === 'hue') expect(Math.abs(j.factor)).toBeLessThanOrEqual(0.1);
      else expect(j.factor).toBeGreaterThanOrEqual(0.6), expect(j.factor).toBeLessThanOrEqual(1.4);
    }
    expect(p.plan(8, 8, rngFor(5))).toEqual(a);
  });
});
