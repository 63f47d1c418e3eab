/**
 * Elementwise kernels on oneDNN (src/native/eltwise.cc): the unary functions a training step and its loss
 * use, the ReLU gradient in one pass, and the binary arithmetic with broadcasting (bias adds, batch-norm
 * and moment arithmetic). Tensors under MIN_NATIVE_ELEMENTS stay on the `cpu` kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.ts';
import { alloc, callStock, fallback, floats, MIN_NATIVE_ELEMENTS, mustFloats, output, size, type KernelArgs, type NativeKernel, type NativeKernelFunc } from './tensors.ts';

/** Kernel name -> the addon's unary code (src/native/eltwise.cc: enum Unary). */
const UNARY_CODES: Readonly<Record<string, number>> = {
  Relu: 0,
  Square: 1,
  Sqrt: 2,
  Exp: 3,
  Log: 4,
  Neg: 5,
  Abs: 6,
  Sigmoid: 7,
  Tanh: 8,
  Rsqrt: 9,
  Elu: 10,
  Relu6: 11,
  LeakyRelu: 12,
};

/** Kernel name -> [the addon's binary code (enum BinaryCode), commutative]. */
const BINARY_CODES: Readonly<Record<string, readonly [number, boolean]>> = {
  Add: [0, true],
  Sub: [1, false],
  Multiply: [2, true],
  RealDiv: [3, false],
  Maximum: [4, true],
  Minimum: [5, true],
  SquaredDifference: [6, true],
};

function makeUnary(kernelName: string, code: number): NativeKernel['make'] {
  return (addon, stock) => {
    const stockKernel = fallback(stock, kernelName);
    return (args: KernelArgs) => {
      const x = args.inputs.x!;
      const xv = floats(args.backend, x);
      if (!xv || xv.length < MIN_NATIVE_ELEMENTS) return callStock(stockKernel, args);
      const y = alloc(args.backend, xv.length);
      addon.unary(code, xv, y, (args.attrs?.alpha as number | undefined) ?? 0);
      return output(args.backend, [...x.shape], y);
    };
  };
}

/**
 * How a broadcast binary op maps onto oneDNN, which broadcasts only its second operand: the operand of the
 * output's shape goes first (swapped for a commutative op), the other padded to the same rank.
 */
export function planBinary(aShape: number[], bShape: number[], commutative: boolean): { swap: boolean; full: number[]; other: number[] } | undefined {
  let out: number[];
  try {
    out = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  } catch {
    return undefined;
  }
  const padded = (shape: number[]) => [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  const pa = padded(aShape);
  const pb = padded(bShape);
  if (tf.util.arraysEqual(pa, out)) return { swap: false, full: out, other: pb };
  if (commutative && tf.util.arraysEqual(pb, out)) return { swap: true, full: out, other: pa };
  return undefined;
}

function makeBinary(kernelName: string, code: number, commutative: boolean): NativeKernel['make'] {
  return (addon, stock) => {
    const stockKernel = fallback(stock, kernelName);
    return (args: KernelArgs) => {
      const { a, b } = args.inputs;
      const av = floats(args.backend, a);
      const bv = floats(args.backend, b);
      const plan = av && bv ? planBinary(a!.shape, b!.shape, commutative) : undefined;
      if (!plan || size(plan.full) < MIN_NATIVE_ELEMENTS) return callStock(stockKernel, args);
      const c = alloc(args.backend, size(plan.full));
      const [first, second] = plan.swap ? [bv!, av!] : [av!, bv!];
      addon.binary(code, first, second, c, Int32Array.from(plan.full), Int32Array.from(plan.other));
      return output(args.backend, plan.full, c);
    };
  };
}

/** The ReLU gradient in one pass: dx = dy where x > 0, else 0 (tfjs's own is dy · step(x): two passes). */
function reluGrad(addon: NativeAddon): NativeKernelFunc {
  return (args: KernelArgs) => {
    const { dy, x } = args.inputs;
    const dx = alloc(args.backend, size(dy!.shape));
    addon.reluGrad(mustFloats(args.backend, dy!), mustFloats(args.backend, x!), dx);
    return output(args.backend, [...dy!.shape], dx);
  };
}

/** vgglab's own kernel behind the Relu gradient on `native` (src/gradients.ts). */
export const RELU_GRAD_KERNEL = 'VgglabReluGrad';

export const ELTWISE_KERNELS: readonly NativeKernel[] = [
  ...Object.entries(UNARY_CODES).map(([kernelName, code]) => ({
    kernelName,
    why: "oneDNN's eltwise (vectorised, multi-threaded)",
    make: makeUnary(kernelName, code),
  })),
  ...Object.entries(BINARY_CODES).map(([kernelName, [code, commutative]]) => ({
    kernelName,
    why: "oneDNN's binary, the smaller operand broadcast (bias adds, batch-norm arithmetic)",
    make: makeBinary(kernelName, code, commutative),
  })),
  {
    kernelName: RELU_GRAD_KERNEL,
    why: 'the ReLU gradient as one oneDNN eltwise backward pass instead of Step and Multiply',
    make: (addon) => reluGrad(addon),
  },
];
