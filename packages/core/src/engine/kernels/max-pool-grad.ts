import * as tf from '@tensorflow/tfjs';
import { asTensor, type Pair } from './tensor-args.ts';

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
export function maxPoolGradByLoop(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const a = args.attrs as unknown as MaxPoolGradAttrs;
  const x = asTensor<tf.Rank.R4>(args.inputs.input);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy);
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const xv = x.dataSync() as Float32Array;
  const dyv = dy.dataSync() as Float32Array;
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  const dx = new Float32Array(xv.length);
  const rowStride = inWidth * c;
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
        const dyRow = dyBase + (oy * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let yy = yMin; yy < yMax; yy++) {
            let at = xBase + yy * rowStride + xMin * c + ch;
            for (let xx = xMin; xx < xMax; xx++, at += c) {
              if (xv[at] > best) {
                best = xv[at];
                bestAt = at;
              }
            }
          }
          if (bestAt >= 0) dx[bestAt] += dyv[dyRow + ch];
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape as [number, number, number, number]);
}
