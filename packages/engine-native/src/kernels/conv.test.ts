import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import type { NativeAddon } from '../addon.ts';
import { describeNative, expectMatchesCpu, rand, startNative } from '../testing/native.ts';
import { padAfter } from './conv.ts';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dilations?: number;
}

/** Strides 1 and 2, same/valid/uneven explicit padding, 1x1/3x3/5x5, odd sizes, batch 1, channels not multiples of 8. */
const CASES: ConvCase[] = [
  { name: '3x3 same, batch 1, 3 -> 5 channels', x: [1, 7, 7, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { name: '5x5 stride 2 same on odd sizes (uneven padding)', x: [2, 9, 11, 6], filter: [5, 5, 6, 10], strides: 2, pad: 'same' },
  { name: '1x1 valid', x: [3, 8, 8, 13], filter: [1, 1, 13, 9], strides: 1, pad: 'valid' },
  { name: '3x3 stride 2 valid on an even size', x: [2, 10, 10, 4], filter: [3, 3, 4, 12], strides: 2, pad: 'valid' },
  { name: '3x3 strides [2, 1], explicit uneven padding', x: [1, 12, 9, 7], filter: [3, 3, 7, 6], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: '5x5 valid, 17 -> 19 channels', x: [2, 13, 13, 17], filter: [5, 5, 17, 19], strides: 1, pad: 'valid' },
  { name: '3x3 same, wider', x: [2, 12, 12, 17], filter: [3, 3, 17, 19], strides: 1, pad: 'same' },
];

let addon: NativeAddon;

describeNative('convolution kernels against the cpu kernels', () => {
  beforeAll(async () => {
    addon = await startNative();
  });

  for (const c of CASES) {
    it(`Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter: ${c.name}`, async () => {
      const op = (x: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(x, f, c.strides, c.pad);
      await expectMatchesCpu(() => op(rand(c.x, 1) as tf.Tensor4D, rand(c.filter, 2) as tf.Tensor4D), 1e-4, c.name);
      // Gradients through tf.grads: dy weights every output differently, so each kernel is exercised fully.
      await expectMatchesCpu(() => {
        const x = rand(c.x, 1) as tf.Tensor4D;
        const f = rand(c.filter, 2) as tf.Tensor4D;
        const y = op(x, f);
        const dy = rand(y.shape, 3);
        const [dx, df] = tf.grads((a, b) => op(a as tf.Tensor4D, b as tf.Tensor4D).mul(dy).sum())([x, f]);
        return { dx: dx!, dfilter: df! };
      }, 1e-4, c.name);
    }, 20_000); // tfjs's stock filter gradient is a scalar JS loop: seconds on a loaded machine
  }

  it('Conv2D with pad 1 rounded up (ceil), forward only: tfjs drops the rounding mode in the gradient', async () => {
    await expectMatchesCpu(() => tf.conv2d(rand([1, 8, 8, 3], 4) as tf.Tensor4D, rand([3, 3, 3, 4], 5) as tf.Tensor4D, 2, 1, 'NHWC', 1, 'ceil'));
  });

  it('falls back to the cpu kernel when dy does not have the shape the attributes give (no read past its end)', async () => {
    // The case above, differentiated: tfjs asks for a 4x4 dy where the forward made 5x5.
    await expectMatchesCpu(() => {
      const dy = rand([1, 5, 5, 4], 6);
      const attrs = { inputShape: [1, 8, 8, 3], strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: undefined };
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: rand([3, 3, 3, 4], 5) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
  });

  it('Conv2D with dilation 2 (forward; tfjs has no dilated conv gradient)', async () => {
    await expectMatchesCpu(() => tf.conv2d(rand([2, 11, 11, 3], 4) as tf.Tensor4D, rand([3, 3, 3, 6], 5) as tf.Tensor4D, 1, 'same', 'NHWC', 2));
  });

  for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu', 'prelu'] as const) {
    it(`FusedConv2D with a bias and ${activation} (prelu: the cpu kernel)`, async () => {
      await expectMatchesCpu(() =>
        tf.fused.conv2d({
          x: rand([2, 9, 9, 5], 6).mul(3) as tf.Tensor4D,
          filter: rand([3, 3, 5, 11], 7) as tf.Tensor4D,
          strides: 2,
          pad: 'same',
          bias: rand([11], 8),
          activation,
          preluActivationWeights: activation === 'prelu' ? rand([11], 9) : undefined,
          leakyreluAlpha: 0.3,
        }),
      );
    });
  }

  it('runs oneDNN JIT kernels (not the reference ones) on NHWC data in every direction', () => {
    // [n, h, w, c, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr]: VGG's 3x3 conv, 64 -> 64 channels.
    const impl = addon.convImplementations(Int32Array.of(8, 32, 32, 64, 3, 3, 64, 32, 32, 1, 1, 1, 1, 1, 1, 1, 1));
    for (const direction of Object.values(impl)) expect(direction).toMatch(/^jit/);
  });
});

it('padAfter keeps a consistent pad and derives one where tfjs rounds the output up', () => {
  // 'same', 9 -> 5 with a 5-tap filter and stride 2: tfjs pads 2 + 2, which oneDNN accepts as it is.
  expect(padAfter(9, 5, 2, 5, 2, 2)).toBe(2);
  // pad 1 with 'ceil': 8 -> 5 with a 3-tap filter and stride 2 needs 2 after, tfjs says 1.
  expect(padAfter(8, 5, 2, 3, 1, 1)).toBe(2);
  // An output smaller than the input allows would need a negative pad: not expressible.
  expect(padAfter(7, 2, 2, 3, 0, 0)).toBeUndefined();
});
