import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from './backend.ts';
import {
  CapacityError,
  WASM_MEMORY_LIMIT_BYTES,
  assertFits,
  estimateTrainingMemory,
  profileModel,
  type ModelMemoryProfile,
} from './capacity.ts';

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

describe('estimateTrainingMemory', () => {
  it("counts torchvision's vgg16 like torchvision does (138.36M parameters with 1000 classes)", () => {
    expect(vgg16Profile(1000).trainableParams).toBe(138_357_544);
  });

  it("refuses the seed's full recipe (vgg16, 224x224, batch 32, Adam) on wasm with the estimate and advice", () => {
    const request = { model: vgg16Profile(5), batchSize: 32, optimizer: 'adam' as const, backend: 'wasm' as const };
    const estimate = estimateTrainingMemory(request);
    expect(estimate.fits).toBe(false);
    expect(estimate.limitBytes).toBe(WASM_MEMORY_LIMIT_BYTES);
    expect(estimate.optimizerSlots).toBe(2);
    // Weights alone: 134.3M float32 parameters.
    expect(estimate.breakdown.weights).toBe(vgg16Profile(5).trainableParams * 4);
    expect(estimate.breakdown.optimizerState).toBe(2 * estimate.breakdown.weights);
    expect(estimate.bytes).toBeGreaterThan(WASM_MEMORY_LIMIT_BYTES);
    // Adam at batch 1 crashed on wasm (shared/notes/engine.md): no batch size fits.
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
    expect(message).toMatch(/^training at batch 32 with adam on wasm needs about \d+\.\d\d GB \(weights 537 MB, gradients 537 MB, optimizer state 1\.07 GB \(2 slots\),/);
    expect(message).toContain("more than wasm's 32-bit limit of 4.29 GB");
    expect(message).toContain('use the native backend (npm install @tensorflow/tfjs-node');
    expect(message).toContain('a smaller batch alone is not enough');
    expect(message).toMatch(/freeze the feature layers \(freeze: features; trainable parameters 134\.3M -> 119\.6M/);
    expect(message).toMatch(/use a pooled head \(global average pooling \+ a 512x5 classifier instead of 119\.6M head parameters: [\d.]+ GB; fits at batch \d+ or less\)/);
    expect((error as CapacityError).estimate).toEqual(estimate);
  });

  it('agrees with what was measured for full vgg16 on wasm: SGD batch 1 fits, SGD batch 8 does not', () => {
    const sgd = (batchSize: number) =>
      estimateTrainingMemory({ model: vgg16Profile(5), batchSize, optimizer: 'sgd', backend: 'wasm' });
    expect(sgd(1).fits).toBe(true);
    expect(sgd(8).fits).toBe(false);
    const largest = sgd(8).maxBatchSize;
    expect(largest).toBeGreaterThanOrEqual(1);
    expect(largest).toBeLessThan(8);
    expect(sgd(largest).fits).toBe(true);
    expect(sgd(largest + 1).fits).toBe(false);
    expect(sgd(8).message).toContain(`reduce the batch size to ${largest} or less`);
  });

  it('counts optimizer slots: adam 2, sgd 0, sgd with momentum 1, rmsprop 2 (centered 3)', () => {
    const slots = (optimizer: Parameters<typeof estimateTrainingMemory>[0]['optimizer']) =>
      estimateTrainingMemory({ model: vgg16Profile(5), batchSize: 1, optimizer, backend: 'cpu' }).optimizerSlots;
    expect(slots('adam')).toBe(2);
    expect(slots('sgd')).toBe(0);
    expect(slots({ kind: 'sgd', momentum: 0.9 })).toBe(1);
    expect(slots('rmsprop')).toBe(2);
    expect(slots({ kind: 'rmsprop', centered: true })).toBe(3);
  });

  it('the native/cpu limit is the machine memory, and an explicit limit wins', () => {
    const onCpu = estimateTrainingMemory({ model: vgg16Profile(5), batchSize: 32, optimizer: 'adam', backend: 'cpu' });
    expect(onCpu.breakdown.overhead).toBe(0);
    const tight = estimateTrainingMemory({ ...onCpu, model: vgg16Profile(5), optimizer: 'adam', backend: 'cpu', limitBytes: 1e9 });
    expect(tight.fits).toBe(false);
    expect(tight.message).toContain("cpu's limit of 1.00 GB");
    expect(() => estimateTrainingMemory({ model: vgg16Profile(5), batchSize: 0, optimizer: 'adam', backend: 'wasm' })).toThrow(
      'batchSize must be a positive integer, received 0',
    );
  });
});

describe('profileModel reads a built tf.LayersModel', () => {
  beforeAll(async () => {
    await initEngine({ backend: 'cpu', log: () => {} });
  });

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

    const estimate = assertFits({ model, batchSize: 32, optimizer: 'adam', backend: 'wasm' });
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
