/**
 * The `native` tfjs backend: tfjs's `cpu` backend (MathBackendCPU: tensors are TypedArrays in the JS heap,
 * here with their memory reused: memory.ts) with its heavy kernels replaced by oneDNN ones. Every `cpu` kernel is registered under `native` first, so
 * any model that runs on `cpu` runs here; then NATIVE_KERNELS replaces the ones a training step spends its
 * time in, GRADIENT_OVERRIDES routes two gradients to one-pass kernels, and training-ops.ts runs conv and
 * dense layers with a bias and ReLU, and batch-norm statistics, as one native pass each while training.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.ts';
import { NATIVE_BACKEND } from './backend-name.ts';
import { installTrainingOps } from './training-ops.ts';
import { GRADIENT_OVERRIDES } from './gradients.ts';
import { BATCH_NORM_KERNELS } from './kernels/batchnorm.ts';
import { CONV_KERNELS } from './kernels/conv.ts';
import { ELTWISE_KERNELS } from './kernels/eltwise.ts';
import { MATMUL_KERNELS } from './kernels/matmul.ts';
import { OPTIMIZER_KERNELS } from './kernels/optimizer.ts';
import { POOL_KERNELS } from './kernels/pool.ts';
import { REDUCE_KERNELS } from './kernels/reduce.ts';
import type { NativeKernel } from './kernels/tensors.ts';
import { BufferPool, NativeBackend } from './memory.ts';

/** THE list of kernels the native backend runs on oneDNN or its own C++; each entry says why. */
export const NATIVE_KERNELS: readonly NativeKernel[] = [
  ...CONV_KERNELS,
  ...MATMUL_KERNELS,
  ...POOL_KERNELS,
  ...BATCH_NORM_KERNELS,
  ...ELTWISE_KERNELS,
  ...REDUCE_KERNELS,
  ...OPTIMIZER_KERNELS,
];

/**
 * Below tfjs's wasm (2) and cpu (1): the engine's ladder chooses backends explicitly, and tfjs must not
 * pick `native` on its own before it does.
 */
const PRIORITY = 0;

/**
 * Bytes of disposed outputs kept for reuse: an eighth of the machine's memory, at least 256 MB (a training
 * step needs about one step's worth of activations and gradients; beyond the budget arrays go to the GC).
 */
const POOL_BUDGET_BYTES = Math.max(256 * 1024 ** 2, Math.floor(os.totalmem() / 8));

let registered = false;

/** Registers the backend, its kernels and the gradient overrides, once per process. */
export function registerNativeBackend(addon: NativeAddon): void {
  if (registered) return;
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(new BufferPool(POOL_BUDGET_BYTES)), PRIORITY);
  for (const config of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
  for (const kernel of NATIVE_KERNELS) {
    const stock = tf.getKernel(kernel.kernelName, NATIVE_BACKEND);
    if (stock) tf.unregisterKernel(kernel.kernelName, NATIVE_BACKEND);
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName: NATIVE_BACKEND,
      kernelFunc: kernel.make(addon, stock?.kernelFunc) as tf.KernelFunc,
    });
  }
  for (const override of GRADIENT_OVERRIDES) {
    const stock = tf.getGradient(override.kernelName);
    if (!stock) throw new Error(`vgglab native: tfjs ${tf.version_core} has no gradient for ${override.kernelName} to extend`);
    tf.registerGradient(override.make(stock));
  }
  installTrainingOps();
  registered = true;
}

/** What the native backend replaces and why, for logs and the README. */
export function listNativeKernels(): { kernelName: string; why: string }[] {
  return [
    ...NATIVE_KERNELS.map(({ kernelName, why }) => ({ kernelName, why })),
    ...GRADIENT_OVERRIDES.map(({ kernelName, why }) => ({ kernelName: `${kernelName} (gradient)`, why })),
  ];
}
