import * as tf from '@tensorflow/tfjs';
// Imported for its side effect: the stock wasm kernels must be registered before we replace some of them.
import '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterByConv } from './kernels/conv2d-backprop-filter.ts';
import { makeConv2dBackpropInputByConv } from './kernels/conv2d-backprop-input.ts';
import { maxPoolGradByLoop } from './kernels/max-pool-grad.ts';
import { makeBatchMatMulWithoutTransposes } from './kernels/batch-mat-mul.ts';

/**
 * One kernel override: `make` receives the kernel it replaces (undefined when the backend has none), so an
 * override can fall back to the stock implementation for cases it does not cover.
 */
export interface KernelOverride {
  kernelName: string;
  backendName: 'wasm' | 'cpu';
  /** Why this override exists (shown by `listTrainingKernels`, and the reason it is in the list). */
  why: string;
  make(stock: tf.KernelFunc | undefined): tf.KernelFunc;
}

/**
 * THE list of kernels vgglab registers over tfjs 4.22's stock ones. Nothing else registers kernels.
 * Each entry says why; each has a test against the stock `cpu` kernel in training-kernels.test.ts.
 */
export const TRAINING_KERNELS: readonly KernelOverride[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    why: 'missing on wasm (training any conv net fails); one transposed forward conv on XNNPACK, fastest of three variants measured',
    make: () => conv2dBackpropFilterByConv as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    why: "the stock pure-JS kernel is a scalar loop (28 of a 31 s step); the same conv trick makes `cpu` ~20x faster for tests",
    make: () => conv2dBackpropFilterByConv as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    why: 'the stock wasm kernel is a scalar loop; stride 1 becomes conv2d(dy, flipped W) on XNNPACK (strided: the stock kernel)',
    make: (stock) => {
      if (!stock) throw new Error('tfjs wasm has no stock Conv2DBackpropInput to fall back to (expected in tfjs 4.22)');
      return makeConv2dBackpropInputByConv(stock);
    },
  },
  {
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    why: "the stock wasm kernel is slow and routes ties to a different element than `cpu`; a JS loop is 2x faster and matches `cpu` exactly",
    make: () => maxPoolGradByLoop as tf.KernelFunc,
  },
  {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    why: 'with a transposed operand (every dense-layer gradient) the stock kernel leaves XNNPACK for a scalar loop; transpose explicitly instead',
    make: (stock) => {
      if (!stock) throw new Error('tfjs wasm has no stock BatchMatMul (expected in tfjs 4.22)');
      return makeBatchMatMulWithoutTransposes(stock);
    },
  },
];

const stockKernels = new Map<string, tf.KernelConfig | undefined>();
let registered = false;

const key = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/**
 * Registers every override in TRAINING_KERNELS, once (later calls do nothing). Call before the first op;
 * the backends themselves need not be initialised (kernels are keyed by backend name).
 */
export function registerTrainingKernels(): void {
  if (registered) return;
  for (const override of TRAINING_KERNELS) {
    const stock = tf.getKernel(override.kernelName, override.backendName);
    stockKernels.set(key(override.kernelName, override.backendName), stock);
    // Unregister first: registerKernel over an existing entry works but logs a warning per kernel.
    if (stock) tf.unregisterKernel(override.kernelName, override.backendName);
    tf.registerKernel({
      kernelName: override.kernelName,
      backendName: override.backendName,
      kernelFunc: override.make(stock?.kernelFunc),
      // wasm kernels bind their C++ function in setupFunc when the backend starts; keep it so the stock
      // kernel we may fall back to is bound too.
      setupFunc: stock?.setupFunc,
      disposeFunc: stock?.disposeFunc,
    });
  }
  registered = true;
}

/**
 * Runs `fn` with tfjs's stock kernels back in place of the overrides (for tests that compare against the
 * stock `cpu` backend, and for before/after benchmarks). Not re-entrant; synchronous `fn` only.
 */
export function withStockKernels<T>(fn: () => T): T {
  if (!registered) return fn();
  const overrides = TRAINING_KERNELS.map((o) => tf.getKernel(o.kernelName, o.backendName)!);
  const swap = (configs: (tf.KernelConfig | undefined)[]) => {
    TRAINING_KERNELS.forEach((o, i) => {
      if (tf.getKernel(o.kernelName, o.backendName)) tf.unregisterKernel(o.kernelName, o.backendName);
      const config = configs[i];
      if (config) tf.registerKernel(config);
    });
  };
  swap(TRAINING_KERNELS.map((o) => stockKernels.get(key(o.kernelName, o.backendName))));
  try {
    return fn();
  } finally {
    swap(overrides);
  }
}

/**
 * Puts tfjs's stock kernel back for the named overrides on one backend (for before/after benchmarks:
 * `bench/train.ts --stock BatchMatMul`). Overrides with no stock kernel (wasm's Conv2DBackpropFilter)
 * cannot be removed: training needs them. Returns the names restored.
 */
export function useStockKernels(kernelNames: readonly string[], backendName: 'wasm' | 'cpu'): string[] {
  registerTrainingKernels();
  const restored: string[] = [];
  for (const name of kernelNames) {
    const override = TRAINING_KERNELS.find((o) => o.kernelName === name && o.backendName === backendName);
    if (!override) throw new Error(`no vgglab override of ${name} on ${backendName}; overrides: ${TRAINING_KERNELS.map((o) => `${o.backendName}/${o.kernelName}`).join(', ')}`);
    const stock = stockKernels.get(key(name, backendName));
    if (!stock) throw new Error(`${backendName}/${name} has no stock kernel in tfjs ${tf.version_core}; it cannot be turned off`);
    tf.unregisterKernel(name, backendName);
    tf.registerKernel(stock);
    restored.push(name);
  }
  return restored;
}

/** What is overridden and why, for logs and `--profile` output. */
export function listTrainingKernels(): { kernelName: string; backendName: string; why: string }[] {
  return TRAINING_KERNELS.map(({ kernelName, backendName, why }) => ({ kernelName, backendName, why }));
}
