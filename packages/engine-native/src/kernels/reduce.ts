/**
 * Sum and Mean of float32 tensors over contiguous axes (src/native/reduce.cc): bias gradients (the
 * leading axes of NHWC), batch-norm moments, the loss. The `cpu` kernels transpose first whenever the axes
 * are not the innermost; non-contiguous axes still go there.
 */
import * as tf from '@tensorflow/tfjs';
import { alloc, callStock, fallback, floats, MIN_NATIVE_ELEMENTS, output, size, type KernelArgs, type NativeKernel } from './tensors.ts';

/** [outer, reduce, inner] when `axes` (sorted, distinct) are one contiguous run of `shape`'s axes. */
export function planReduce(shape: number[], axes: number[]): [number, number, number] | undefined {
  const sorted = [...axes].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((axis, i) => i > 0 && axis !== sorted[i - 1]! + 1)) return undefined;
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  return [size(shape.slice(0, first)), size(shape.slice(first, last + 1)), size(shape.slice(last + 1))];
}

function makeReduce(kernelName: string, mean: boolean): NativeKernel['make'] {
  return (addon, stock) => {
    const stockKernel = fallback(stock, kernelName);
    return (args: KernelArgs) => {
      const x = args.inputs.x!;
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const xv = floats(args.backend, x);
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const plan = xv ? planReduce(x.shape, axes) : undefined;
      if (!plan || xv!.length < MIN_NATIVE_ELEMENTS) return callStock(stockKernel, args);
      const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
      const shape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
      const y = alloc(args.backend, size(outShape));
      addon.reduceSum(xv!, y, plan[0], plan[1], plan[2], mean);
      return output(args.backend, shape, y);
    };
  };
}

export const REDUCE_KERNELS: readonly NativeKernel[] = [
  { kernelName: 'Sum', why: 'a multi-threaded pass without the transpose (bias gradients, moments)', make: makeReduce('Sum', false) },
  { kernelName: 'Mean', why: 'a multi-threaded pass without the transpose (batch-norm moments)', make: makeReduce('Mean', true) },
];
