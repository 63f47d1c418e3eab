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

interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * Zero-copy Float32 views of tensors living in the wasm heap, for kernels written as JS loops:
 * `dataSync` would copy every input out and `tf.tensor` the result back in. Allocate the output first:
 * allocating may grow (and so detach) the heap, invalidating earlier views.
 */
export function wasmHeapViews(
  backend: tf.KernelBackend,
  inputs: readonly tf.TensorInfo[],
  outputShape: number[],
): { output: tf.TensorInfo; outputView: Float32Array; inputViews: Float32Array[] } {
  const wasm = backend as unknown as WasmBackendLike;
  const output = wasm.makeOutput(outputShape, 'float32');
  const heap = wasm.wasm.HEAPU8.buffer;
  const view = (info: tf.TensorInfo) =>
    new Float32Array(heap, wasm.dataIdMap.get(info.dataId).memoryOffset, info.shape.reduce((a, b) => a * b, 1));
  return { output, outputView: view(output), inputViews: inputs.map(view) };
}
