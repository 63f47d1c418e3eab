import { describe, expect, it } from 'vitest';
import { decodeToFloat32, ochwToHwco, permute, transpose2d } from './source.ts';

const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer);

describe('decodeToFloat32', () => {
  it('F16: normal, negative, largest, smallest subnormal, zero, infinities and NaN', () => {
    const out = decodeToFloat32(u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x7c00, 0xfc00, 0x7e00, 0x3555), 'F16', 9, 'x');
    expect(Array.from(out.subarray(0, 7))).toEqual([1, -2, 65504, 2 ** -24, 0, Infinity, -Infinity]);
    expect(out[7]).toBeNaN();
    expect(out[8]).toBeCloseTo(1 / 3, 3);
  });

  it('BF16: the high half of a float32', () => {
    expect(Array.from(decodeToFloat32(u16(0x3f80, 0xc0a0, 0x3e80), 'BF16', 3, 'x'))).toEqual([1, -5, 0.25]);
  });

  it('F32 from an unaligned slice, and F64', () => {
    const bytes = new Uint8Array(9);
    new DataView(bytes.buffer).setFloat32(1, 1.5, true);
    new DataView(bytes.buffer).setFloat32(5, -3, true);
    expect(Array.from(decodeToFloat32(bytes.subarray(1), 'F32', 2, 'x'))).toEqual([1.5, -3]);
    expect(Array.from(decodeToFloat32(new Uint8Array(new Float64Array([0.5, 2]).buffer), 'F64', 2, 'x'))).toEqual([0.5, 2]);
  });

  it('too little data names where', () => {
    expect(() => decodeToFloat32(new Uint8Array(6), 'F32', 2, 'w.safetensors: k')).toThrow('w.safetensors: k: data holds 6 bytes, 2 x F32 needs 8');
  });
});

describe('permute', () => {
  it('OIHW -> HWIO moves each element where numpy.transpose(w, (2, 3, 1, 0)) puts it', () => {
    const [o, i, h, w] = [2, 3, 2, 2];
    const data = Float32Array.from({ length: o * i * h * w }, (_, k) => k);
    const out = permute(data, [o, i, h, w], [2, 3, 1, 0]);
    for (let a = 0; a < o; a++)
      for (let b = 0; b < i; b++)
        for (let c = 0; c < h; c++)
          for (let d = 0; d < w; d++) expect(out[((c * w + d) * i + b) * o + a]).toBe(data[((a * i + b) * h + c) * w + d]);
  });

  it('2D transpose and rank 1', () => {
    expect(Array.from(permute(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(permute(Float32Array.from([1, 2]), [2], [0]))).toEqual([1, 2]);
  });
});

describe('the tiled conversions used by the loader equal the plain permute', () => {
  it('transpose2d over tile edges (70x130) and ochwToHwco for conv (O=5, C=3, 3x3) and flatten (O=70, C=9, 2x3)', () => {
    const seq = (n: number) => Float32Array.from({ length: n }, (_, k) => k);
    expect(Array.from(transpose2d(seq(70 * 130), 70, 130))).toEqual(Array.from(permute(seq(70 * 130), [70, 130], [1, 0])));
    for (const [o, c, h, w] of [[5, 3, 3, 3], [70, 9, 2, 3], [4, 1, 3, 3], [6, 8, 1, 1]] as [number, number, number, number][]) {
      const d = seq(o * c * h * w);
      expect(Array.from(ochwToHwco(d, o, c, h, w))).toEqual(Array.from(permute(d, [o, c, h, w], [2, 3, 1, 0])));
    }
  });
});
