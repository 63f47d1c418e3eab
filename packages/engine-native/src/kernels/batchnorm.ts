/**
 * FusedBatchNorm with per-channel statistics (src/native/batchnorm.cc), and vgglab's kernel behind its
 * gradient on `native` (src/gradients.ts): the five gradients in one pass instead of tfjs's ~15 ops.
 * Statistics of any other shape fall back to `cpu`.
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, callStock, fallback, floats, mustFloats, output, size, type KernelArgs, type NativeKernel } from './tensors.ts';

export const BATCH_NORM_GRAD_KERNEL = 'VgglabFusedBatchNormGrad';
/** tf.moments over every axis but the last, as one kernel: [2, channels] (mean, variance), and its gradient. */
export const MOMENTS_KERNEL = 'VgglabMoments';
export const MOMENTS_GRAD_KERNEL = 'VgglabMomentsGrad';

/** Whether every given statistic holds one value per channel (the last axis of x). */
export function perChannel(x: tf.TensorInfo, stats: (tf.TensorInfo | undefined)[]): boolean {
  const channels = x.shape.at(-1);
  return channels !== undefined && stats.every((t) => t === undefined || (t.dtype === 'float32' && size(t.shape) === channels));
}

export const BATCH_NORM_KERNELS: readonly NativeKernel[] = [
  {
    kernelName: 'FusedBatchNorm',
    why: 'one multi-threaded pass (per-channel scale and shift)',
    make: (addon, stock) => {
      const stockKernel = fallback(stock, 'FusedBatchNorm');
      return (args: KernelArgs) => {
        const { x, mean, variance, offset, scale } = args.inputs;
        const xv = floats(args.backend, x);
        if (!xv || !perChannel(x!, [mean, variance, offset, scale]) || !mean || !variance) return callStock(stockKernel, args);
        const f = (t: tf.TensorInfo | undefined) => (t ? mustFloats(args.backend, t) : null);
        const y = alloc(args.backend, xv.length);
        const epsilon = (args.attrs?.varianceEpsilon as number | undefined) ?? 0.001;
        addon.batchNorm(xv, f(mean)!, f(variance)!, f(offset), f(scale), y, x!.shape.at(-1)!, epsilon);
        return output(args.backend, [...x!.shape], y);
      };
    },
  },
  {
    kernelName: BATCH_NORM_GRAD_KERNEL,
    why: "FusedBatchNorm's five gradients in one pass (tfjs's gradient is ~15 elementwise ops over the data)",
    make: (addon) => (args: KernelArgs) => {
      const { dy, x, mean, variance, scale } = args.inputs;
      const f = (t: tf.TensorInfo) => mustFloats(args.backend, t);
      const channels = size(mean!.shape);
      const dx = alloc(args.backend, size(x!.shape));
      const stats = [0, 1, 2, 3].map(() => alloc(args.backend, channels));
      const epsilon = (args.attrs?.varianceEpsilon as number | undefined) ?? 0.001;
      addon.batchNormGrad(f(dy!), f(x!), f(mean!), f(variance!), scale ? f(scale) : null, epsilon, dx, stats[0]!, stats[1]!, stats[2]!, stats[3]!);
      return [
        output(args.backend, [...x!.shape], dx),
        output(args.backend, [...mean!.shape], stats[0]!),
        output(args.backend, [...variance!.shape], stats[1]!),
        output(args.backend, [...mean!.shape], stats[2]!),
        output(args.backend, [...mean!.shape], stats[3]!),
      ];
    },
  },
  {
    kernelName: MOMENTS_KERNEL,
    why: "a batch-norm layer's statistics in two passes (tfjs: Mean, Sub, Square, Mean)",
    make: (addon) => (args: KernelArgs) => {
      const x = args.inputs.x!;
      const channels = x.shape.at(-1)!;
      const stats = alloc(args.backend, 2 * channels);
      addon.moments(mustFloats(args.backend, x), stats.subarray(0, channels), stats.subarray(channels));
      return output(args.backend, [2, channels], stats);
    },
  },
  {
    kernelName: MOMENTS_GRAD_KERNEL,
    why: "their gradient in one pass (tfjs: ~10 elementwise ops through Mean, Square and Sub)",
    make: (addon) => (args: KernelArgs) => {
      const { x, stats, dy } = args.inputs;
      const channels = x!.shape.at(-1)!;
      const g = mustFloats(args.backend, dy!);
      const dx = alloc(args.backend, size(x!.shape));
      const mean = mustFloats(args.backend, stats!).subarray(0, channels);
      addon.momentsGrad(mustFloats(args.backend, x!), mean, g.subarray(0, channels), g.subarray(channels, 2 * channels), dx);
      return output(args.backend, [...x!.shape], dx);
    },
  },
];
