import * as tf from '@tensorflow/tfjs';
import { beforeAll, it } from 'vitest';
import { describeNative, expectMatchesCpu, rand, startNative } from '../testing/native.ts';

describeNative('batch normalization against the cpu kernels', () => {
  beforeAll(async () => {
    await startNative();
  });

  it('FusedBatchNorm and all five gradients', async () => {
    await expectMatchesCpu(() => {
      const x = rand([4, 7, 9, 11], 61).mul(3).add(1);
      const mean = rand([11], 62);
      const variance = rand([11], 63).abs().add(0.2);
      const offset = rand([11], 64);
      const scale = rand([11], 65).add(1.5);
      const dy = rand([4, 7, 9, 11], 66);
      const bn = (a: tf.Tensor[]) => tf.batchNorm(a[0]!, a[1]!, a[2]!, a[3], a[4], 1e-3);
      const inputs = [x, mean, variance, offset, scale];
      const [dx, dMean, dVariance, dOffset, dScale] = tf.grads((...a: tf.Tensor[]) => bn(a).mul(dy).sum())(inputs);
      return { y: bn(inputs), dx: dx!, dMean: dMean!, dVariance: dVariance!, dOffset: dOffset!, dScale: dScale! };
    }, 1e-4);
  });

  it('FusedBatchNorm without scale and offset (forward: tfjs cannot differentiate it without a scale)', async () => {
    await expectMatchesCpu(() => tf.batchNorm(rand([4, 7, 9, 11], 61), rand([11], 62), rand([11], 63).abs().add(0.2), undefined, undefined, 1e-3));
  });

  it('a batch-norm layer in training (statistics from tf.moments, gradient through them)', async () => {
    await expectMatchesCpu(() => {
      const x = rand([6, 5, 5, 9], 67).mul(2).add(0.5);
      const gamma = rand([9], 68).add(1.2);
      const beta = rand([9], 69);
      const dy = rand([6, 5, 5, 9], 70);
      const layer = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return tf.batchNorm(a, mean, variance, b, g, 1e-3);
      };
      const [dx, dg, db] = tf.grads((a, g, b) => layer(a!, g!, b!).mul(dy).sum())([x, gamma, beta]);
      return { dx: dx!, dGamma: dg!, dBeta: db! };
    }, 1e-4);
  });

  it('statistics shaped otherwise than one per channel stay on the cpu kernel, with the same result', async () => {
    await expectMatchesCpu(() => tf.batchNorm(rand([2, 3, 4], 71), rand([3, 4], 72), rand([3, 4], 73).abs().add(0.5)));
  });
});

describeNative('batch-norm statistics', () => {
  beforeAll(async () => {
    await startNative();
  });

  for (const keepDims of [false, true]) {
    it(`tf.moments over the leading axes (keepDims ${keepDims}) and its gradient, as tfjs computes them on cpu`, async () => {
      await expectMatchesCpu(() => {
        const x = rand([5, 7, 9, 13], 74).mul(2).add(0.7);
        const dMean = rand(keepDims ? [1, 1, 1, 13] : [13], 75);
        const dVariance = rand(keepDims ? [1, 1, 1, 13] : [13], 76);
        const { mean, variance } = tf.moments(x, [0, 1, 2], keepDims);
        const dx = tf.grad((a) => {
          const m = tf.moments(a, [0, 1, 2], keepDims);
          return m.mean.mul(dMean).sum().add(m.variance.mul(dVariance).sum());
        })(x);
        return { mean, variance, dx };
      }, 1e-4);
    });
  }

  it('other axes stay with tfjs (the last axis, a middle one)', async () => {
    await expectMatchesCpu(() => {
      const x = rand([5, 7, 9, 13], 77);
      const last = tf.moments(x, -1);
      const middle = tf.moments(x, [1, 2]);
      return { lastMean: last.mean, lastVariance: last.variance, middleMean: middle.mean, middleVariance: middle.variance };
    }, 1e-5);
  });
});
