import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveAveragePooling2D, FreezableBatchNormalization, adaptivePoolMatrix } from './layers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const pool7 = (x: tf.Tensor4D) => new AdaptiveAveragePooling2D({ outputSize: [7, 7] }).apply(x) as tf.Tensor4D;

/** A plain loop over PyTorch's definition: start = floor(i*in/out), end = ceil((i+1)*in/out). */
function referencePool(data: Float32Array, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(oh * ow * c);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++) {
      const [h0, h1] = [Math.floor((i * h) / oh), Math.ceil(((i + 1) * h) / oh)];
      const [w0, w1] = [Math.floor((j * w) / ow), Math.ceil(((j + 1) * w) / ow)];
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let a = h0; a < h1; a++) for (let b = w0; b < w1; b++) sum += data[(a * w + b) * c + k]!;
        out[(i * ow + j) * c + k] = sum / ((h1 - h0) * (w1 - w0));
      }
    }
  return out;
}

describe('AdaptiveAveragePooling2D (PyTorch AdaptiveAvgPool2d, channels-last)', () => {
  it('from 2x2 to 7x7 repeats values and averages the middle row and column, as PyTorch', () => {
    // Rows of a 2 -> 7 pool take input rows [0], [0], [0], [0, 1], [1], [1], [1].
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = pool7(x).reshape([7, 7]).arraySync() as number[][];
    expect(y[0]).toEqual([1, 1, 1, 1.5, 2, 2, 2]);
    expect(y[3]).toEqual([2, 2, 2, 2.5, 3, 3, 3]);
    expect(y[6]).toEqual([3, 3, 3, 3.5, 4, 4, 4]);
    expect(Array.from(adaptivePoolMatrix(2, 7))).toEqual([1, 0, 1, 0, 1, 0, 0.5, 0.5, 0, 1, 0, 1, 0, 1]);
  });

  it('from 1x1 copies the value to all 49 cells, per channel', () => {
    const y = pool7(tf.tensor4d([5, -1], [1, 1, 1, 2]));
    expect(y.shape).toEqual([1, 7, 7, 2]);
    const v = Array.from(y.dataSync());
    expect(v.filter((_, i) => i % 2 === 0).every((a) => a === 5)).toBe(true);
    expect(v.filter((_, i) => i % 2 === 1).every((a) => a === -1)).toBe(true);
  });

  it('from 3x3: hand-computed corner and centre', () => {
    // 3 -> 7: rows [0], [0], [0,1], [1], [1,2], [2], [2].
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const y = pool7(x).reshape([7, 7]).arraySync() as number[][];
    expect(y[0]![0]).toBe(1);
    expect(y[2]![2]).toBeCloseTo((1 + 2 + 4 + 5) / 4, 6);
    expect(y[3]![3]).toBe(5);
    expect(y[4]![6]).toBeCloseTo((6 + 9) / 2, 6);
  });

  it('matches the definition on uneven sizes (10x13), on exact multiples (14x21) and is the identity at 7x7', () => {
    for (const [h, w] of [[10, 13], [14, 21], [7, 7], [4, 9]]) {
      const x = tf.randomUniform([2, h!, w!, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
      const data = x.dataSync() as Float32Array;
      const y = pool7(x).dataSync();
      for (let n = 0; n < 2; n++) {
        const ref = referencePool(data.subarray(n * h! * w! * 3, (n + 1) * h! * w! * 3), h!, w!, 3, 7, 7);
        const got = y.subarray(n * 147, (n + 1) * 147);
        ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
      }
    }
  });

  it('frees its temporaries (matrix path, pool path, identity)', () => {
    for (const [h, w] of [[10, 13], [14, 14], [7, 7]]) {
      const x = tf.randomUniform([1, h!, w!, 2]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const y = pool7(x);
      expect(tf.memory().numTensors).toBe(before + 1);
      tf.dispose([x, y]);
    }
  });

  it('passes gradients (sum of the input gradient equals the 49 output cells per channel)', () => {
    const x = tf.randomUniform([1, 3, 5, 2]) as tf.Tensor4D;
    const g = tf.grad((t: tf.Tensor) => pool7(t as tf.Tensor4D).sum())(x);
    expect(g.sum().dataSync()[0]).toBeCloseTo(49 * 2, 4);
  });

  it('survives model serialisation (registered class)', async () => {
    const input = tf.input({ shape: [3, 3, 1] });
    const model = tf.model({ inputs: input, outputs: new AdaptiveAveragePooling2D({ outputSize: [7, 7], name: 'avgpool' }).apply(input) as tf.SymbolicTensor });
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void model.save(tf.io.withSaveHandler(async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    });
    const again = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(again.getLayer('avgpool').getClassName()).toBe('AdaptiveAveragePooling2D');
    expect(again.outputs[0]!.shape).toEqual([null, 7, 7, 1]);
  });

  it('rejects a bad outputSize, repeating it', () => {
    expect(() => new AdaptiveAveragePooling2D({ outputSize: [0, 7] })).toThrow(/outputSize must be .* received \[0,7\]/);
  });
});

describe('FreezableBatchNormalization', () => {
  it('updates moving statistics in training while trainable, and not once frozen', () => {
    const bn = new FreezableBatchNormalization({ momentum: 0.5 });
    const x = tf.randomNormal([8, 4], 3, 1);
    bn.apply(x); // builds
    const mean = () => Array.from(bn.getWeights()[2]!.dataSync());
    const before = mean();
    bn.trainable = false;
    tf.dispose(bn.apply(x, { training: true }) as tf.Tensor);
    expect(mean()).toEqual(before);
    bn.trainable = true;
    tf.dispose(bn.apply(x, { training: true }) as tf.Tensor);
    expect(mean()).not.toEqual(before);
  });
});
