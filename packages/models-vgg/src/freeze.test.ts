import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerTrainingKernels } from '@vgglab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { freezeLayers } from './freeze.ts';
import { createVgg } from './vgg.ts';
import { loadWeights } from './weights/load.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
/** The PyTorch fixture's architecture (3 classes), re-headed for a 4-class dataset. */
const OPTIONS = { widthMultiplier: 1 / 32, inputShape: [32, 32, 3] as [number, number, number], classifierUnits: [8, 8], numClasses: 4, seed: 1 };

beforeAll(async () => {
  // The engine's filter-gradient kernel: the stock pure-JS one makes conv training ~20x slower (engine.md).
  registerTrainingKernels();
  await tf.setBackend('cpu');
});

const snapshot = (model: tf.LayersModel) =>
  new Map(model.layers.filter((l) => l.weights.length).map((l) => [l.name, l.getWeights().map((w) => Array.from(w.dataSync()))]));

const batch = () => {
  const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 11);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
  return { x, y };
};

async function pretrainedWithNewHead() {
  const model = createVgg('vgg16_bn', OPTIONS);
  const report = await loadWeights(model, join(FIXTURES, 'vgg16_bn_w32_32px.safetensors'));
  return { model, report };
}

describe('transfer learning: pretrained features, a new head, freeze', () => {
  it('the head is re-created for the new class count (non-strict load skips it)', async () => {
    const { report } = await pretrainedWithNewHead();
    expect(report.loaded).toContain('fc2');
    expect(report.loaded).not.toContain('predictions');
    expect(report.missing).toEqual(['predictions']);
    expect(report.skipped.filter((s) => !s.name.endsWith('num_batches_tracked')).map((s) => s.name).sort()).toEqual(['classifier.6.bias', 'classifier.6.weight']);
  });

  it("after freezeLayers(model, 'features') and a trainOnBatch step: features (and BN statistics) unchanged, head changed", async () => {
    const { model } = await pretrainedWithNewHead();
    const frozen = freezeLayers(model, 'features');
    expect(frozen).toContain('block1_conv1');
    expect(frozen).toContain('block5_conv3_bn');
    expect(frozen.some((n) => n.startsWith('fc') || n === 'predictions')).toBe(false);
    const before = snapshot(model);
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const { x, y } = batch();
    await model.trainOnBatch(x, y);
    const after = snapshot(model);
    for (const name of frozen) expect(after.get(name), name).toEqual(before.get(name));
    for (const name of ['fc1', 'fc2', 'predictions']) expect(after.get(name), name).not.toEqual(before.get(name));
    tf.dispose([x, y]);
  });

  it('the same step without freezing changes the conv kernels and the BN moving statistics (the check above can fail)', async () => {
    const { model } = await pretrainedWithNewHead();
    expect(freezeLayers(model, 'none')).toEqual([]);
    const before = snapshot(model);
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const { x, y } = batch();
    await model.trainOnBatch(x, y);
    const after = snapshot(model);
    expect(after.get('block1_conv1')).not.toEqual(before.get('block1_conv1'));
    expect(after.get('block3_conv1_bn')![2]).not.toEqual(before.get('block3_conv1_bn')![2]); // moving mean
    tf.dispose([x, y]);
  });

  it('a custom loop with optimizer.minimize over model.trainableWeights leaves frozen layers alone', async () => {
    const { model } = await pretrainedWithNewHead();
    const frozen = freezeLayers(model, 'block[1-4]*');
    expect(frozen).not.toContain('block5_conv1');
    const before = snapshot(model);
    const optimizer = tf.train.adam(0.01);
    const { x, y } = batch();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true, vars);
    if (loss) loss.dispose();
    const after = snapshot(model);
    for (const name of frozen) expect(after.get(name), name).toEqual(before.get(name));
    expect(after.get('block5_conv1')).not.toEqual(before.get('block5_conv1'));
    tf.dispose([x, y]);
  });
});

describe('freezeLayers arguments', () => {
  const narrow = () => createVgg('vgg11', { ...OPTIONS, widthMultiplier: 1 / 16 });
  it('a glob returns the frozen layers with weights, in model order; others become trainable again', () => {
    const model = narrow();
    expect(freezeLayers(model, 'block[12]_*')).toEqual(['block1_conv1', 'block2_conv1']);
    expect(model.getLayer('block1_conv1').trainable).toBe(false);
    expect(freezeLayers(model, 'fc*')).toEqual(['fc1', 'fc2']);
    expect(model.getLayer('block1_conv1').trainable).toBe(true);
  });
  it('a glob matching nothing, or an empty value, is an error that says what was received', () => {
    const model = narrow();
    expect(() => freezeLayers(model, 'conv*')).toThrow(/freeze 'conv\*' matches no layer of model 'vgg11'; layers: input, block1_conv1/);
    expect(() => freezeLayers(model, '')).toThrow(/freeze must be 'features', 'none' or a glob of layer names, received ""/);
  });
});
