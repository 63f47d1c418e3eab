/**
 * The fused optimizer updates of core's contract (packages/core/src/optim/fused.ts): one pass over a
 * variable's data per step (src/native/optimizer.cc) instead of ~10 elementwise ops each allocating a
 * weight-sized tensor. The result is the op-by-op update's to the bit. Each updated tensor is written in
 * place when nothing else holds its data (a tensor the caller kept from getWeights, a weight still shared
 * with its initial value); otherwise into a copy that the optimizer assigns.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_UPDATE_KERNELS } from '@vgglab/core';
import { mustFloats, output, refCount, sameData, type KernelArgs, type NativeKernel } from './tensors.ts';

/** The arrays the kernel may write, and the outputs that say where each update went. */
function writable(backend: tf.KernelBackend, targets: tf.TensorInfo[]): { arrays: Float32Array[]; outputs: tf.TensorInfo[] } {
  const arrays: Float32Array[] = [];
  const outputs: tf.TensorInfo[] = [];
  for (const target of targets) {
    const data = mustFloats(backend, target);
    if (refCount(backend, target) === 1) {
      arrays.push(data);
      outputs.push(sameData(backend, target));
    } else {
      const copy = data.slice();
      arrays.push(copy);
      outputs.push(output(backend, [...target.shape], copy));
    }
  }
  return { arrays, outputs };
}

/** The attribute `scalars`, rounded to float32 as tfjs rounds a number it multiplies a float32 tensor by. */
const scalars = (args: KernelArgs) => Float32Array.from(args.attrs!.scalars as number[]);

export const OPTIMIZER_KERNELS: readonly NativeKernel[] = [
  {
    kernelName: FUSED_UPDATE_KERNELS.adam,
    why: "TorchAdam/AdamW's step for one variable in one pass, in place",
    make: (addon) => (args) => {
      const { param, grad, m, v, vmax } = args.inputs;
      const { arrays, outputs } = writable(args.backend, [param!, m!, v!, ...(vmax ? [vmax] : [])]);
      addon.adamUpdate(arrays[0]!, mustFloats(args.backend, grad!), arrays[1]!, arrays[2]!, arrays[3] ?? null, scalars(args));
      return outputs;
    },
  },
  {
    kernelName: FUSED_UPDATE_KERNELS.sgd,
    why: "TorchSgd's step (momentum, dampening, nesterov, weight decay) for one variable in one pass, in place",
    make: (addon) => (args) => {
      const { param, grad, momentum } = args.inputs;
      const { arrays, outputs } = writable(args.backend, [param!, ...(momentum ? [momentum] : [])]);
      const { fresh, nesterov } = args.attrs as { fresh: boolean; nesterov: boolean };
      addon.sgdUpdate(arrays[0]!, mustFloats(args.backend, grad!), arrays[1] ?? null, scalars(args), fresh, nesterov);
      return outputs;
    },
  },
  {
    kernelName: FUSED_UPDATE_KERNELS.rmsprop,
    why: "TorchRmsprop's step (centred, momentum, weight decay) for one variable in one pass, in place",
    make: (addon) => (args) => {
      const { param, grad, square_avg, grad_avg, momentum } = args.inputs;
      const given = [grad_avg, momentum];
      const { arrays, outputs } = writable(args.backend, [param!, square_avg!, ...given.filter((t) => t !== undefined)]);
      let next = 2;
      const [gradAvg, buffer] = given.map((t) => (t ? arrays[next++]! : null));
      addon.rmspropUpdate(arrays[0]!, mustFloats(args.backend, grad!), arrays[1]!, gradAvg ?? null, buffer ?? null, scalars(args));
      return outputs;
    },
  },
];
