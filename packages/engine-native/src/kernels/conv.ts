/**
 * Conv2D, FusedConv2D (bias and activation as oneDNN post-ops), Conv2DBackpropInput and
 * Conv2DBackpropFilter on oneDNN (src/native/conv.cc), NHWC only: tfjs's layers always pass NHWC; NCHW
 * falls back to the `cpu` kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { activationCode } from './activation.ts';
import { alloc, callStock, fallback, floats, output, size, type KernelArgs, type NativeKernel } from './tensors.ts';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

/**
 * The pad after the input that oneDNN accepts: it requires floor((in + before + after − filter) / stride) + 1
 * to be the output size, which tfjs's own pads meet except with a 'ceil' rounding mode; then the pad is
 * derived from the output size (padding beyond the last window is never read). undefined: not expressible.
 */
export function padAfter(inSize: number, outSize: number, stride: number, filter: number, before: number, after: number): number | undefined {
  const out = (after: number) => Math.floor((inSize + before + after - filter) / stride) + 1;
  if (out(after) === outSize) return after;
  const derived = (outSize - 1) * stride + filter - inSize - before;
  return derived >= 0 && out(derived) === outSize ? derived : undefined;
}

/** The pads [top, left, bottom, right] oneDNN takes for a conv or pool of tfjs's, or undefined (padAfter). */
export function oneDnnPads(info: tf.backend_util.Conv2DInfo): [number, number, number, number] | undefined {
  const { top, left, bottom, right } = info.padInfo;
  const pb = padAfter(info.inHeight, info.outHeight, info.strideHeight, info.effectiveFilterHeight, top, bottom);
  const pr = padAfter(info.inWidth, info.outWidth, info.strideWidth, info.effectiveFilterWidth, left, right);
  return pb === undefined || pr === undefined ? undefined : [top, left, pb, pr];
}

/** [n, h, w, c, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr] for src/native/conv.cc, or undefined. */
export function convParams(info: tf.backend_util.Conv2DInfo): Int32Array | undefined {
  const pads = oneDnnPads(info);
  if (info.dataFormat !== 'channelsLast' || !pads) return undefined;
  return Int32Array.of(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.filterHeight, info.filterWidth, info.outChannels, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    ...pads,
  );
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: Rounding;
  activation?: string;
  leakyreluAlpha?: number;
}

const channelsLast = (format: string) => (format === 'NHWC' ? 'channelsLast' : 'channelsFirst');

/** Conv2D and FusedConv2D: the bias must be one value per output channel, the activation one oneDNN has. */
function makeConv(kernelName: string): NativeKernel['make'] {
  return (addon, stock) => {
    const stockConv = fallback(stock, kernelName);
    return (args: KernelArgs) => {
      const { x, filter, bias } = args.inputs;
      const a = args.attrs as unknown as ConvAttrs;
      const activation = activationCode(a.activation ?? 'linear');
      const xv = floats(args.backend, x);
      const wv = floats(args.backend, filter);
      const bv = bias ? floats(args.backend, bias) : null;
      const info = tf.backend_util.computeConv2DInfo(
        x!.shape as Shape4, filter!.shape as Shape4, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, channelsLast(a.dataFormat),
      );
      const params = convParams(info);
      const biasFits = bias === undefined || (bv !== undefined && size(bias.shape) === info.outChannels);
      const consistent = filter!.shape[2] === info.inChannels;
      if (!xv || !wv || !params || activation === undefined || !biasFits || !consistent) return callStock(stockConv, args);
      const y = alloc(args.backend, size(info.outShape));
      addon.conv2d(xv, wv, bv ?? null, y, params, activation, a.leakyreluAlpha ?? 0.2);
      return output(args.backend, info.outShape, y);
    };
  };
}

export const CONV_KERNELS: readonly NativeKernel[] = [
  {
    kernelName: 'Conv2D',
    why: "oneDNN's JIT convolution (NHWC activations, weights reordered to its preferred layout)",
    make: makeConv('Conv2D'),
  },
  {
    kernelName: 'FusedConv2D',
    why: 'one oneDNN convolution with the bias and the activation as post-ops (inference and frozen layers)',
    make: makeConv('FusedConv2D'),
  },
  {
    kernelName: 'Conv2DBackpropInput',
    why: "oneDNN's backward-data convolution (the stock kernel is a scalar loop)",
    make: (addon, stock) => {
      const stockKernel = fallback(stock, 'Conv2DBackpropInput');
      return (args) => {
        const { dy, filter } = args.inputs;
        const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
        const dyv = floats(args.backend, dy);
        const wv = floats(args.backend, filter);
        const info = tf.backend_util.computeConv2DInfo(
          a.inputShape, filter!.shape as Shape4, a.strides, 1, a.pad, a.dimRoundingMode, false, channelsLast(a.dataFormat),
        );
        const params = convParams(info);
        // tfjs's conv gradient drops the forward's rounding mode, so dy can disagree with the attributes.
        const consistent = tf.util.arraysEqual(dy!.shape, info.outShape) && filter!.shape[2] === info.inChannels;
        if (!dyv || !wv || !params || !consistent) return callStock(stockKernel, args);
        const dx = alloc(args.backend, size(a.inputShape));
        addon.conv2dBackwardData(dyv, wv, dx, params);
        return output(args.backend, [...a.inputShape], dx);
      };
    },
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    why: "oneDNN's backward-weights convolution, written back as [kh, kw, in, out]",
    make: (addon, stock) => {
      const stockKernel = fallback(stock, 'Conv2DBackpropFilter');
      return (args) => {
        const { x, dy } = args.inputs;
        const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
        const xv = floats(args.backend, x);
        const dyv = floats(args.backend, dy);
        const info = tf.backend_util.computeConv2DInfo(
          x!.shape as Shape4, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, channelsLast(a.dataFormat),
        );
        const params = convParams(info);
        const consistent = tf.util.arraysEqual(dy!.shape, info.outShape);
        if (!xv || !dyv || !params || !consistent) return callStock(stockKernel, args);
        const dw = alloc(args.backend, size(a.filterShape));
        addon.conv2dBackwardFilter(xv, dyv, dw, params);
        return output(args.backend, [...a.filterShape], dw);
      };
    },
  },
];
