/**
 * The compact wire form of /api/metrics (`encoding=compact`), shared by the server (encode) and the page (decode).
 * Why: the compare call carries 40,000 points; full-precision doubles and 13-digit timestamps were most of its
 * 1.6 MB. Values come from float32 tensors, so float32 precision loses nothing the run produced; integer
 * timestamps are sent as `timestampStart` plus the difference to the previous point (`timestampDelta`), which
 * adds back exactly. Non-finite values stay `null` in the columns and are named in `nonFinite`, as in the full form.
 */

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles up to 1e22

/**
 * A short decimal (8 significant digits, 9 when 8 do not suffice) that reads back as the same float32 as `v`:
 * what the store's float32-born values need. `v` itself when float32 cannot hold it.
 */
export function float32Shortest(v: number): number {
  const f = Math.fround(v);
  // NaN/±Inf pass through (JSON writes null; `nonFinite` names them); a finite double beyond float32's range or
  // one that float32 flushes to 0 keeps its own value rather than turning into ±Infinity or 0.
  if (f - f !== 0 || (f === 0 && v !== 0)) return v;
  const magnitude = Math.abs(f);
  if (magnitude >= 1e-15 && magnitude < 1e8) {
    // Rounding by arithmetic is ~2x faster than toPrecision; the read-back check catches its rare misses.
    const scale = POWERS_OF_TEN[7 - Math.floor(Math.log10(magnitude))];
    const rounded = Math.round(f * scale) / scale;
    if (Math.fround(rounded) === f) return rounded;
  }
  const eight = +f.toPrecision(8);
  return Math.fround(eight) === f ? eight : +f.toPrecision(9);
}

/** Values at float32 precision (a new array; NaN/±Inf kept). */
export function float32Column(values: readonly (number | null)[]): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null ? null : float32Shortest(v);
  }
  return out;
}

/** `{ timestampStart, timestampDelta }` when every timestamp is a safe integer (exact when added back), else undefined. */
export function timestampDeltas(timestamps: readonly number[]): { timestampStart: number; timestampDelta: number[] } | undefined {
  if (timestamps.length === 0) return undefined;
  const delta = new Array<number>(timestamps.length);
  let previous = timestamps[0];
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (!Number.isSafeInteger(t)) return undefined;
    delta[i] = t - previous;
    previous = t;
  }
  return { timestampStart: timestamps[0], timestampDelta: delta };
}

/** A series as the server sends it in either encoding. */
export interface WireSeries {
  timestamp?: number[];
  timestampStart?: number;
  timestampDelta?: number[];
}

/** Restores `timestamp` of a compact series (in place; a series already in the full form is left as it is). */
export function decodeTimestamps<T extends WireSeries>(series: T): T & { timestamp: number[] } {
  if (series.timestamp === undefined) {
    const delta = series.timestampDelta ?? [];
    const timestamp = new Array<number>(delta.length);
    let t = series.timestampStart ?? 0;
    for (let i = 0; i < delta.length; i++) {
      t += delta[i];
      timestamp[i] = t;
    }
    series.timestamp = timestamp;
    delete series.timestampStart;
    delete series.timestampDelta;
  }
  return series as T & { timestamp: number[] };
}
