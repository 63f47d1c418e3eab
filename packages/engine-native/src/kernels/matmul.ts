/**
 * BatchMatMul and _FusedMatMul on oneDNN's matmul (src/native/matmul.ts): transposed operands are read
 * through strides, a batch of 1 on either side is broadcast, the fused bias (one value per column) and
 * activation run inside the primitive. Other broadcasts, biases and activations fall back to `cpu`.
 */
import * as tf from '@tensorflow/tfjs';
import { activationCode } from './activation.ts';
import { alloc, callStock, fallback, floats, output, size, type KernelArgs, type NativeKernel } from './tensors.ts';

interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

interface MatmulPlan {
  params: Int32Array;
  outShape: number[];
}

/** The addon's parameters [batchA, batchB, m, n, k, tA, tB, hasBias, activation] and the output shape. */
export function planMatmul(aShape: number[], bShape: number[], attrs: MatmulAttrs, hasBias: boolean, activation: number): MatmulPlan | undefined {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) return undefined;
  const m = attrs.transposeA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const k = attrs.transposeA ? aShape[ra - 2]! : aShape[ra - 1]!;
  const kb = attrs.transposeB ? bShape[rb - 1]! : bShape[rb - 2]!;
  const n = attrs.transposeB ? bShape[rb - 2]! : bShape[rb - 1]!;
  if (k !== kb) return undefined;
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  // oneDNN broadcasts a whole batch of one; other broadcasts of the batch dimensions stay on `cpu`.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  if (size(outer) !== Math.max(batchA, batchB)) return undefined;
  const params = Int32Array.of(batchA, batchB, m, n, k, attrs.transposeA ? 1 : 0, attrs.transposeB ? 1 : 0, hasBias ? 1 : 0, activation);
  return { params, outShape: [...outer, m, n] };
}

function makeMatmul(kernelName: string): NativeKernel['make'] {
  return (addon, stock) => {
    const stockKernel = fallback(stock, kernelName);
    return (args: KernelArgs) => {
      const { a, b, bias } = args.inputs;
      const attrs = args.attrs as unknown as MatmulAttrs;
      const av = floats(args.backend, a);
      const bv = floats(args.backend, b);
      const biasv = bias ? floats(args.backend, bias) : null;
      const activation = activationCode(attrs.activation ?? 'linear');
      const plan = activation === undefined ? undefined : planMatmul(a!.shape, b!.shape, attrs, bias !== undefined, activation);
      // A bias adds one value per output column: [n], [1, n], [1, 1, n], ...
      const biasFits = !bias || (biasv !== undefined && plan !== undefined && bias.shape[bias.shape.length - 1] === plan.outShape.at(-1) && size(bias.shape) === plan.outShape.at(-1));
      if (!av || !bv || !plan || !biasFits) return callStock(stockKernel, args);
      const c = alloc(args.backend, size(plan.outShape));
      addon.matmul(av, bv, biasv ?? null, c, plan.params, attrs.leakyreluAlpha ?? 0.2);
      return output(args.backend, plan.outShape, c);
    };
  };
}

export const MATMUL_KERNELS: readonly NativeKernel[] = [
  {
    kernelName: 'BatchMatMul',
    why: "oneDNN's matmul (JIT GEMM); transposed operands through strides, without copies",
    make: makeMatmul('BatchMatMul'),
  },
  {
    kernelName: '_FusedMatMul',
    why: "oneDNN's matmul with the bias and the activation fused in (inference)",
    make: makeMatmul('_FusedMatMul'),
  },
];
