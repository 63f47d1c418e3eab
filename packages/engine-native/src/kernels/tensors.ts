/**
 * What every native kernel needs: the float32 data of a tensor on the `native` backend (tfjs's
 * MathBackendCPU keeps each tensor's values as a TypedArray, which the addon reads and writes in place),
 * a new output, and the kernel-list entry type.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import type { NativeBackend } from '../memory.ts';

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}
export type NativeKernelFunc = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/**
 * One kernel of the `native` backend. `make` receives the `cpu` kernel it replaces (undefined for a kernel
 * of vgglab's own), to fall back to for the cases it does not cover (another dtype or data format, an
 * activation oneDNN lacks, a broadcast it cannot express, a tensor too small to be worth a call).
 */
export interface NativeKernel {
  kernelName: string;
  /** Why it is replaced (listed by `listNativeKernels`). */
  why: string;
  make(addon: NativeAddon, stock: tf.KernelFunc | undefined): NativeKernelFunc;
}

/** Below this many elements an elementwise op stays on the `cpu` kernel: the call would cost more than it saves. */
export const MIN_NATIVE_ELEMENTS = 2048;

const cpuData = (backend: tf.KernelBackend) => (backend as unknown as MathBackendCPU).data;

/** The tensor's float32 data, or undefined when it is not float32 (the kernel then falls back). */
export function floats(backend: tf.KernelBackend, info: tf.TensorInfo | undefined): Float32Array | undefined {
  if (!info || info.dtype !== 'float32') return undefined;
  const values = cpuData(backend).get(info.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/** Like floats, for inputs every caller has already checked are float32. */
export function mustFloats(backend: tf.KernelBackend, info: tf.TensorInfo): Float32Array {
  const values = floats(backend, info);
  if (!values) throw new Error(`vgglab native: expected float32 data, received ${info.dtype}`);
  return values;
}

/** An output array of `length` floats from the backend's pool (contents undefined: kernels overwrite it all). */
export function alloc(backend: tf.KernelBackend, length: number): Float32Array {
  return (backend as NativeBackend).pool.take(length);
}

/** A new float32 tensor on the backend holding `values` (which it now owns). */
export function output(backend: tf.KernelBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  return (backend as unknown as MathBackendCPU).makeTensorInfo(shape, 'float32', values);
}

/** How many tensors share this data (a Reshape shares; a tensor held elsewhere must not be written in place). */
export function refCount(backend: tf.KernelBackend, info: tf.TensorInfo): number {
  return (backend as unknown as MathBackendCPU).refCount(info.dataId);
}

/** The same data as a new output (the in-place kernels' result for a tensor they updated in place). */
export function sameData(backend: tf.KernelBackend, info: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(info.dataId);
  return { dataId: info.dataId, shape: [...info.shape], dtype: info.dtype };
}

export const size = (shape: readonly number[]) => tf.util.sizeFromShape(shape as number[]);

/** The stock kernel, or a clear error when there is none to fall back to. */
export function fallback(stock: tf.KernelFunc | undefined, kernelName: string): tf.KernelFunc {
  if (stock) return stock;
  return () => {
    throw new Error(`vgglab native: ${kernelName} has no cpu kernel to fall back to for this case`);
  };
}

/** Runs the stock kernel with the same arguments (typed for the kernel-list entries). */
export const callStock = (stock: tf.KernelFunc, args: KernelArgs) => stock(args as Parameters<tf.KernelFunc>[0]);
