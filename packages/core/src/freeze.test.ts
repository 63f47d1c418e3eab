import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { freezeLayers, freezeModel } from './freeze.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** conv (features) -> pool -> flatten -> dense (head), named like a plugin would. */
function tiny(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1], name: 'input' });
  let x = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'block1_conv' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'block1_pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'head' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'tiny' });
}

describe('freezing a model as a spec says', () => {
  it("'features' freezes the layers the entry names, and only those hold weights in the result", () => {
    const model = tiny();
    const entry = { featureLayers: (m: tf.LayersModel) => m.layers.filter((l) => l.name.startsWith('block')).map((l) => l.name) };
    expect(freezeModel(entry, model, 'features')).toEqual(['block1_conv']);
    expect(model.getLayer('block1_conv').trainable).toBe(false);
    expect(model.getLayer('head').trainable).toBe(true);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(['head/kernel', 'head/bias']);
    // 'none' makes every layer trainable again
    expect(freezeModel(entry, model, 'none')).toEqual([]);
    expect(model.trainableWeights).toHaveLength(4);
    model.dispose();
  });

  it("a glob works for any entry; 'features' without the entry's featureLayers, or naming a missing layer, is an error naming the model", () => {
    const model = tiny();
    expect(freezeModel({}, model, 'h*')).toEqual(['head']);
    expect(() => freezeModel({}, model, 'features')).toThrow(
      "freeze 'features': model 'tiny' does not say which layers are its features (its entry has no featureLayers)",
    );
    expect(() => freezeLayers(model, 'features', { featureLayers: ['block9_conv'] })).toThrow("freeze 'features': model 'tiny' has no layer 'block9_conv'");
    expect(() => freezeLayers(model, 'conv*')).toThrow("freeze 'conv*' matches no layer of model 'tiny'; layers: input, block1_conv, block1_pool, flatten, head");
    model.dispose();
  });
});
