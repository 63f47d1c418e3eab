import * as tf from '@tensorflow/tfjs';

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  return out;
}

/** A fixed conv forward + backward and a matmul; the first 64 values of each result. */
export function threadsWorkload(): Record<string, number[]> {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(4 * 24 * 24 * 16, 1), [4, 24, 24, 16]);
    const w = tf.tensor4d(values(3 * 3 * 16 * 32, 2), [3, 3, 16, 32]);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      tf.maxPool(tf.relu(tf.conv2d(a, b, 1, 'same')), 2, 2, 'valid').square().sum();
    const [gx, gw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
    const m = tf.matMul(tf.tensor2d(values(256 * 300, 3), [256, 300]), tf.tensor2d(values(300 * 200, 4), [300, 200]));
    return {
      forward: Array.from(tf.conv2d(x, w, 1, 'same').dataSync().slice(0, 64)),
      gx: Array.from(gx!.dataSync().slice(0, 64)),
      gw: Array.from(gw!.dataSync().slice(0, 64)),
      matmul: Array.from(m.dataSync().slice(0, 64)),
    };
  });
}
