import * as tf from '@tensorflow/tfjs';

/**
 * Kernel inputs arrive as tf.Tensors when an op (or a gradient) calls the kernel, but the contract only
 * promises TensorInfo. Kernels here compose tf ops, so they need Tensors: wrap a bare TensorInfo without
 * copying (the returned tensor shares the data and must be disposed like any other).
 */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo | undefined): tf.Tensor<R> {
  if (info === undefined) throw new Error('vgglab kernel: a required input is missing');
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

export type Pair = [number, number];

export function pair(value: number | Pair): Pair {
  return typeof value === 'number' ? [value, value] : value;
}
