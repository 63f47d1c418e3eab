/**
 * Whole-model checks on `native`: a VGG trained on native ends where the same training on `cpu` ends (each
 * kernel is compared with tfjs's stock cpu kernel in kernels/*.test.ts; `cpu` here is the backend as vgglab
 * runs it, whose filter gradient is ~20x faster than the stock one), and training leaks neither tensors nor
 * native memory.
 *
 * The batch-norm network trains with SGD, not Adam: a conv bias in front of batch norm has a gradient that
 * is zero in exact arithmetic, and Adam (ε = 1e-8) turns its rounding noise into full ±lr steps, so any two
 * correct implementations drift apart (measured after 20 steps, native vs cpu: 1e-2 with Adam; 1e-5 with
 * SGD, and with Adam at ε = 1e-3). Without batch norm every gradient is real and Adam agrees too.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { TorchAdam, TorchSgd, type TorchStyleOptimizer } from '@vgglab/core';
import { createVgg } from '@vgglab/models-vgg';
import { beforeAll, expect, it } from 'vitest';
import { describeNative, randomData, relativeMaxDifference, startNative } from './testing/native.ts';

const INPUT: [number, number, number] = [32, 32, 3];
const BATCH = 8;
const CLASSES = 4;

/** A narrow VGG11 (every width / 16: 4 to 32 channels) with a small classifier, no dropout. */
const narrowVgg = (batchNorm: boolean) =>
  createVgg(batchNorm ? 'vgg11_bn' : 'vgg11', { inputShape: INPUT, widthMultiplier: 1 / 16, classifierUnits: [16, 16], dropout: 0, numClasses: CLASSES, seed: 3 });

function narrowVggNames(batchNorm: boolean): string[] {
  const model = narrowVgg(batchNorm);
  const names = model.weights.map((w) => w.originalName);
  model.dispose();
  return names;
}

function batch(): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.tensor(randomData(BATCH * INPUT[0] * INPUT[1] * INPUT[2], 7), [BATCH, ...INPUT]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % CLASSES), 'int32'), CLASSES);
  return { x, y };
}

/** One training step as the runner takes it: forward in training mode, softmax cross-entropy, the optimizer. */
function step(model: tf.LayersModel, optimizer: TorchStyleOptimizer, x: tf.Tensor, y: tf.Tensor): void {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
  loss!.dispose();
}

/** Trains `steps` steps on `backend` from `weights`; returns the trained weights. */
async function train(backend: 'native' | 'cpu', batchNorm: boolean, weights: Float32Array[], steps: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = narrowVgg(batchNorm);
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i]!.shape)));
  const optimizer = batchNorm ? new TorchSgd(1e-2, { momentum: 0.9 }) : new TorchAdam(1e-3);
  const { x, y } = batch();
  for (let i = 0; i < steps; i++) step(model, optimizer, x, y);
  const trained = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return trained;
}

/** The garbage collector (V8 exposes it after --expose-gc is set at run time). */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describeNative('training on native', () => {
  beforeAll(async () => {
    await startNative();
  });

  for (const batchNorm of [false, true]) {
    it(`${batchNorm ? 'vgg11_bn (SGD)' : 'vgg11 (Adam)'}, narrow, 32x32, trained 20 steps ends with the weights cpu ends with, to 1e-3`, async () => {
      await tf.setBackend('native');
      const initial = narrowVgg(batchNorm);
      const weights = initial.getWeights().map((w) => w.dataSync().slice() as Float32Array);
      initial.dispose();
      const native = await train('native', batchNorm, weights, 20);
      const cpu = await train('cpu', batchNorm, weights, 20);
      await tf.setBackend('native');
      const names = narrowVggNames(batchNorm);
      let moved = 0;
      native.forEach((w, i) => {
        if (batchNorm && /_conv\d+\/bias/.test(names[i]!)) {
          // In front of batch norm: a zero gradient up to rounding, so these stay 0 up to rounding noise.
          expect(relativeMaxDifference(w, cpu[i]!) * Math.max(...cpu[i]!.map(Math.abs)), names[i]).toBeLessThan(1e-6);
          return;
        }
        expect(relativeMaxDifference(w, cpu[i]!), names[i]).toBeLessThan(1e-3);
        moved = Math.max(moved, relativeMaxDifference(cpu[i]!, weights[i]!));
      });
      expect(moved).toBeGreaterThan(1e-3); // the training did change the weights
    }, 120_000);
  }

  it('leaks nothing over 200 steps: tf.memory() and the process RSS stay flat', async () => {
    await tf.setBackend('native');
    const gc = collector();
    const model = narrowVgg(true);
    const optimizer = new TorchAdam(1e-3);
    const { x, y } = batch();
    // Optimizer state, primitive caches and the allocators' pools settle (measured: the RSS grows ~15-35 MB
    // over the first 200 steps, then stays within ~1 MB up to 1,600).
    for (let i = 0; i < 100; i++) step(model, optimizer, x, y);
    gc();
    const before = { memory: tf.memory(), rss: process.memoryUsage().rss };
    for (let i = 0; i < 200; i++) step(model, optimizer, x, y);
    gc();
    const after = { memory: tf.memory(), rss: process.memoryUsage().rss };
    expect(after.memory.numTensors).toBe(before.memory.numTensors);
    expect(after.memory.numBytes).toBe(before.memory.numBytes);
    // A step allocates ~2 MB of activations and gradients (~400 MB over the 200 steps): keeping any of them,
    // natively or in JS, would grow the RSS by far more than this.
    expect(after.rss - before.rss).toBeLessThan(24 * 1024 ** 2);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }, 300_000);
});
