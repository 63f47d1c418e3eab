import * as tf from '@tensorflow/tfjs';
import { createRegistry, registerTrainingKernels } from '@vgglab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { freezeLayers, vggPlugin } from '../src/index.ts';
import tinyCnnPluginDefault, { tinyCnnPlugin } from './tiny-cnn.ts';

beforeAll(async () => {
  // The engine's filter-gradient kernel: the stock pure-JS one makes conv training ~20x slower (engine.md).
  registerTrainingKernels();
  await tf.setBackend('cpu');
});

/** A toy task a CNN must look at pixels for: class 0 is bright on the left half, class 1 on the right. */
function toyBatch(n: number, seed: number) {
  return tf.tidy(() => {
    const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2), 'int32');
    const noise = tf.randomUniform([n, 16, 16, 1], 0, 0.3, 'float32', seed);
    const left = tf.concat([tf.ones([16, 8, 1]), tf.zeros([16, 8, 1])], 1);
    const right = tf.reverse(left, 1);
    const pattern = tf.where(labels.reshape([n, 1, 1, 1]).cast('bool').tile([1, 16, 16, 1]), right.expandDims(0).tile([n, 1, 1, 1]), left.expandDims(0).tile([n, 1, 1, 1]));
    return { x: pattern.add(noise), y: tf.oneHot(labels, 2), labels };
  });
}

describe('the example plugin (examples/tiny-cnn.ts)', () => {
  it('registers next to models-vgg and is listed', () => {
    const registry = createRegistry([vggPlugin(), tinyCnnPlugin()]);
    expect(registry.listPlugins()).toEqual(['models-vgg', 'tiny-cnn']);
    expect(registry.listModels('tiny*')).toEqual(['tiny_cnn']);
    expect(tinyCnnPluginDefault().name).toBe('tiny-cnn');
  });

  it('builds from the registry, counts its parameters without building, and learns a toy task in a few steps', async () => {
    const registry = createRegistry([vggPlugin(), tinyCnnPlugin()]);
    const entry = registry.model('tiny_cnn');
    const base = { numClasses: 2, inputShape: [16, 16, 1] as [number, number, number], seed: 1 };
    const model = entry.build(base, { filters: 4 });
    expect(entry.countParams!(base, { filters: 4 }).total).toBe(model.countParams());
    expect(freezeLayers(model, 'features', { featureLayers: entry.featureLayers!(model) })).toEqual(['block1_conv', 'block2_conv']);
    freezeLayers(model, 'none');

    model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const test = toyBatch(32, 99);
    const [lossBefore] = (model.evaluate(test.x, test.y) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
    let tensorsAfterFirstStep = 0; // Adam creates its moment slots in the first step
    for (let step = 0; step < 15; step++) {
      const { x, y, labels } = toyBatch(16, step);
      await model.trainOnBatch(x, y);
      tf.dispose([x, y, labels]);
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep); // every tensor made in a step is freed
    const [lossAfter, accuracy] = (model.evaluate(test.x, test.y) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
    expect(lossAfter).toBeLessThan(lossBefore! / 2);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
  }, 60_000); // ~0.1 s per step on the pure-JS backend; more when the machine is shared

  it('bad options are refused with the value received', () => {
    const entry = tinyCnnPlugin().models.tiny_cnn!;
    expect(() => entry.build({ numClasses: 2, inputShape: [16, 16, 1] }, { filters: 0 })).toThrow('tiny_cnn: filters must be a positive integer, received 0');
    expect(() => entry.build({ numClasses: 2, inputShape: [4, 4, 1] }, { blocks: 3 })).toThrow(/inputShape \[4,4,1\] is too small for 3 2x2 pools/);
  });
});
