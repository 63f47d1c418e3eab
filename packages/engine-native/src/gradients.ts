/**
 * Gradients that run as one native kernel on `native`. tfjs registers gradients per kernel name, not per
 * backend, so each override here keeps tfjs's own gradient for every other backend (and for cases the
 * native kernel does not cover) and only dispatches to vgglab's kernel while `native` is active.
 */
import * as tf from '@tensorflow/tfjs';
import { NATIVE_BACKEND } from './backend-name.ts';
import { BATCH_NORM_GRAD_KERNEL, perChannel } from './kernels/batchnorm.ts';
import { RELU_GRAD_KERNEL } from './kernels/eltwise.ts';

export interface GradientOverride {
  kernelName: string;
  why: string;
  /** The gradient to register, given tfjs's own (which it must use off `native`). */
  make(stock: tf.GradConfig): tf.GradConfig;
}

const onNative = () => tf.getBackend() === NATIVE_BACKEND;

export const GRADIENT_OVERRIDES: readonly GradientOverride[] = [
  {
    kernelName: 'Relu',
    why: "dy where x > 0 in one pass (tfjs: Step, then Multiply)",
    make: (stock) => ({
      ...stock,
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const g = dy as tf.Tensor;
        if (!onNative() || g.dtype !== 'float32' || x!.dtype !== 'float32') return stock.gradFunc(dy, saved, attrs);
        return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: g, x: x! }) as tf.Tensor };
      },
    }),
  },
  {
    kernelName: 'FusedBatchNorm',
    why: "the five gradients in one pass over the data (tfjs: ~15 elementwise ops, a Tile among them)",
    make: (stock) => ({
      ...stock,
      gradFunc: (dy, saved, attrs) => {
        const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const g = dy as tf.Tensor;
        const covered = onNative() && g.dtype === 'float32' && x.dtype === 'float32' && mean.rank === 1 && perChannel(x, [mean, variance, scale]);
        if (!covered) return stock.gradFunc(dy, saved, attrs);
        // One kernel gives all five, computed here: the tape calls each input's closure inside its own tidy,
        // which would free what a lazy first call made for the others. Unused ones go with the backward pass.
        const grads = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy: g, x, mean, variance, ...(scale ? { scale } : {}) }, attrs) as tf.Tensor[];
        return { x: () => grads[0]!, mean: () => grads[1]!, variance: () => grads[2]!, scale: () => grads[3]!, offset: () => grads[4]! };
      },
    }),
  },
];
