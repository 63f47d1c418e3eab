/**
 * Test helpers: start the native backend (or say why not), run the same computation on `native` and on
 * tfjs's stock `cpu` kernels, and compare.
 *
 * Where the addon is not built, the native tests are skipped, except under CI (CI=true), where they fail
 * with the reason: CI installs libdnnl-dev, so a missing addon there is a broken build, not a choice.
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine, withStockKernels } from '@vgglab/core';
import { describe, expect } from 'vitest';
import { loadAddon, type NativeAddon } from '../addon.ts';

const load = loadAddon();

/** describe() for suites that need the addon; see the file comment for when they are skipped. */
export const describeNative: typeof describe = load.ok || process.env.CI ? describe : (describe.skip as typeof describe);

/** Starts `native` through core's ladder (as a run does); throws the reason when the addon is missing. */
export async function startNative(threads = 1): Promise<NativeAddon> {
  if (!load.ok) throw new Error(`the native engine is not available: ${load.why}`);
  const info = await initEngine({ backend: 'native', threads, log: () => {} });
  expect(info.backend).toBe('native');
  return load.addon;
}

export type Computation = () => tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;

function collect(result: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): { names: string[]; tensors: tf.Tensor[] } {
  if (result instanceof tf.Tensor) return { names: ['result'], tensors: [result] };
  if (Array.isArray(result)) return { names: result.map((_, i) => `result[${i}]`), tensors: result };
  return { names: Object.keys(result), tensors: Object.values(result) };
}

/** Runs `fn` on `backend` (the stock `cpu` kernels when backend is 'cpu') and reads every result. */
export async function runOn(backend: 'native' | 'cpu', fn: Computation): Promise<{ names: string[]; shapes: number[][]; values: Float32Array[] }> {
  await tf.setBackend(backend);
  const run = () => tf.tidy(() => {
    const { names, tensors } = collect(fn());
    return { names, shapes: tensors.map((t) => t.shape), values: tensors.map((t) => t.dataSync() as Float32Array) };
  });
  return backend === 'cpu' ? withStockKernels(run) : run();
}

/** max |a − b| / max |b|: the difference relative to the reference's scale (0 when both are all zero). */
export function relativeMaxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
  return scale === 0 ? diff : diff / scale;
}

/**
 * Runs `fn` on `native` and on stock `cpu` and expects every result to have the same shape and to agree
 * within `tolerance` (relative max difference). Returns the largest difference seen.
 */
export async function expectMatchesCpu(fn: Computation, tolerance = 1e-4, label = ''): Promise<number> {
  const native = await runOn('native', fn);
  const cpu = await runOn('cpu', fn);
  await tf.setBackend('native');
  expect(native.names).toEqual(cpu.names);
  let worst = 0;
  native.values.forEach((values, i) => {
    const where = `${label} ${native.names[i]}`;
    expect(native.shapes[i], where).toEqual(cpu.shapes[i]);
    const d = relativeMaxDifference(values, cpu.values[i]!);
    expect(d, `${where}: relative max difference ${d}`).toBeLessThan(tolerance);
    worst = Math.max(worst, d);
  });
  return worst;
}

/** Deterministic pseudo-random data in [-1, 1) (inputs are made once and used on both backends). */
export function randomData(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A tensor of `randomData`, made on whichever backend is active when the computation runs. */
export const rand = (shape: number[], seed: number) => tf.tensor(randomData(tf.util.sizeFromShape(shape), seed), shape, 'float32');
