/**
 * Fused optimizer updates: the contract between vgglab's optimizers and a backend that can apply one
 * optimizer step to one variable in a single pass over its data (the native engine, @vgglab/engine-native).
 * Core owns the contract and imports nothing of the backend: a backend opts in by registering a tfjs kernel
 * under one of FUSED_UPDATE_KERNELS for its own backend name, and TorchStyleOptimizer calls it whenever the
 * active backend has it, instead of its op-by-op update.
 *
 * A fused kernel must compute exactly what the op-by-op update computes on tfjs's `cpu` backend: the same
 * float32 operations in the same order, with the scalars below (shared by both paths, so they cannot drift).
 *
 * Kernel inputs: `param`, `grad`, then the optimizer's slots by their names (a slot missing from the inputs is
 * off). Outputs: one per updated tensor, in the order of `FusedUpdate.targets` (param first, then the given
 * slots in input order): either that input's own data (updated in place, when nothing else shares it) or new
 * data, which the optimizer assigns to the variable.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamOptions, RmspropOptions, SgdOptions } from './schemas.ts';

export const FUSED_UPDATE_KERNELS = {
  adam: 'VgglabTorchAdamUpdate',
  sgd: 'VgglabTorchSgdUpdate',
  rmsprop: 'VgglabTorchRmspropUpdate',
} as const;

/** One fused call: the kernel, its inputs and attributes, and the variables its outputs update, in order. */
export interface FusedUpdate {
  kernelName: string;
  inputs: tf.NamedTensorMap;
  attrs: tf.NamedAttrMap;
  targets: tf.Variable[];
}

/** Whether the active backend runs `kernelName` (registered for its name). */
export function backendHasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs a fused update and assigns each output that is new data; outputs that are the target's own data are released. */
export function runFusedUpdate(update: FusedUpdate): void {
  const result = tf.engine().runKernel(update.kernelName, update.inputs, update.attrs) as tf.Tensor | tf.Tensor[];
  const outputs = Array.isArray(result) ? result : [result];
  if (outputs.length !== update.targets.length) {
    tf.dispose(outputs);
    throw new Error(`${update.kernelName} returned ${outputs.length} tensors for ${update.targets.length} updated variables`);
  }
  outputs.forEach((out, i) => {
    const target = update.targets[i]!;
    if (out.dataId !== target.dataId) target.assign(out);
    out.dispose();
  });
}

/**
 * Adam's scalars at step t, in the fused kernel's order: [decay, l2, β1, 1 − β1, β2, 1 − β2, √(1 − β2^t),
 * ε, lr / (1 − β1^t)]. decay = 1 − lr·λ for AdamW (1 when off), l2 = λ for Adam (0 when off).
 */
export function adamScalars(lr: number, o: Required<AdamOptions>, t: number, decoupled: boolean): number[] {
  const decay = decoupled && o.weightDecay !== 0 ? 1 - lr * o.weightDecay : 1;
  const l2 = !decoupled ? o.weightDecay : 0;
  return [decay, l2, o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2, Math.sqrt(1 - o.beta2 ** t), o.epsilon, lr / (1 - o.beta1 ** t)];
}

/** SGD's scalars, in the fused kernel's order: [lr, μ, 1 − τ, λ]. */
export function sgdScalars(lr: number, o: Required<SgdOptions>): number[] {
  return [lr, o.momentum, 1 - o.dampening, o.weightDecay];
}

/** RMSprop's scalars, in the fused kernel's order: [lr, α, 1 − α, ε, μ, λ]. */
export function rmspropScalars(lr: number, o: Required<RmspropOptions>): number[] {
  return [lr, o.alpha, 1 - o.alpha, o.epsilon, o.momentum, o.weightDecay];
}
