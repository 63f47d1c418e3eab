import * as tf from '@tensorflow/tfjs';
import { asTensor } from './tensor-args.ts';

/**
 * wasm's BatchMatMul reaches XNNPACK only when neither side is transposed; dense-layer gradients
 * (dW = x^T dy, dx = dy W^T) ask for a transpose and fall into a scalar loop. Transposing the operand
 * explicitly (wasm's Transpose is a fast copy) and calling the stock kernel without transposes is much
 * faster than the loop, and exactly the same arithmetic.
 */
export function makeBatchMatMulWithoutTransposes(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return stock(args);
    // Swap the last two axes, keep the batch axes.
    const swapLast = (t: tf.Tensor) => {
      const perm = [...t.shape.keys()];
      perm.splice(-2, 2, t.rank - 1, t.rank - 2);
      return tf.transpose(t, perm);
    };
    const a = asTensor(args.inputs.a);
    const b = asTensor(args.inputs.b);
    const aT = attrs.transposeA ? swapLast(a) : a;
    const bT = attrs.transposeB ? swapLast(b) : b;
    try {
      return stock({ ...args, inputs: { a: aT, b: bT }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      if (aT !== a) aT.dispose();
      if (bT !== b) bT.dispose();
    }
  };
}
