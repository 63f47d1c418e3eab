import * as tf from '@tensorflow/tfjs';
import { FUSED_UPDATE_KERNELS, TorchAdam, TorchRmsprop, TorchSgd, type TorchStyleOptimizer } from '@vgglab/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NativeAddon } from '../addon.ts';
import { describeNative, randomData, startNative } from '../testing/native.ts';

const CASES: [string, () => TorchStyleOptimizer][] = [
  ['adam', () => new TorchAdam(1e-2)],
  ['adam, L2 weight decay', () => new TorchAdam(1e-2, { weightDecay: 0.01 })],
  ['adam, amsgrad', () => new TorchAdam(1e-2, { amsgrad: true, beta2: 0.9 })],
  ['adamw', () => new TorchAdam(1e-2, { weightDecay: 0.05 }, true)],
  ['sgd', () => new TorchSgd(0.1)],
  ['sgd, momentum', () => new TorchSgd(0.1, { momentum: 0.9 })],
  ['sgd, nesterov + weight decay', () => new TorchSgd(0.1, { momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['sgd, momentum + dampening', () => new TorchSgd(0.1, { momentum: 0.5, dampening: 0.3 })],
  ['rmsprop', () => new TorchRmsprop(1e-2)],
  ['rmsprop, centred + momentum + weight decay', () => new TorchRmsprop(1e-2, { centered: true, momentum: 0.9, weightDecay: 0.01 })],
];

// One variable past the kernels' parallel threshold (2^16 elements: the multi-threaded loop), one small.
const SHAPES: [string, number[]][] = [
  ['big', [70001]],
  ['small', [5, 7]],
];

/** Five steps with changing gradients and learning rates; the variables and the optimizer state after them. */
async function train(backend: 'native' | 'cpu', make: () => TorchStyleOptimizer, tag: string): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const vars = SHAPES.map(([name, shape], i) => tf.variable(tf.tensor(randomData(tf.util.sizeFromShape(shape), 100 + i), shape), true, `${tag}-${backend}-${name}`));
  const optimizer = make();
  for (let step = 0; step < 5; step++) {
    optimizer.setLearningRate(optimizer.getLearningRate() * 0.9);
    const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(randomData(v.size, 1000 * step + i), v.shape)]));
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const out = new Map<string, Float32Array>();
  for (const v of vars) out.set(v.name.split('-').at(-1)!, v.dataSync() as Float32Array);
  for (const { name, tensor } of await optimizer.getWeights()) {
    out.set(name.replace(/^.*-(big|small)\//, '$1/'), tensor.dataSync() as Float32Array);
    tensor.dispose();
  }
  optimizer.dispose();
  vars.forEach((v) => v.dispose());
  return out;
}

let addon: NativeAddon;

describeNative('fused optimizer updates', () => {
  beforeAll(async () => {
    addon = await startNative(2);
  });
  afterAll(() => {
    addon.setThreads(1);
  });

  for (const [name, make] of CASES) {
    it(`${name}: the variables and the state after 5 steps are the op-by-op update's on cpu, to the bit`, async () => {
      const fused = await train('native', make, name);
      const ops = await train('cpu', make, name);
      await tf.setBackend('native');
      expect([...fused.keys()]).toEqual([...ops.keys()]);
      for (const [key, values] of fused) expect(Array.from(values), key).toEqual(Array.from(ops.get(key)!));
    });
  }

  it('runs one fused kernel per variable on native', async () => {
    const v = tf.variable(tf.ones([10]), true, 'fused-count');
    const optimizer = new TorchAdam(0.1);
    const grad = tf.onesLike(v);
    optimizer.applyGradients({ [v.name]: grad }); // the first step also creates the moments (ZerosLike)
    const profile = await tf.profile(() => optimizer.applyGradients({ [v.name]: grad }));
    expect(profile.kernelNames).toEqual([FUSED_UPDATE_KERNELS.adam]);
    tf.dispose([v, grad]);
    optimizer.dispose();
  });

  it('never writes into data another tensor holds: a weight sharing its initial value, state taken by getWeights', async () => {
    const initial = tf.tensor([1, 2, 3, 4]);
    const v = tf.variable(initial, true, 'fused-shared'); // shares initial's data until one of them changes
    const optimizer = new TorchSgd(0.5, { momentum: 0.9 });
    const step = () => {
      const grad = tf.ones([4]);
      optimizer.applyGradients({ [v.name]: grad });
      grad.dispose();
    };
    step();
    expect(Array.from(initial.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(v.dataSync())).toEqual([0.5, 1.5, 2.5, 3.5]);
    const [, , momentum] = await optimizer.getWeights(); // iter, <v>/step, <v>/momentum
    const kept = Array.from(momentum!.tensor.dataSync());
    step();
    expect(Array.from(momentum!.tensor.dataSync())).toEqual(kept);
    // momentum buffer 0.9 * 1 + 1 = 1.9, step 0.5 * 1.9
    Array.from(v.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(i + 0.5 - 0.95, 6));
    tf.dispose([initial, v, momentum!.tensor]);
    optimizer.dispose();
  });
});
