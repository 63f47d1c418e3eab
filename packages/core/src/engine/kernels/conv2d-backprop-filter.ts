import * as tf from '@tensorflow/tfjs';
import { asTensor, pair, type Pair } from './tensor-args.ts';

interface Conv2DBackpropFilterAttrs {
  strides: number | Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  /** Not part of tfjs's declared attrs, but accepted for completeness (defaults to 1). */
  dilations?: number | Pair;
}

/**
 * dW = correlation of the (padded) input with dy, computed as ONE forward convolution (the "transpose
 * trick", fastest of three variants measured in shared/notes/engine.md):
 *   input  = x_padded transposed to [Cin, Hp, Wp, N]   (Cin plays the batch, N the channels)
 *   filter = dy transposed to       [Ho, Wo, N, Cout]
 *   dilation = the forward stride, stride 1, valid padding
 * gives [Cin, kh', kw', Cout]; rows/columns 0, d, 2d, ... (d = forward dilation) up to kh/kw taps are the
 * filter gradient, transposed back to [kh, kw, Cin, Cout]. The convolution runs on the backend's fast
 * conv (XNNPACK on wasm; on cpu it avoids the stock 7-deep scalar loop).
 */
export function conv2dBackpropFilterByConv(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW') {
    throw new Error('Conv2DBackpropFilter: dataFormat NCHW is not supported by vgglab kernels (tfjs is NHWC)');
  }
  const x = asTensor<tf.Rank.R4>(args.inputs.x);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy);
  const [kh, kw, cin, cout] = attrs.filterShape;
  const [strideH, strideW] = pair(attrs.strides);
  const [dilationH, dilationW] = pair(attrs.dilations ?? 1);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { top, left } = info.padInfo;
  const [, ho, wo] = dy.shape;
  // Rows/columns of the padded input a tap can reach: (k-1)*d + 1 + (out-1)*stride. Padding is passed to the
  // conv itself (no padded copy of x); rows beyond the reach are cropped (stride > 1 can leave some).
  const needH = (kh - 1) * dilationH + 1 + (ho - 1) * strideH;
  const needW = (kw - 1) * dilationW + 1 + (wo - 1) * strideW;
  const [, h, w] = x.shape;
  const padBottom = needH - h - top;
  const padRight = needW - w - left;
  return tf.tidy(() => {
    // tfjs never produces negative pads ('same', 'valid' and explicit pads are all >= 0).
    const cropped =
      padBottom < 0 || padRight < 0
        ? tf.slice(x, [0, 0, 0, 0], [-1, h + Math.min(padBottom, 0), w + Math.min(padRight, 0), -1])
        : x;
    const xT = tf.transpose(cropped, [3, 1, 2, 0]); // [Cin, H', W', N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Cout]
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, Math.max(padBottom, 0)],
      [left, Math.max(padRight, 0)],
      [0, 0],
    ];
    const full = tf.conv2d(xT, dyT, 1, pad, 'NHWC', [strideH, strideW]); // [Cin, (kh-1)d+1, ., Cout]
    const taps =
      dilationH === 1 && dilationW === 1
        ? full
        : tf.stridedSlice(full, [0, 0, 0, 0], [cin, full.shape[1], full.shape[2], cout], [1, dilationH, dilationW, 1]);
    return tf.transpose(taps, [1, 2, 0, 3]) as tf.Tensor4D; // [kh, kw, Cin, Cout]
  });
}

