/**
 * Layer ops as tfjs-layers calls them while training, each as one native pass on `native`.
 *
 * 1. Conv and dense layers with a bias and ReLU as one primitive.
 * tfjs-layers calls tf.fused.conv2d / tf.fused.matMul with the layer's bias and activation, and tfjs fuses
 * them only when no gradient is being recorded (its `shouldFuse`): in training a conv layer runs Conv2D,
 * Add and Relu, three passes over the output, and the tape keeps two activation-sized tensors per layer
 * (Add's output for the ReLU gradient, Relu's for the next layer). Here, while `native` is active and a
 * gradient is being recorded, a ReLU layer with a bias runs as one FusedConv2D / _FusedMatMul (oneDNN
 * post-ops) with its gradient written out below: the ReLU mask from the output (y > 0 exactly where the
 * pre-activation is > 0), then the native gradient kernels. Everything else goes to tfjs's own op.
 *
 * 2. Batch-norm statistics: tf.moments over the leading axes as one kernel (mean and variance in two
 * passes), with a one-pass gradient; tfjs runs Mean, Sub, Square, Mean forward and about ten elementwise
 * ops over the whole activation backward.
 *
 * This replaces tfjs-core's `fused.conv2d`, `fused.matMul` and `moments` (tfjs-layers looks them up on
 * tfjs-core's exports at each call), once, from registerNativeBackend; off `native`, and for the cases not
 * covered, they call tfjs's originals.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { NATIVE_BACKEND } from './backend-name.ts';
import { MOMENTS_GRAD_KERNEL, MOMENTS_KERNEL } from './kernels/batchnorm.ts';
import { RELU_GRAD_KERNEL } from './kernels/eltwise.ts';
import { MIN_NATIVE_ELEMENTS } from './kernels/tensors.ts';

type ConvArgs = Parameters<typeof tf.fused.conv2d>[0];
type MatMulArgs = Parameters<typeof tf.fused.matMul>[0];

const run = (kernelName: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

/** Under gradient recording on native, with a ReLU and a tensor bias: the cases this module takes over. */
function takeOver(activation: string | undefined, bias: unknown, tensors: unknown[]): boolean {
  return (
    activation === 'relu' &&
    tf.getBackend() === NATIVE_BACKEND &&
    (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0 &&
    bias instanceof tf.Tensor &&
    tensors.every((t) => t instanceof tf.Tensor && t.dtype === 'float32')
  );
}

type Forward = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** tf.customGrad over three tensor inputs, typed. */
const customGrad3 = (forward: Forward) =>
  tf.customGrad(((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, save: tf.GradSaveFunc) => forward(a, b, c, save)) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor;

/** dy where y > 0: the ReLU gradient read off the output. */
const reluMask = (dy: tf.Tensor, y: tf.Tensor) => run(RELU_GRAD_KERNEL, { dy, x: y });

function fusedConvRelu(args: ConvArgs & { x: tf.Tensor4D; filter: tf.Tensor4D; bias: tf.Tensor }): tf.Tensor4D {
  const { strides, pad, dimRoundingMode } = args;
  const convAttrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode };
  const op = customGrad3((x, filter, bias, save) => {
    const y = run('FusedConv2D', { x, filter, bias }, { ...convAttrs, dilations: [1, 1], activation: 'relu' });
    save([x, filter, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [sx, sf, sy]: tf.Tensor[]) => {
        const g = reluMask(dy, sy!);
        return [
          run('Conv2DBackpropInput', { dy: g, filter: sf! }, { ...convAttrs, inputShape: sx!.shape }),
          run('Conv2DBackpropFilter', { x: sx!, dy: g }, { ...convAttrs, filterShape: sf!.shape }),
          tf.reshape(tf.sum(g, [0, 1, 2]), bias.shape),
        ];
      },
    };
  });
  return op(args.x, args.filter, args.bias) as tf.Tensor4D;
}

function fusedMatMulRelu(args: MatMulArgs & { a: tf.Tensor2D; b: tf.Tensor2D; bias: tf.Tensor }): tf.Tensor2D {
  const ta = args.transposeA ?? false;
  const tb = args.transposeB ?? false;
  const op = customGrad3((a, b, bias, save) => {
    const y = run('_FusedMatMul', { a, b, bias }, { transposeA: ta, transposeB: tb, activation: 'relu' });
    save([a, b, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [sa, sb, sy]: tf.Tensor[]) => {
        const g = reluMask(dy, sy!);
        const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) => run('BatchMatMul', { a: x, b: y }, { transposeA: tx, transposeB: ty });
        // tfjs's matMul gradient, case by case (a·b with either side transposed).
        const da = ta ? (tb ? mm(sb!, g, true, true) : mm(sb!, g, false, true)) : tb ? mm(g, sb!, false, false) : mm(g, sb!, false, true);
        const db = ta ? (tb ? mm(g, sa!, true, true) : mm(sa!, g, false, false)) : tb ? mm(g, sa!, true, false) : mm(sa!, g, true, false);
        return [da, db, tf.reshape(tf.sum(g, 0), bias.shape)];
      },
    };
  });
  return op(args.a, args.b, args.bias) as tf.Tensor2D;
}

/** tf.moments(x, every axis but the last): mean and variance from one kernel, sliced from its [2, C] output. */
function nativeMoments(x: tf.Tensor, keepDims: boolean): { mean: tf.Tensor; variance: tf.Tensor } {
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const stats = run(MOMENTS_KERNEL, { x: input });
    save([input, stats]);
    return { value: stats, gradFunc: (dy: tf.Tensor, [sx, sstats]: tf.Tensor[]) => run(MOMENTS_GRAD_KERNEL, { x: sx!, stats: sstats!, dy }) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (input: tf.Tensor) => tf.Tensor;
  const stats = op(x);
  const channels = x.shape.at(-1)!;
  const shape = keepDims ? [...new Array<number>(x.rank - 1).fill(1), channels] : [channels];
  const [mean, variance] = tf.split(stats, 2).map((t) => tf.reshape(t, shape));
  stats.dispose();
  return { mean: mean!, variance: variance! };
}

let installed = false;

/** Replaces tfjs-core's fused.conv2d, fused.matMul and moments with the versions above (once; see the file comment). */
export function installTrainingOps(): void {
  if (installed) return;
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d; matMul: typeof tf.fused.matMul };
  const conv2d = fused.conv2d;
  const matMul = fused.matMul;
  fused.conv2d = ((args: ConvArgs) => {
    const dilations = args.dilations ?? 1;
    const plain = (args.dataFormat ?? 'NHWC') === 'NHWC' && [dilations].flat().every((d) => d === 1);
    const bias = args.bias as tf.Tensor | undefined;
    const x = args.x as tf.Tensor;
    if (plain && x instanceof tf.Tensor && x.rank === 4 && takeOver(args.activation, bias, [x, args.filter, bias]) && bias!.size === bias!.shape.at(-1)) {
      return fusedConvRelu(args as ConvArgs & { x: tf.Tensor4D; filter: tf.Tensor4D; bias: tf.Tensor });
    }
    return conv2d(args);
  }) as typeof tf.fused.conv2d;
  const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as { moments: typeof tf.moments };
  const moments = core.moments;
  core.moments = ((x: tf.Tensor | tf.TensorLike, axis?: number | number[], keepDims = false) => {
    const t = x as tf.Tensor;
    if (t instanceof tf.Tensor && t.dtype === 'float32' && t.rank >= 2 && t.size >= MIN_NATIVE_ELEMENTS && tf.getBackend() === NATIVE_BACKEND) {
      const axes = tf.util.parseAxisParam(axis ?? null!, t.shape).sort((a, b) => a - b);
      if (axes.length === t.rank - 1 && axes.every((a, i) => a === i)) return nativeMoments(t, keepDims);
    }
    return moments(x, axis, keepDims);
  }) as typeof tf.moments;
  fused.matMul = (args: MatMulArgs) => {
    const a = args.a as tf.Tensor;
    const b = args.b as tf.Tensor;
    const bias = args.bias as tf.Tensor | undefined;
    if (a instanceof tf.Tensor && b instanceof tf.Tensor && a.rank === 2 && b.rank === 2 && takeOver(args.activation, bias, [a, b, bias]) && bias!.size === bias!.shape.at(-1)) {
      return fusedMatMulRelu(args as MatMulArgs & { a: tf.Tensor2D; b: tf.Tensor2D; bias: tf.Tensor });
    }
    return matMul(args);
  };
  installed = true;
}
