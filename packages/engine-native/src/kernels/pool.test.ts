import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { describeNative, expectMatchesCpu, rand, runOn, startNative } from '../testing/native.ts';

interface PoolCase {
  name: string;
  x: [number, number, number, number];
  size: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  rounding?: 'ceil';
}

const CASES: PoolCase[] = [
  { name: "VGG's 2x2 stride 2 (windows tile the input)", x: [2, 8, 8, 5], size: 2, strides: 2, pad: 'valid' },
  { name: '3x3 stride 2 same on odd sizes', x: [1, 9, 9, 3], size: 3, strides: 2, pad: 'same' },
  { name: '3x3 stride 1 same (overlapping windows)', x: [2, 7, 10, 4], size: 3, strides: 1, pad: 'same' },
  { name: '2x2 stride 2 same on an odd size (a partial last window)', x: [3, 7, 7, 9], size: 2, strides: 2, pad: 'same' },
  { name: '3x2 windows, strides [1, 2], valid', x: [1, 11, 12, 13], size: [3, 2], strides: [1, 2], pad: 'valid' },
  { name: '3x3 stride 2, pad 1 rounded up (ceil)', x: [2, 8, 8, 6], size: 3, strides: 2, pad: 1, rounding: 'ceil' },
];

describeNative('pooling kernels against the cpu kernels', () => {
  beforeAll(async () => {
    await startNative();
  });

  for (const c of CASES) {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind === 'max' ? 'MaxPool and MaxPoolGrad' : 'AvgPool and AvgPoolGrad'}: ${c.name}`, async () => {
        const op = (x: tf.Tensor4D) =>
          kind === 'max' ? tf.maxPool(x, c.size, c.strides, c.pad, c.rounding) : tf.avgPool(x, c.size, c.strides, c.pad, c.rounding);
        await expectMatchesCpu(() => {
          const x = rand(c.x, 11) as tf.Tensor4D;
          const y = op(x);
          const dy = rand(y.shape, 12);
          return { y, dx: tf.grad((a) => op(a as tf.Tensor4D).mul(dy).sum())(x) };
        }, 1e-4, c.name);
      });
    }
  }

  it('MaxPoolGrad sends a tied window (zeros after ReLU) to the element cpu picks', async () => {
    for (const c of CASES) {
      // Half the inputs are 0 after the ReLU: most windows tie. A tie sent elsewhere moves a whole dy value
      // (a difference of order 1); overlapping windows only add in another order (order 1e-7).
      await expectMatchesCpu(() => {
        const x = rand(c.x, 13).relu() as tf.Tensor4D;
        const dy = rand(tf.maxPool(x, c.size, c.strides, c.pad, c.rounding).shape, 14);
        return tf.grad((a) => tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad, c.rounding).mul(dy).sum())(x);
      }, 1e-6, c.name);
    }
  });

  it('MaxPoolGrad with non-overlapping windows is exactly the cpu kernel', async () => {
    const fn = () => {
      const x = rand([2, 8, 8, 5], 15).relu() as tf.Tensor4D;
      return tf.grad((a) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').mul(rand([2, 4, 4, 5], 16)).sum())(x);
    };
    const native = await runOn('native', fn);
    const cpu = await runOn('cpu', fn);
    await tf.setBackend('native');
    expect(Array.from(native.values[0]!)).toEqual(Array.from(cpu.values[0]!));
  });
});
