import * as tf from '@tensorflow/tfjs';
import { wasmHeapViews, type Pair } from './tensor-args.ts';

interface MaxPoolGradAttrs {
  filterSize: number | Pair;
  strides: number | Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Max-pool gradient as one pass over the data: each dy value goes to the FIRST maximum of its window in
 * row-major order (strictly-greater scan from -Infinity), which is exactly the `cpu` backend's rule. The
 * stock wasm kernel is slower and, on ties, picks a different element (shared/notes/engine.md); ties are
 * common after ReLU (many zeros), so matching `cpu` keeps the backends interchangeable.
 */
export function maxPoolGradByLoop(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const a = args.attrs as unknown as MaxPoolGradAttrs;
  const x = args.inputs.input!;
  const dy = args.inputs.dy!;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  // wasm only: reads x and dy and writes dx in place in the wasm heap (dx starts zeroed below).
  const { output, outputView: dx, inputViews } = wasmHeapViews(args.backend, [x, dy], [...x.shape]);
  const [xv, dyv] = inputViews as [Float32Array, Float32Array];
  dx.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * c;
  // Per output position, scan the window in row-major order with all channels at once (contiguous reads):
  // a channel's best moves only on a strictly greater value, so the first maximum wins, as on `cpu`.
  const best = new Float32Array(c);
  const bestAt = new Int32Array(c);
  for (let n = 0; n < batchSize; n++) {
    const xBase = n * inHeight * rowStride;
    const dyBase = n * outHeight * outWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yMin = Math.max(0, y0);
      const yMax = Math.min(inHeight, y0 + fh);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xMin = Math.max(0, x0);
        const xMax = Math.min(inWidth, x0 + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let yy = yMin; yy < yMax; yy++) {
          for (let xx = xMin; xx < xMax; xx++) {
            const at = xBase + yy * rowStride + xx * c;
            for (let ch = 0; ch < c; ch++) {
              const v = xv[at + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                bestAt[ch] = at + ch;
              }
            }
          }
        }
        const dyAt = dyBase + (oy * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = bestAt[ch]!;
          if (at >= 0) dx[at] += dyv[dyAt + ch]!;
        }
      }
    }
  }
  return output;
}
