import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '@vgglab/core';
import { evalStep, trainStep } from './step.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [2, 2, 1] }));
  model.add(tf.layers.dense({ units: 3, kernelInitializer: 'ones', biasInitializer: 'zeros' }));
  return model;
}

/** A batch whose release() overwrites its pixels with NaN, as a source reusing the memory would. */
function batchWithRelease(): { batch: Batch; releases: () => number } {
  let count = 0;
  const x = Float32Array.from({ length: 8 }, (_, i) => i / 8);
  const batch: Batch = {
    x,
    shape: [2, 2, 2, 1],
    labels: Int32Array.from([0, 2]),
    release: () => {
      count++;
      x.fill(Number.NaN);
    },
  };
  return { batch, releases: () => count };
}

describe('steps hand batch memory back', () => {
  it('trainStep and evalStep release the batch once, after the last read of its pixels', async () => {
    const reference = tinyModel();
    const plain = { ...batchWithRelease().batch };
    delete plain.release;
    const expected = await trainStep(reference, tf.train.sgd(0.1), plain, false);

    const numTensors = tf.memory().numTensors;
    const model = tinyModel();
    const { batch, releases } = batchWithRelease();
    const result = await trainStep(model, tf.train.sgd(0.1), batch, false);
    expect(releases()).toBe(1);
    // Same loss as without release: nothing read the pixels after they were overwritten.
    expect(result.loss).toBeCloseTo(expected.loss, 6);
    expect(Number.isFinite(result.loss)).toBe(true);

    const second = batchWithRelease();
    const evaluated = await evalStep(model, second.batch, false);
    expect(second.releases()).toBe(1);
    expect(Number.isFinite(evaluated.lossSum)).toBe(true);
    expect(Array.from(evaluated.predicted).every((p) => p >= 0 && p < 3)).toBe(true);
    // The two models and the optimizers' state are what remains.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(numTensors + 6);
  });
});
