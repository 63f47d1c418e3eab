/**
 * The binary wire form of /api/metrics (`encoding=binary`), shared by the server (encode) and the page (decode).
 *
 * Why: the store reads series as float64 typed arrays (packed blocks); formatting 40,000 values as JSON numbers and
 * parsing them back cost more than reading them. Here the columns travel as bytes: values exactly as stored (float64,
 * NaN and ±Infinity included), integer columns (steps, epochs, timestamps) as an arithmetic sequence when they are
 * one, else as int32 differences when those fit, else float64.
 *
 * Layout (all little-endian):
 *   u32 H | H bytes of UTF-8 JSON header | zero padding to a multiple of 8 | data
 * header: `{ cursor, encoding: 'binary', series: [{ runId, key, totalPoints, downsampled, length, columns }] }`, where
 * `columns` maps step, epoch, timestamp, value (and min, max when downsampled) to one of
 *   `{ type: 'f64', offset }`            length float64 at data + offset (epoch: NaN = none)
 *   `{ type: 'linear', start, stride }`  start + i * stride
 *   `{ type: 'i32delta', start, offset }` length int32 at data + offset; column[0] = start + d[0], column[i] = column[i-1] + d[i]
 * Every offset is a multiple of 8 (so views need no copy).
 *
 * `decodeBinarySeries` returns exactly what the `full` encoding's JSON parses to: plain arrays, null for an epoch that
 * is not there and for non-finite values, which `nonFinite` names (index -> 'NaN' | 'Infinity' | '-Infinity').
 */

export type ColumnRef =
  | { type: 'f64'; offset: number }
  | { type: 'linear'; start: number; stride: number }
  | { type: 'i32delta'; start: number; offset: number };

export const BINARY_COLUMNS = ['step', 'epoch', 'timestamp', 'value', 'min', 'max'] as const;
export type BinaryColumnName = (typeof BINARY_COLUMNS)[number];

/** One series' header entry; offsets are relative to the series' own data while encoding, to the data section on the wire. */
export interface BinarySeriesMeta {
  runId: string;
  key: string;
  totalPoints: number;
  downsampled: boolean;
  length: number;
  columns: Partial<Record<BinaryColumnName, ColumnRef>>;
}

export interface BinarySeriesHeader {
  cursor: number;
  encoding: 'binary';
  series: BinarySeriesMeta[];
}

/** A series as the full JSON encoding carries it (and as the page's charts read it). */
export interface DecodedSeries {
  runId: string;
  key: string;
  totalPoints: number;
  downsampled: boolean;
  step: number[];
  epoch: (number | null)[];
  timestamp: number[];
  value: (number | null)[];
  min?: (number | null)[];
  max?: (number | null)[];
  nonFinite?: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkByteOrder(): void {
  if (!LITTLE_ENDIAN) throw new Error('encoding=binary is little-endian; this host is big-endian: ask for encoding=full');
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Columns that may be sent as integers; values, min and max always go as float64. */
const INTEGER_CANDIDATES: ReadonlySet<BinaryColumnName> = new Set(['step', 'epoch', 'timestamp']);

/** Column kinds for one series' columns; `bytes` holds the data of the f64/i32delta ones at their offsets. */
export function encodeSeriesColumns(
  columns: Partial<Record<BinaryColumnName, Float64Array>>,
): { columns: Partial<Record<BinaryColumnName, ColumnRef>>; bytes: Uint8Array } {
  checkByteOrder();
  const refs: Partial<Record<BinaryColumnName, ColumnRef>> = {};
  const parts: Uint8Array[] = [];
  let size = 0;
  const place = (bytes: Uint8Array): number => {
    const offset = size;
    parts.push(bytes);
    size += bytes.byteLength;
    const pad = (8 - (size % 8)) % 8;
    if (pad > 0) {
      parts.push(new Uint8Array(pad));
      size += pad;
    }
    return offset;
  };
  for (const name of BINARY_COLUMNS) {
    const column = columns[name];
    if (!column) continue;
    const integer = INTEGER_CANDIDATES.has(name) ? integerForm(column) : undefined;
    if (integer?.type === 'linear') {
      refs[name] = integer;
    } else if (integer) {
      refs[name] = { type: 'i32delta', start: integer.start, offset: place(new Uint8Array(integer.deltas.buffer)) };
    } else {
      refs[name] = { type: 'f64', offset: place(new Uint8Array(column.buffer, column.byteOffset, column.byteLength)) };
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return { columns: refs, bytes };
}

/** An arithmetic sequence, or int32 differences, when every value is a safe integer (adding back is then exact). */
function integerForm(
  column: Float64Array,
): { type: 'linear'; start: number; stride: number } | { type: 'i32delta'; start: number; deltas: Int32Array } | undefined {
  const n = column.length;
  if (n === 0) return { type: 'linear', start: 0, stride: 0 };
  const start = column[0]!;
  if (!Number.isSafeInteger(start)) return undefined;
  const stride = n > 1 ? column[1]! - start : 0;
  let linear = Number.isSafeInteger(stride);
  let fitsInt32 = true;
  let previous = start;
  for (let i = 1; i < n; i++) {
    const v = column[i]!;
    if (!Number.isSafeInteger(v)) return undefined;
    const d = v - previous;
    if (d !== stride) linear = false;
    if (d < INT32_MIN || d > INT32_MAX) fitsInt32 = false;
    previous = v;
  }
  if (linear && Number.isSafeInteger(start + stride * (n - 1))) return { type: 'linear', start, stride };
  if (!fitsInt32) return undefined;
  const deltas = new Int32Array(n);
  previous = start;
  for (let i = 1; i < n; i++) {
    const v = column[i]!;
    deltas[i] = v - previous;
    previous = v;
  }
  return { type: 'i32delta', start, deltas };
}

/** Encoded series, ready to be joined into a response (kept in the series cache as they are). */
export interface EncodedSeries {
  meta: BinarySeriesMeta;
  bytes: Uint8Array;
}

/** The whole response body: header, padding, then each series' bytes with its offsets moved to the data section. */
export function joinBinarySeries(cursor: number, series: readonly EncodedSeries[]): Uint8Array {
  let base = 0;
  const metas: BinarySeriesMeta[] = series.map(({ meta, bytes }) => {
    const columns: Partial<Record<BinaryColumnName, ColumnRef>> = {};
    for (const [name, ref] of Object.entries(meta.columns) as [BinaryColumnName, ColumnRef][]) {
      columns[name] = ref.type === 'linear' ? ref : { ...ref, offset: ref.offset + base };
    }
    base += bytes.byteLength;
    return { ...meta, columns };
  });
  const header: BinarySeriesHeader = { cursor, encoding: 'binary', series: metas };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((4 + headerBytes.byteLength) / 8) * 8;
  const body = new Uint8Array(dataStart + base);
  new DataView(body.buffer).setUint32(0, headerBytes.byteLength, true);
  body.set(headerBytes, 4);
  let at = dataStart;
  for (const { bytes } of series) {
    body.set(bytes, at);
    at += bytes.byteLength;
  }
  return body;
}

function nonFiniteName(value: number): 'NaN' | 'Infinity' | '-Infinity' {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** Reads a response body back into the full encoding's shape: `{ cursor, series }` with plain arrays. */
export function decodeBinarySeries(body: ArrayBuffer | Uint8Array): { cursor: number; encoding: 'binary'; series: DecodedSeries[] } {
  checkByteOrder();
  let bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
  // Float64Array views need an 8-aligned start: copy a body that sits elsewhere in its buffer (a Node Buffer).
  if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes);
  if (bytes.byteLength < 4) throw new Error(`binary series body too short (${bytes.byteLength} bytes)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as BinarySeriesHeader;
  const dataStart = bytes.byteOffset + Math.ceil((4 + headerLength) / 8) * 8;
  const series = header.series.map((meta): DecodedSeries => {
    const n = meta.length;
    const read = (name: BinaryColumnName): number[] | undefined => {
      const ref = meta.columns[name];
      if (!ref) return undefined;
      const out = new Array<number>(n);
      if (ref.type === 'linear') {
        for (let i = 0; i < n; i++) out[i] = ref.start + i * ref.stride;
      } else if (ref.type === 'i32delta') {
        const deltas = new Int32Array(bytes.buffer, dataStart + ref.offset, n);
        let v = ref.start;
        for (let i = 0; i < n; i++) out[i] = v += deltas[i]!;
      } else {
        const values = new Float64Array(bytes.buffer, dataStart + ref.offset, n);
        for (let i = 0; i < n; i++) out[i] = values[i]!;
      }
      return out;
    };
    /** JSON has no NaN or ±Infinity: the full encoding writes null there. */
    const finiteOrNull = (column: number[]): (number | null)[] => column.map((v) => (v - v === 0 ? v : null));
    const value = read('value') ?? [];
    const decoded: DecodedSeries = {
      runId: meta.runId,
      key: meta.key,
      totalPoints: meta.totalPoints,
      downsampled: meta.downsampled,
      step: read('step') ?? [],
      epoch: finiteOrNull(read('epoch') ?? []),
      timestamp: read('timestamp') ?? [],
      value: finiteOrNull(value),
    };
    const min = read('min');
    const max = read('max');
    if (min && max) {
      decoded.min = finiteOrNull(min);
      decoded.max = finiteOrNull(max);
    }
    let nonFinite: Record<string, string> | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i]!;
      if (v - v !== 0) (nonFinite ??= {})[i] = nonFiniteName(v);
    }
    if (nonFinite) decoded.nonFinite = nonFinite;
    return decoded;
  });
  return { cursor: header.cursor, encoding: 'binary', series };
}
