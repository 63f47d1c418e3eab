import * as tf from '@tensorflow/tfjs';
import { beforeAll, it } from 'vitest';
import { describeNative, expectMatchesCpu, rand, startNative } from '../testing/native.ts';

describeNative('matmul kernels against the cpu kernels', () => {
  beforeAll(async () => {
    await startNative();
  });

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`BatchMatMul ${ta ? 'aᵀ' : 'a'}·${tb ? 'bᵀ' : 'b'} with its gradients (odd sizes)`, async () => {
      const [m, k, n] = [13, 37, 11];
      await expectMatchesCpu(() => {
        const a = rand(ta ? [k, m] : [m, k], 21);
        const b = rand(tb ? [n, k] : [k, n], 22);
        const dy = rand([m, n], 23);
        const [da, db] = tf.grads((x, y) => tf.matMul(x, y, ta, tb).mul(dy).sum())([a, b]);
        return { c: tf.matMul(a, b, ta, tb), da: da!, db: db! };
      });
    });
  }

  it('batched and broadcast batches: [3] x [3], [1] x [4], [] x [2, 3], transposed', async () => {
    await expectMatchesCpu(() => ({
      same: tf.matMul(rand([3, 5, 7], 24), rand([3, 7, 9], 25)),
      broadcastA: tf.matMul(rand([1, 6, 4], 26), rand([4, 4, 3], 27), false, false),
      unbatchedA: tf.matMul(rand([5, 8], 28), rand([2, 3, 6, 8], 29), false, true),
      transposedBoth: tf.matMul(rand([2, 9, 5], 30), rand([2, 4, 9], 31), true, true),
    }));
  });

  it('a batch broadcast oneDNN cannot express ([2, 1] x [1, 3]) stays on the cpu kernel, with the same result', async () => {
    await expectMatchesCpu(() => tf.matMul(rand([2, 1, 4, 5], 32), rand([1, 3, 5, 6], 33)));
  });

  for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const) {
    it(`_FusedMatMul with a bias and ${activation}`, async () => {
      await expectMatchesCpu(() =>
        tf.fused.matMul({
          a: rand([17, 33], 34).mul(2),
          b: rand([19, 33], 35),
          transposeB: true,
          bias: rand([19], 36),
          activation,
          preluActivationWeights: activation === 'prelu' ? rand([19], 37) : undefined,
          leakyreluAlpha: 0.3,
        }),
      );
    });
  }

  it('_FusedMatMul with a full [m, n] bias (the cpu kernel) and without a bias', async () => {
    await expectMatchesCpu(() => ({
      fullBias: tf.fused.matMul({ a: rand([6, 10], 38), b: rand([10, 7], 39), bias: rand([6, 7], 40), activation: 'relu' }),
      noBias: tf.fused.matMul({ a: rand([6, 10], 41), b: rand([10, 7], 42), activation: 'relu' }),
    }));
  });
});
