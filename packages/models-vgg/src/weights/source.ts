/**
 * What every weights reader produces: named tensors whose data is decoded to float32 only when read (a full
 * VGG file is over 500 MB; reading only what the model needs keeps a second copy out of memory).
 */

export interface SourceTensor {
  /** The key as written in the file ('features.0.weight', 'block1_conv1/kernel'). */
  key: string;
  shape: number[];
  /** The file's dtype name ('F32', 'F16', 'BF16', 'float32', …), for messages. */
  dtype: string;
  /** Decodes to float32, row-major in `shape`. Throws, naming file and key, for non-float dtypes. */
  read(): Float32Array;
}

export interface WeightsSource {
  file: string;
  /** 'safetensors' | 'pytorch' | 'tfjs'. */
  format: string;
  tensors: Map<string, SourceTensor>;
  /** Free-form string metadata the file carries (safetensors' `__metadata__`). */
  metadata?: Record<string, string>;
}

export class WeightsFileError extends Error {
  override name = 'WeightsFileError';
}

const f16Table = (() => {
  // Every half-precision bit pattern decoded once (65536 floats): faster than branching per element.
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

/** Copies `bytes` (which need not be aligned) into a fresh, aligned buffer. */
function aligned(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Little-endian raw data of one dtype, decoded to float32. */
export function decodeToFloat32(bytes: Uint8Array, dtype: string, count: number, where: string): Float32Array {
  const need = (size: number) => {
    if (bytes.byteLength < count * size) {
      throw new WeightsFileError(`${where}: data holds ${bytes.byteLength} bytes, ${count} x ${dtype} needs ${count * size}`);
    }
    return aligned(bytes.subarray(0, count * size));
  };
  // Aligned float32 data is used in place (a view of the file's bytes; readers never write to it).
  if (dtype === 'F32' && bytes.byteOffset % 4 === 0 && bytes.byteLength >= count * 4) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  }
  switch (dtype) {
    case 'F32':
      return new Float32Array(need(4));
    case 'F64':
      return Float32Array.from(new Float64Array(need(8)));
    case 'F16': {
      const h = new Uint16Array(need(2));
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16Table[h[i]!]!;
      return out;
    }
    case 'BF16': {
      const h = new Uint16Array(need(2));
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = h[i]! << 16;
      return new Float32Array(out.buffer);
    }
    default:
      throw new WeightsFileError(`${where}: dtype ${dtype} is not a floating-point type (F32, F16, BF16, F64)`);
  }
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major transpose of `data` (shape `shape`) by `perm`, as numpy's transpose. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d]!;
  }
  const strideOfOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const lastStride = strideOfOut[last]!;
  const lastSize = outShape[last]!;
  let o = 0;
  while (o < out.length) {
    let base = 0;
    for (let d = 0; d < last; d++) base += idx[d]! * strideOfOut[d]!;
    for (let k = 0; k < lastSize; k++) out[o++] = data[base + k * lastStride]!;
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
    if (last === 0) break;
  }
  return out;
}

/**
 * [rows, cols] -> [cols, rows] in 64x64 tiles, so reads and writes both stay in cache (fc1 is 102M values).
 * `targetRow[j]`, when given, is the output row of input column j (a transpose fused with a row reorder).
 */
export function transpose2d(data: Float32Array, rows: number, cols: number, targetRow?: Int32Array): Float32Array {
  const out = new Float32Array(rows * cols);
  const T = 64;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(c0 + T, cols);
      for (let c = c0; c < c1; c++) {
        const outBase = (targetRow ? targetRow[c]! : c) * rows;
        for (let r = r0; r < r1; r++) out[outBase + r] = data[r * cols + c]!;
      }
    }
  }
  return out;
}

/**
 * [O, C, H, W] -> [H, W, C, O] (a PyTorch conv weight, or a Linear after a channel-first flatten, to tfjs):
 * one tiled transpose of [O, C*H*W] whose column (c, p) lands on output row (p, c).
 */
export function ochwToHwco(data: Float32Array, o: number, c: number, h: number, w: number): Float32Array {
  const hw = h * w;
  const targetRow = new Int32Array(c * hw);
  for (let ci = 0; ci < c; ci++) for (let p = 0; p < hw; p++) targetRow[ci * hw + p] = p * c + ci;
  return transpose2d(data, o, c * hw, targetRow);
}
