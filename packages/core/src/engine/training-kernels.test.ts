import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from './backend.ts';
import { TRAINING_KERNELS, withStockKernels } from './training-kernels.ts';

// Each overridden kernel against tfjs's stock `cpu` kernel on random shapes. The difference measure is
// max|got - want| / max|want| (relative to the largest reference value: element-wise ratios are
// meaningless where the reference is ~0).
const TOLERANCE = 1e-4;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s + Math.imul(s ^ (s >>> 7), 61 | s);
    return ((s ^ (s >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValues(n: number, random: () => number, quantize = false): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = quantize ? Math.floor(random() * 3) : random() * 2 - 1;
  return out;
}

type Inputs = Record<string, { values: Float32Array; shape: number[] }>;

/** Runs one kernel on a backend from plain arrays; `stock` runs tfjs's own kernel instead of ours. */
async function runKernelOn(
  backend: 'wasm' | 'cpu',
  kernelName: string,
  inputs: Inputs,
  attrs: Record<string, unknown>,
  stock = false,
): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const run = () =>
    tf.tidy(() => {
      const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
      const out = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
      return { values: out.dataSync() as Float32Array, shape: out.shape };
    });
  return stock ? withStockKernels(run) : run();
}

function relativeDifference(got: Float32Array, want: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number;
  pad: 'same' | 'valid';
}

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 9, w: 9, cin: 3, cout: 8, kh: 3, kw: 3, stride: 1, pad: 'same' },
  { n: 2, h: 9, w: 7, cin: 3, cout: 8, kh: 3, kw: 3, stride: 1, pad: 'valid' },
  { n: 3, h: 10, w: 11, cin: 8, cout: 16, kh: 3, kw: 3, stride: 2, pad: 'same' },
  { n: 2, h: 11, w: 10, cin: 16, cout: 4, kh: 3, kw: 3, stride: 2, pad: 'valid' },
  { n: 1, h: 8, w: 8, cin: 1, cout: 1, kh: 3, kw: 2, stride: 1, pad: 'same' },
  { n: 2, h: 12, w: 9, cin: 5, cout: 7, kh: 5, kw: 5, stride: 2, pad: 'same' },
  { n: 4, h: 6, w: 6, cin: 32, cout: 16, kh: 1, kw: 1, stride: 1, pad: 'valid' },
  // Stride 2 'valid' leaving unused rows and columns (the filter gradient crops them).
  { n: 2, h: 10, w: 12, cin: 4, cout: 6, kh: 3, kw: 3, stride: 2, pad: 'valid' },
];

const label = (c: ConvCase) => `${c.n}x${c.h}x${c.w}x${c.cin} k${c.kh}x${c.kw} -> ${c.cout}, stride ${c.stride}, ${c.pad}`;

function convCaseData(c: ConvCase, seed: number) {
  const random = rng(seed);
  const outShape = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [c.kh, c.kw, c.cin, c.cout], c.stride, 1, c.pad)
    .outShape;
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    x: { values: randomValues(c.n * c.h * c.w * c.cin, random), shape: [c.n, c.h, c.w, c.cin] },
    filter: { values: randomValues(c.kh * c.kw * c.cin * c.cout, random), shape: [c.kh, c.kw, c.cin, c.cout] },
    dy: { values: randomValues(size(outShape), random), shape: outShape as number[] },
  };
}

beforeAll(async () => {
  // Registers the overrides and starts wasm (one thread under vitest).
  await initEngine({ backend: 'wasm', log: () => {} });
});

describe('the override list', () => {
  it('registers every kernel of TRAINING_KERNELS on its backend, each with a reason', () => {
    for (const o of TRAINING_KERNELS) {
      expect(tf.getKernel(o.kernelName, o.backendName), `${o.backendName}/${o.kernelName}`).toBeDefined();
      expect(o.why.length).toBeGreaterThan(20);
    }
    // The filter gradient is the one kernel training needs that stock wasm lacks entirely.
    expect(withStockKernels(() => tf.getKernel('Conv2DBackpropFilter', 'wasm'))).toBeUndefined();
  });
});

describe('Conv2DBackpropFilter matches the stock cpu kernel', () => {
  for (const [i, c] of CONV_CASES.entries()) {
    for (const backend of ['wasm', 'cpu'] as const) {
      it(`${backend}: ${label(c)}`, async () => {
        const d = convCaseData(c, 100 + i);
        const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: d.filter.shape };
        const want = await runKernelOn('cpu', 'Conv2DBackpropFilter', { x: d.x, dy: d.dy }, attrs, true);
        const got = await runKernelOn(backend, 'Conv2DBackpropFilter', { x: d.x, dy: d.dy }, attrs);
        expect(got.shape).toEqual(d.filter.shape);
        expect(relativeDifference(got.values, want.values)).toBeLessThan(TOLERANCE);
      });
    }
  }
});

describe('Conv2DBackpropInput on wasm matches the stock cpu kernel', () => {
  for (const [i, c] of CONV_CASES.entries()) {
    it(label(c), async () => {
      const d = convCaseData(c, 200 + i);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: d.x.shape };
      const want = await runKernelOn('cpu', 'Conv2DBackpropInput', { dy: d.dy, filter: d.filter }, attrs, true);
      const got = await runKernelOn('wasm', 'Conv2DBackpropInput', { dy: d.dy, filter: d.filter }, attrs);
      expect(got.shape).toEqual(d.x.shape);
      expect(relativeDifference(got.values, want.values)).toBeLessThan(TOLERANCE);
    });
  }
});

describe('MaxPoolGrad on wasm matches the stock cpu kernel, ties included', () => {
  const cases = [
    { shape: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
    { shape: [3, 6, 10, 5], size: 2, stride: 2, pad: 'valid' },
    { shape: [2, 7, 9, 4], size: 2, stride: 2, pad: 'valid' },
    { shape: [2, 7, 9, 4], size: 2, stride: 2, pad: 'same' },
    { shape: [1, 9, 9, 16], size: 3, stride: 2, pad: 'same' },
    { shape: [3, 6, 6, 2], size: 3, stride: 1, pad: 'valid' },
  ] as const;
  for (const [i, c] of cases.entries()) {
    for (const ties of [false, true]) {
      it(`${c.shape.join('x')} pool ${c.size} stride ${c.stride} ${c.pad}${ties ? ', values in {0,1,2} (ties)' : ''}`, async () => {
        const random = rng(300 + i);
        const n = (c.shape as readonly number[]).reduce((a, b) => a * b, 1);
        const x = { values: randomValues(n, random, ties), shape: [...c.shape] };
        const pooled = await (async () => {
          await tf.setBackend('cpu');
          return tf.tidy(() => {
            const out = tf.maxPool(tf.tensor4d(x.values, c.shape as unknown as [number, number, number, number]), c.size, c.stride, c.pad);
            return { values: out.dataSync() as Float32Array, shape: out.shape as number[] };
          });
        })();
        const dy = { values: randomValues(pooled.values.length, random), shape: pooled.shape };
        const attrs = { filterSize: c.size, strides: c.stride, pad: c.pad };
        const inputs = { dy, input: x, output: pooled };
        const want = await runKernelOn('cpu', 'MaxPoolGrad', inputs, attrs, true);
        const got = await runKernelOn('wasm', 'MaxPoolGrad', inputs, attrs);
        expect(relativeDifference(got.values, want.values)).toBeLessThan(TOLERANCE);
        if (ties) {
          // With ties the stock wasm kernel routes gradient elsewhere; ours must agree element by element.
          const mismatched = got.values.filter((v, k) => Math.abs(v - want.values[k]!) > 1e-6).length;
          expect(mismatched).toBe(0);
        }
      });
    }
  }

  it('2x2 stride 2 (the tiled fast path): windows of -Infinity get no gradient, as on cpu; others the first maximum', async () => {
    const shape = [1, 4, 6, 2];
    const pick = [Number.NEGATIVE_INFINITY, 0, 1];
    const random = rng(77);
    const values = Float32Array.from({ length: 48 }, () => pick[Math.floor(random() * 3)]!);
    values.fill(Number.NEGATIVE_INFINITY, 0, 4); // the first window of both channels: all -Infinity
    values.fill(Number.NEGATIVE_INFINITY, 12, 16);
    const x = { values, shape };
    await tf.setBackend('cpu');
    const pooled = tf.tidy(() => {
      const out = tf.maxPool(tf.tensor4d(values, [1, 4, 6, 2]), 2, 2, 'valid');
      return { values: out.dataSync() as Float32Array, shape: out.shape as number[] };
    });
    const dy = { values: randomValues(pooled.values.length, random), shape: pooled.shape };
    const inputs = { dy, input: x, output: pooled };
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    const want = await runKernelOn('cpu', 'MaxPoolGrad', inputs, attrs, true);
    const got = await runKernelOn('wasm', 'MaxPoolGrad', inputs, attrs);
    expect(Array.from(got.values)).toEqual(Array.from(want.values));
    expect(Array.from(got.values.subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });
});

describe('BatchMatMul on wasm matches the stock cpu kernel with every transpose combination', () => {
  const cases = [
    { batch: 1, m: 33, k: 70, n: 17 },
    { batch: 3, m: 8, k: 5, n: 12 },
  ];
  for (const [i, c] of cases.entries()) {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`batch ${c.batch}, ${c.m}x${c.k} by ${c.k}x${c.n}, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const random = rng(400 + i);
        const a = { values: randomValues(c.batch * c.m * c.k, random), shape: transposeA ? [c.batch, c.k, c.m] : [c.batch, c.m, c.k] };
        const b = { values: randomValues(c.batch * c.k * c.n, random), shape: transposeB ? [c.batch, c.n, c.k] : [c.batch, c.k, c.n] };
        const attrs = { transposeA, transposeB };
        const want = await runKernelOn('cpu', 'BatchMatMul', { a, b }, attrs, true);
        const got = await runKernelOn('wasm', 'BatchMatMul', { a, b }, attrs);
        expect(got.shape).toEqual([c.batch, c.m, c.n]);
        expect(relativeDifference(got.values, want.values)).toBeLessThan(TOLERANCE);
      });
    }
  }
});

/** The gradients `grads` computes with our kernels on wasm equal those of the stock cpu kernels, each of them. */
async function expectGradsMatchStockCpu(grads: () => Float32Array[]): Promise<void> {
  await tf.setBackend('cpu');
  const want = withStockKernels(grads);
  await tf.setBackend('wasm');
  const got = grads();
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(relativeDifference(g, want[i]!)).toBeLessThan(TOLERANCE));
}

describe('gradients through tf ops', () => {
  it('tf.grads of conv2d -> relu -> maxPool agree between wasm (our kernels) and stock cpu', async () => {
    const random = rng(7);
    const xv = randomValues(2 * 12 * 12 * 4, random);
    const wv = randomValues(3 * 3 * 4 * 6, random);
    const grads = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.maxPool(tf.relu(tf.conv2d(x, w, 1, 'same')), 2, 2, 'valid').square().sum();
        const [gx, gw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([
          tf.tensor4d(xv, [2, 12, 12, 4]),
          tf.tensor4d(wv, [3, 3, 4, 6]),
        ]);
        return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
      });
    await expectGradsMatchStockCpu(grads);
  });

  it('tf.grads of a dense layer (transposed matmuls) agree between wasm and stock cpu', async () => {
    const random = rng(8);
    const xv = randomValues(16 * 40, random);
    const wv = randomValues(40 * 24, random);
    const grads = () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.relu(tf.matMul(x, w)).square().sum();
        const [gx, gw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([tf.tensor2d(xv, [16, 40]), tf.tensor2d(wv, [40, 24])]);
        return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
      });
    await expectGradsMatchStockCpu(grads);
  });

  it('frees every intermediate tensor inside the kernels', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 5]) as tf.Tensor4D;
    const step = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor4D, b: tf.Tensor4D) =>
          tf.matMul(tf.maxPool(tf.conv2d(a, b, 1, 'same'), 2, 2, 'valid').reshape([2, -1]), tf.ones([80, 3])).sum();
        tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
      });
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
