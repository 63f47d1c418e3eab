/**
 * The compact wire form of /api/metrics (`encoding=compact`): the server encodes, `decodeCompactSeries` restores
 * (for JSON clients; the page itself now asks for `encoding=binary`, see binary-series.ts, which keeps values exact
 * and costs less to make and read). Why: the compare call carries 40,000 points; full-precision doubles and 13-digit timestamps were most of its
 * 1.6 MB. Values come from float32 tensors, so float32 precision loses nothing the run produced; integer
 * timestamps are sent as `timestampStart` plus the difference to the previous point (`timestampDelta`), integer
 * steps and epochs as arithmetic runs (`stepRuns`, `epochRuns`); both expand back exactly. Non-finite values stay `null` in the columns and are named in `nonFinite`, as in the full form.
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

/**
 * `{ start, delta }` (delta: difference to the previous value, 0 first) when every value is a safe integer, so adding
 * back is exact; else undefined (the column is then sent as it is).
 */
export function integerDeltas(column: readonly number[]): { start: number; delta: number[] } | undefined {
  if (column.length === 0) return undefined;
  const delta = new Array<number>(column.length);
  let previous = column[0];
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (!Number.isSafeInteger(v)) return undefined;
    delta[i] = v - previous;
    previous = v;
  }
  return { start: column[0], delta };
}

/** Columns the compact form may send as `<name>Start` + `<name>Delta` (irregular by nature). */
export const DELTA_COLUMNS = ['timestamp'] as const;
/** Columns the compact form may send as `<name>Runs` (regular by nature: steps every N, an epoch's points). */
export const RUN_COLUMNS = ['step', 'epoch'] as const;

/**
 * Arithmetic runs `[start, stride, count, start, stride, count, …]` of an integer column (steps 1..1000 are
 * `[1, 1, 1000]`; ten epochs of 100 points are ten runs of stride 0), or undefined when some value is not a safe
 * integer (null epochs) or the runs would not be shorter than the column.
 */
export function arithmeticRuns(column: readonly (number | null)[]): number[] | undefined {
  const runs: number[] = [];
  for (const v of column) if (!Number.isSafeInteger(v)) return undefined;
  const values = column as readonly number[];
  let i = 0;
  while (i < values.length) {
    const stride = i + 1 < values.length ? values[i + 1] - values[i] : 0;
    let j = i + 1;
    while (j < values.length && values[j] - values[j - 1] === stride) j++;
    runs.push(values[i], stride, j - i);
    if (runs.length >= values.length) return undefined;
    i = j;
  }
  return runs;
}

/** A series as the server sends it in either encoding. */
export interface WireSeries {
  step?: number[];
  stepRuns?: number[];
  epoch?: (number | null)[];
  epochRuns?: number[];
  timestamp?: number[];
  timestampStart?: number;
  timestampDelta?: number[];
}

/** Restores `step`, `epoch` and `timestamp` of a compact series (in place; columns already sent in full are left as they are). */
export function decodeCompactSeries<T extends WireSeries>(series: T): T & { step: number[]; timestamp: number[] } {
  const wire = series as unknown as Record<string, unknown>;
  for (const name of DELTA_COLUMNS) {
    if (wire[name] !== undefined) continue;
    const delta = (wire[`${name}Delta`] as number[] | undefined) ?? [];
    const column = new Array<number>(delta.length);
    let v = (wire[`${name}Start`] as number | undefined) ?? 0;
    for (let i = 0; i < delta.length; i++) {
      v += delta[i];
      column[i] = v;
    }
    wire[name] = column;
    delete wire[`${name}Start`];
    delete wire[`${name}Delta`];
  }
  for (const name of RUN_COLUMNS) {
    const runs = wire[`${name}Runs`] as number[] | undefined;
    if (wire[name] !== undefined || runs === undefined) continue;
    const column: number[] = [];
    for (let r = 0; r + 2 < runs.length; r += 3) {
      const [start, stride, count] = [runs[r], runs[r + 1], runs[r + 2]];
      for (let k = 0; k < count; k++) column.push(start + k * stride);
    }
    wire[name] = column;
    delete wire[`${name}Runs`];
  }
  return series as T & { step: number[]; timestamp: number[] };
}
