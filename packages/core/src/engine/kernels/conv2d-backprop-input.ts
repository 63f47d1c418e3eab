import * as tf from '@tensorflow/tfjs';
import { asTensor, pair, type Pair } from './tensor-args.ts';

interface Conv2DBackpropInputAttrs {
  strides: number | Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/**
 * Flips a [kh, kw, Cin, Cout] filter in height and width and swaps its channels: W'[a, b, o, i] =
 * W[kh-1-a, kw-1-b, i, o]. Filters are small; a plain loop over the data beat wasm's Reverse + Transpose.
 */
export function flipFilter(values: Float32Array, shape: readonly number[]): Float32Array {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const flipped = new Float32Array(values.length);
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const src = ((kh - 1 - a) * kw + (kw - 1 - b)) * cin * cout;
      const dst = (a * kw + b) * cout * cin;
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) flipped[dst + o * cin + i] = values[src + i * cout + o];
      }
    }
  }
  return flipped;
}

/**
 * dx for a stride-1 convolution is itself a stride-1 convolution: conv2d(dy, W') with W' the flipped filter
 * and pads (kh-1-top, H-Ho+top) by (kw-1-left, W-Wo+left). That runs on XNNPACK; the stock wasm kernel is a
 * scalar loop (2-9x slower, shared/notes/engine.md). Strided convolutions (VGG has none) and any pad
 * outside that form go to `fallback`, the backend's stock kernel, which is correct.
 */
export function makeConv2dBackpropInputByConv(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs } = args as KernelArgs;
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    const [strideH, strideW] = pair(a.strides);
    if (strideH !== 1 || strideW !== 1 || a.dataFormat === 'NCHW') return fallback(args);
    const dy = asTensor<tf.Rank.R4>(inputs.dy);
    const filter = asTensor<tf.Rank.R4>(inputs.filter);
    const [kh, kw] = filter.shape;
    const [, h, w] = a.inputShape;
    const [, ho, wo] = dy.shape;
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      1,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, left } = info.padInfo;
    const pads = [kh - 1 - top, h - ho + top, kw - 1 - left, w - wo + left];
    if (pads.some((p) => p < 0)) return fallback(args);
    const flipped = flipFilter(filter.dataSync() as Float32Array, filter.shape);
    return tf.tidy(() => {
      const flippedFilter = tf.tensor4d(flipped, [kh, kw, filter.shape[3], filter.shape[2]]);
      return tf.conv2d(dy, flippedFilter, 1, [
        [0, 0],
        [pads[0], pads[1]],
        [pads[2], pads[3]],
        [0, 0],
      ]);
    });
  };
}
