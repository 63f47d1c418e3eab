/**
 * MaxPool, AvgPool and their gradients on NHWC data (src/native/pooling.cc). The max gradient routes each
 * dy value to the first maximum of its window, as the `cpu` kernel does, so ties (zeros after ReLU) go to
 * the same element on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { oneDnnPads } from './conv.ts';
import { alloc, callStock, fallback, floats, output, size, type KernelArgs, type NativeKernel } from './tensors.ts';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

/** [n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, pb, pr] for src/native/pooling.cc, or undefined. */
function poolParams(info: tf.backend_util.Conv2DInfo): Int32Array | undefined {
  const pads = oneDnnPads(info);
  if (!pads) return undefined;
  return Int32Array.of(
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.effectiveFilterHeight, info.effectiveFilterWidth, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, ...pads,
  );
}

function poolInfo(shape: readonly number[], attrs: tf.NamedAttrMap | undefined): tf.backend_util.Conv2DInfo {
  const a = attrs as unknown as PoolAttrs;
  return tf.backend_util.computePool2DInfo(shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
}

/** MaxPool / AvgPool: x -> y through the addon function `run`. */
function forward(kernelName: string, run: (addon: Parameters<NativeKernel['make']>[0]) => (x: Float32Array, y: Float32Array, p: Int32Array) => void): NativeKernel['make'] {
  return (addon, stock) => {
    const stockKernel = fallback(stock, kernelName);
    const pool = run(addon);
    return (args: KernelArgs) => {
      const x = args.inputs.x!;
      const xv = floats(args.backend, x);
      const info = poolInfo(x.shape, args.attrs);
      const params = poolParams(info);
      if (!xv || !params) return callStock(stockKernel, args);
      const y = alloc(args.backend, size(info.outShape));
      pool(xv, y, params);
      return output(args.backend, info.outShape, y);
    };
  };
}

export const POOL_KERNELS: readonly NativeKernel[] = [
  {
    kernelName: 'MaxPool',
    why: "oneDNN's pooling",
    make: forward('MaxPool', (addon) => addon.maxPool.bind(addon)),
  },
  {
    kernelName: 'AvgPool',
    why: "oneDNN's pooling (the mean over the window's elements inside the input, as tfjs)",
    make: forward('AvgPool', (addon) => addon.avgPool.bind(addon)),
  },
  {
    kernelName: 'MaxPoolGrad',
    why: "a multi-threaded C++ loop with the `cpu` kernel's tie rule (oneDNN's needs a workspace tfjs does not keep)",
    make: (addon, stock) => {
      const stockKernel = fallback(stock, 'MaxPoolGrad');
      return (args) => {
        const { dy, input } = args.inputs;
        const xv = floats(args.backend, input);
        const dyv = floats(args.backend, dy);
        const info = poolInfo(input!.shape, args.attrs);
        const params = poolParams(info);
        if (!xv || !dyv || !params || !tf.util.arraysEqual(dy!.shape, info.outShape)) return callStock(stockKernel, args);
        const dx = alloc(args.backend, xv.length);
        addon.maxPoolGrad(xv, dyv, dx, params);
        return output(args.backend, [...input!.shape], dx);
      };
    },
  },
  {
    kernelName: 'AvgPoolGrad',
    why: "oneDNN's pooling backward, dividing by the whole window as the `cpu` kernel does",
    make: (addon, stock) => {
      const stockKernel = fallback(stock, 'AvgPoolGrad');
      return (args) => {
        const { dy, input } = args.inputs;
        const dyv = floats(args.backend, dy);
        const info = poolInfo(input!.shape, args.attrs);
        const params = poolParams(info);
        if (!dyv || input!.dtype !== 'float32' || !params || !tf.util.arraysEqual(dy!.shape, info.outShape)) return callStock(stockKernel, args);
        const dx = alloc(args.backend, size(input!.shape));
        addon.avgPoolGrad(dyv, dx, params);
        return output(args.backend, [...input!.shape], dx);
      };
    },
  },
];
