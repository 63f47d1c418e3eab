import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { describeNative, expectMatchesCpu, rand, startNative } from '../testing/native.ts';
import { planBinary } from './eltwise.ts';
import { planReduce } from './reduce.ts';

// Big enough for the native kernels (MIN_NATIVE_ELEMENTS), odd, 4-D as activations are.
const SHAPE = [3, 9, 11, 13];

describeNative('elementwise and reduction kernels against the cpu kernels', () => {
  beforeAll(async () => {
    await startNative();
  });

  it('unary functions, over the ranges where they are defined', async () => {
    await expectMatchesCpu(() => {
      const x = rand(SHAPE, 51).mul(4); // [-4, 4)
      const positive = x.abs().add(0.01);
      return {
        relu: tf.relu(x), relu6: tf.relu6(x.mul(3)), leakyRelu: tf.leakyRelu(x, 0.1), elu: tf.elu(x),
        sigmoid: tf.sigmoid(x), tanh: tf.tanh(x), exp: tf.exp(x), neg: tf.neg(x), abs: tf.abs(x), square: tf.square(x),
        sqrt: tf.sqrt(positive), rsqrt: tf.rsqrt(positive), log: tf.log(positive),
      };
    });
  });

  it('binary arithmetic: same shapes, a per-channel operand on either side, a scalar, a broadcast middle axis', async () => {
    await expectMatchesCpu(() => {
      const a = rand(SHAPE, 52);
      const b = rand(SHAPE, 53).add(2);
      const channel = rand([13], 54).add(1.5);
      const rows = rand([3, 1, 11, 1], 55);
      return {
        add: tf.add(a, b), sub: tf.sub(a, b), mul: tf.mul(a, b), div: tf.div(a, b), max: tf.maximum(a, b), min: tf.minimum(a, b),
        squaredDifference: tf.squaredDifference(a, b),
        biasAdd: tf.add(a, channel), channelFirst: tf.add(channel, a), mulChannelFirst: tf.mul(channel, a),
        divByChannel: tf.div(a, channel), channelMinus: tf.sub(channel, a), scalarDiv: tf.div(a, tf.scalar(7)),
        middle: tf.mul(a, rows), middleSquaredDifference: tf.squaredDifference(rows, a),
      };
    });
  });

  it('Relu gradient, one pass: dy where x > 0', async () => {
    await expectMatchesCpu(() => {
      const x = rand(SHAPE, 56);
      const dy = rand(SHAPE, 57);
      return tf.grad((a) => tf.relu(a).mul(dy).sum())(x);
    }, 1e-7);
  });

  it('Sum and Mean over leading, trailing, middle and all axes, with and without keepDims', async () => {
    await expectMatchesCpu(() => {
      const x = rand(SHAPE, 58);
      return {
        biasGrad: tf.sum(x, [0, 1, 2]), rows: tf.sum(x, -1), middle: tf.sum(x, [1, 2], true), all: tf.sum(x),
        meanLeading: tf.mean(x, [0, 1, 2]), meanRows: tf.mean(x, 3, true), split: tf.sum(x, [0, 2]),
      };
    }, 1e-6);
  });
});

it('planBinary puts the operand of the output shape first, swapping only commutative ops', () => {
  expect(planBinary([2, 3], [3], true)).toEqual({ swap: false, full: [2, 3], other: [1, 3] });
  expect(planBinary([3], [2, 3], true)).toEqual({ swap: true, full: [2, 3], other: [1, 3] });
  expect(planBinary([3], [2, 3], false)).toBeUndefined();
  expect(planBinary([2, 1], [1, 3], true)).toBeUndefined(); // both broadcast
  expect(planBinary([2, 3], [4], true)).toBeUndefined(); // not broadcastable
});

it('planReduce takes one contiguous run of axes as [outer, reduce, inner]', () => {
  expect(planReduce([2, 3, 4, 5], [0, 1, 2])).toEqual([1, 24, 5]);
  expect(planReduce([2, 3, 4, 5], [3])).toEqual([24, 5, 1]);
  expect(planReduce([2, 3, 4, 5], [2, 1])).toEqual([2, 12, 5]);
  expect(planReduce([2, 3, 4, 5], [0, 2])).toBeUndefined();
});
