import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { coreOptimizersPlugin } from '../optim/plugin.ts';
import type { TorchStyleOptimizer } from '../optim/torch-style.ts';
import type { ScheduledOptimizer } from '../plugin.ts';
import { createRegistry } from '../registry.ts';
import { initEngine } from './backend.ts';
import {
  CapacityError,
  WASM_MEMORY_LIMIT_BYTES,
  assertFits,
  estimateTrainingMemory,
  formatBytes,
  optimizerMemoryOf,
  profileModel,
  type ModelMemoryProfile,
  type OptimizerMemorySpec,
} from './capacity.ts';

/** vgglab's own optimizers, created as a run creates them (from the registry, with spec options). */
const registry = createRegistry([coreOptimizersPlugin()]);
const create = (name: string, options: Record<string, unknown> = {}) =>
  registry.optimizer(name).create(1e-3, options) as ScheduledOptimizer & TorchStyleOptimizer;

/**
 * torchvision's vgg16 (cfg D: 13 convs + 25088 -> 4096 -> 4096 -> N), described by counts so the test
 * does not allocate 537 MB of weights. Layer outputs per sample at 224x224x3, as the tfjs tape keeps them
 * (fused conv+ReLU: one output per conv; flatten is a view).
 */
function vgg16Profile(numClasses: number): ModelMemoryProfile {
  const cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;
  let side = 224;
  let channels = 3;
  let activations = side * side * channels; // the input
  let largestActivation = activations;
  let featureParams = 0;
  let largestTensor = 0;
  for (const v of cfg) {
    if (v === 'M') side /= 2;
    else {
      featureParams += 9 * channels * v + v;
      largestTensor = Math.max(largestTensor, 9 * channels * v);
      channels = v;
    }
    const floats = side * side * channels;
    activations += floats;
    largestActivation = Math.max(largestActivation, floats);
  }
  const dense = [25088 * 4096 + 4096, 4096 * 4096 + 4096, 4096 * numClasses + numClasses];
  activations += 4096 + 4096 + numClasses;
  const total = featureParams + dense.reduce((a, b) => a + b);
  return {
    trainableParams: total,
    frozenParams: 0,
    largestTrainableTensor: Math.max(largestTensor, 25088 * 4096),
    activationsPerSample: activations,
    largestActivationPerSample: largestActivation,
    featureParams,
    featureChannels: 512,
    numClasses,
  };
}

// tfjs's own optimizers make scalars when created; the estimate itself allocates nothing.
beforeAll(async () => {
  await initEngine({ backend: 'cpu', log: () => {} });
});

describe('estimateTrainingMemory', () => {
  it("counts torchvision's vgg16 like torchvision does (138.36M parameters with 1000 classes)", () => {
    expect(vgg16Profile(1000).trainableParams).toBe(138_357_544);
  });

  it("refuses the seed's full recipe (vgg16, 224x224, batch 32, Adam) on wasm with the estimate and advice", () => {
    const request = { model: vgg16Profile(5), batchSize: 32, optimizer: create('adam'), backend: 'wasm' as const };
    const estimate = estimateTrainingMemory(request);
    expect(estimate.fits).toBe(false);
    expect(estimate.limitBytes).toBe(WASM_MEMORY_LIMIT_BYTES);
    expect(estimate.optimizerSlots).toBe(2);
    // Weights alone: 134.3M float32 parameters.
    expect(estimate.breakdown.weights).toBe(vgg16Profile(5).trainableParams * 4);
    expect(estimate.breakdown.optimizerState).toBe(2 * estimate.breakdown.weights);
    // TorchAdam updates one variable at a time: its temporaries are copies of fc1 (25088x4096), not of the model.
    expect(estimate.breakdown.optimizerUpdate).toBe(3 * 25088 * 4096 * 4);
    expect(estimate.bytes).toBeGreaterThan(WASM_MEMORY_LIMIT_BYTES);
    // TorchAdam at batch 1 aborted on wasm (measured, see WASM_ALLOCATOR_OVERHEAD): no batch size fits.
    expect(estimate.maxBatchSize).toBe(0);

    const error = (() => {
      try {
        assertFits(request);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CapacityError);
    const message = (error as CapacityError).message;
    expect(message).toMatch(/^training at batch 32 with adam on wasm needs about \d+\.\d\d GB \(weights 537 MB, gradients 537 MB, optimizer state 1\.07 GB \(2 slots\), optimizer update 1\.23 GB,/);
    expect(message).toContain("more than wasm's 32-bit limit of 4.29 GB");
    expect(message).toContain('use the native backend (apt-get install libdnnl-dev, then npm rebuild @vgglab/engine-native; VGGLAB_BACKEND=native)');
    expect(message).toContain('a smaller batch alone is not enough');
    expect(message).toMatch(/freeze the feature layers \(freeze: features; trainable parameters 134\.3M -> 119\.6M/);
    expect(message).toMatch(/use a pooled head \(global average pooling \+ a 512x5 classifier instead of 119\.6M head parameters: [\d.]+ GB; fits at batch \d+ or less\)/);
    expect(message).toMatch(/use sgd without momentum \(no optimizer state instead of 1\.07 GB for adam's 2 slots: [\d.]+ GB; fits at batch \d+ or less\)/);
    expect((error as CapacityError).estimate).toEqual(estimate);
  });

  it("native is limited by the machine's memory, not 4 GB: the full recipe fits a big machine and is refused on a small one", () => {
    const request = { model: vgg16Profile(5), batchSize: 32, optimizer: create('adam'), backend: 'native' as const };
    expect(estimateTrainingMemory(request).limitBytes).toBe(os.totalmem());
    const big = estimateTrainingMemory({ ...request, limitBytes: 16 * 1024 ** 3 });
    expect(big.fits).toBe(true);
    expect(big.bytes).toBeGreaterThan(WASM_MEMORY_LIMIT_BYTES); // what wasm refuses
    expect(big.breakdown.overhead).toBe(0); // no wasm allocator factor: native tensors are plain JS arrays
    expect(big.message).toMatch(/^training at batch 32 with adam on native needs about \d+\.\d\d GB \(.*\): fits within native's limit of 17\.18 GB$/);
    const small = { ...request, limitBytes: 6 * 1024 ** 3 };
    expect(() => assertFits(small)).toThrow(CapacityError);
    const refused = estimateTrainingMemory(small);
    expect(refused.message).toContain(`on native needs about ${formatBytes(refused.bytes)}`);
    expect(refused.message).toContain("more than native's limit of 6.44 GB. To make it fit: reduce the batch size to");
    expect(refused.message).not.toContain('use the native backend');
  });

  it('agrees with what was measured for full vgg16 on wasm (see WASM_ALLOCATOR_OVERHEAD)', () => {
    const on = (optimizer: Parameters<typeof estimateTrainingMemory>[0]['optimizer'], batchSize: number) =>
      estimateTrainingMemory({ model: vgg16Profile(5), batchSize, optimizer, backend: 'wasm' });
    // vgglab's TorchSgd, batch 1: trained (tracked tensors peaked at 1.97 GB, the wasm heap at 3.38 GB).
    const torchSgd = on(create('sgd'), 1);
    expect(torchSgd.fits).toBe(true);
    expect(torchSgd.bytes).toBeGreaterThan(3.38e9);
    // vgglab's TorchAdam, batch 1: aborted with the heap at 4.20 GB.
    expect(on(create('adam'), 1).fits).toBe(false);
    // tfjs's own SGD (shared/notes/engine.md): batch 1 trained, batch 8 ran out of memory.
    const tfjsSgd = tf.train.sgd(0.01);
    expect(on(tfjsSgd, 1).fits).toBe(true);
    expect(on(tfjsSgd, 8).fits).toBe(false);
    const largest = on(create('sgd'), 8).maxBatchSize;
    expect(largest).toBeGreaterThanOrEqual(1);
    expect(largest).toBeLessThan(8);
    expect(on(create('sgd'), largest).fits).toBe(true);
    expect(on(create('sgd'), largest + 1).fits).toBe(false);
    expect(on(create('sgd'), 8).message).toContain(`reduce the batch size to ${largest} or less`);
  });

  it("counts the created optimizer's own slots per weight, options included", () => {
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['adam', {}, 2, 'adam'],
      ['adam', { amsgrad: true }, 3, 'adam (amsgrad)'],
      ['adamw', {}, 2, 'adamw'],
      ['adamw', { amsgrad: true }, 3, 'adamw (amsgrad)'],
      ['sgd', {}, 0, 'sgd'],
      ['sgd', { momentum: 0.9 }, 1, 'sgd (momentum)'],
      ['sgd', { momentum: 0.9, nesterov: true }, 1, 'sgd (momentum, nesterov)'],
      ['rmsprop', {}, 1, 'rmsprop'],
      ['rmsprop', { centered: true }, 2, 'rmsprop (centred)'],
      ['rmsprop', { momentum: 0.9 }, 2, 'rmsprop (momentum)'],
      ['rmsprop', { centered: true, momentum: 0.9 }, 3, 'rmsprop (centred, momentum)'],
    ];
    const model = vgg16Profile(5);
    for (const [name, options, slots, label] of cases) {
      const optimizer = create(name, options);
      const estimate = estimateTrainingMemory({ model, batchSize: 1, optimizer, backend: 'cpu' });
      expect(optimizer.stateSlotsPerWeight, label).toBe(slots);
      expect(estimate.optimizerSlots, label).toBe(slots);
      expect(estimate.breakdown.optimizerState, label).toBe(slots * model.trainableParams * 4);
      expect(estimate.optimizer.name, label).toBe(label);
      expect(estimate.optimizer.updateTemporaries, label).toBe('per-variable');
      expect(estimate.message, label).toContain(`with ${label} on cpu`);
      // per variable: at most the 4 copies of the largest weight that optim/optimizers.test.ts allows
      expect(estimate.breakdown.optimizerUpdate, label).toBeLessThanOrEqual(4 * model.largestTrainableTensor * 4);
      expect(estimate.breakdown.optimizerUpdate, label).toBeGreaterThanOrEqual(2 * model.largestTrainableTensor * 4);
    }
    // More state means more memory: amsgrad's third slot is one more copy of the weights.
    const adam = estimateTrainingMemory({ model, batchSize: 1, optimizer: create('adam'), backend: 'cpu' });
    const amsgrad = estimateTrainingMemory({ model, batchSize: 1, optimizer: create('adam', { amsgrad: true }), backend: 'cpu' });
    expect(amsgrad.bytes - adam.bytes).toBe(model.trainableParams * 4);
  });

  it("per-variable updates cost copies of the largest weight; tfjs's whole-model Adam scales with every parameter", () => {
    const model = vgg16Profile(5);
    // Same largest weight, twice the parameters: a per-variable update's temporaries do not change.
    const bigger: ModelMemoryProfile = { ...model, trainableParams: 2 * model.trainableParams };
    const update = (m: ModelMemoryProfile, optimizer: Parameters<typeof estimateTrainingMemory>[0]['optimizer']) =>
      estimateTrainingMemory({ model: m, batchSize: 1, optimizer, backend: 'cpu' }).breakdown.optimizerUpdate;
    expect(update(bigger, create('adam'))).toBe(update(model, create('adam')));
    const tfjsAdam = tf.train.adam(0.01);
    expect(optimizerMemoryOf(tfjsAdam)).toMatchObject({ slotsPerWeight: 2, updateTemporaries: 'whole-model' });
    expect(update(model, tfjsAdam)).toBe(11 * model.trainableParams * 4);
    expect(update(bigger, tfjsAdam)).toBe(2 * update(model, tfjsAdam));
    // A plugin's ScheduledOptimizer wrapping a tf.Optimizer is read through its `optimizer`.
    const wrapped = { optimizer: tfjsAdam, setLearningRate: () => {}, getLearningRate: () => 0.01 };
    expect(optimizerMemoryOf(wrapped).name).toBe("tfjs's adam");
    // A description is taken as given.
    const spec: OptimizerMemorySpec = { name: 'lion', slotsPerWeight: 1, updateTemporaries: 'per-variable', temporariesPerWeight: 3 };
    expect(update(model, spec)).toBe(3 * model.largestTrainableTensor * 4);
    // An optimizer that says nothing about its state is counted as tfjs's Adam, and the message says so.
    class Mystery extends tf.Optimizer {
      static get className() {
        return 'Mystery';
      }
      applyGradients(): void {}
      getConfig() {
        return {};
      }
    }
    const mystery = optimizerMemoryOf(new Mystery());
    expect(mystery).toMatchObject({ slotsPerWeight: 2, updateTemporaries: 'whole-model' });
    expect(mystery.name).toBe("Mystery (its state size is not reported; counted as tfjs's Adam)");
    expect(() => estimateTrainingMemory({ model, batchSize: 1, optimizer: { ...spec, slotsPerWeight: -1 }, backend: 'cpu' })).toThrow(
      'optimizer slotsPerWeight must be an integer >= 0, received -1',
    );
  });

  it('the native/cpu limit is the machine memory, and an explicit limit wins', () => {
    const onCpu = estimateTrainingMemory({ model: vgg16Profile(5), batchSize: 32, optimizer: create('adam'), backend: 'cpu' });
    expect(onCpu.breakdown.overhead).toBe(0);
    const tight = estimateTrainingMemory({ model: vgg16Profile(5), batchSize: 32, optimizer: create('adam'), backend: 'cpu', limitBytes: 1e9 });
    expect(tight.fits).toBe(false);
    expect(tight.message).toContain("cpu's limit of 1.00 GB");
    expect(() => estimateTrainingMemory({ model: vgg16Profile(5), batchSize: 0, optimizer: create('adam'), backend: 'wasm' })).toThrow(
      'batchSize must be a positive integer, received 0',
    );
  });
});

describe('profileModel reads a built tf.LayersModel', () => {
  it('accepts a small run and counts its parameters and activations from the layers', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 64, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const profile = profileModel(model);
    expect(profile.trainableParams).toBe(model.countParams());
    expect(profile.featureParams).toBe(3 * 3 * 3 * 16 + 16 + 3 * 3 * 16 * 32 + 32);
    expect(profile.featureChannels).toBe(32);
    expect(profile.numClasses).toBe(10);
    // conv 32x32x16, pool 16x16x16, conv 16x16x32, pool 8x8x32, (flatten is a view), 64, 10.
    expect(profile.activationsPerSample).toBe(32 * 32 * 16 + 16 * 16 * 16 + 16 * 16 * 32 + 8 * 8 * 32 + 64 + 10);
    expect(profile.largestActivationPerSample).toBe(32 * 32 * 16);

    const estimate = assertFits({ model, batchSize: 32, optimizer: create('adam'), backend: 'wasm' });
    expect(estimate.fits).toBe(true);
    expect(estimate.advice).toEqual([]);
    expect(estimate.message).toMatch(/^training at batch 32 with adam on wasm needs about \d+ MB .*: fits within wasm's 32-bit limit of 4\.29 GB$/);

    // A sub-model used as a layer counts through to its layers.
    const features = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' })],
    });
    const nested = tf.sequential({ layers: [features, tf.layers.flatten(), tf.layers.dense({ units: 10 })] });
    const nestedProfile = profileModel(nested);
    expect(nestedProfile.featureParams).toBe(3 * 3 * 3 * 16 + 16);
    expect(nestedProfile.largestActivationPerSample).toBe(32 * 32 * 16);
    expect(nestedProfile.trainableParams).toBe(nested.countParams());
    nested.dispose();

    // Freezing a layer moves its weights from trainable to frozen.
    model.layers[0]!.trainable = false;
    const frozen = profileModel(model);
    expect(frozen.frozenParams).toBe(3 * 3 * 3 * 16 + 16);
    expect(frozen.trainableParams + frozen.frozenParams).toBe(model.countParams());
    model.dispose();
  });
});
