/**
 * Packed series: a read-optimised copy of every series, kept by the writer in the same transaction as its rows.
 *
 * Why: a chart reads whole series (10 runs x 4 keys x 1,000 points for a compare). Handing SQLite rows to JavaScript
 * costs ~0.8 us per row whatever the API (aggregate, raw, pluck), 30+ ms for 40,000 points, while the scan itself
 * is ~5 ms. A block holds up to SERIES_BLOCK_POINTS points as four little-endian float64 columns, so a series is a
 * few indexed blob reads and byte copies into typed arrays.
 *
 * The rows in `metrics` stay the source of truth (live cursors, CSV export, idempotent writes); blocks are derived:
 * - every block but a series' last holds exactly SERIES_BLOCK_POINTS points, keyed by its first step;
 * - an append (every new step after the stored ones) rewrites only the last, partial block (from memory: the
 *   block's own points plus the new ones);
 * - an overwrite, an out-of-order step or a deletion rebuilds from the block holding the smallest changed step to
 *   the end, from the rows.
 *
 * Blob layout for n points: step[n], value[n], epoch[n], timestamp[n], each float64 little-endian. value keeps NaN
 * and ±Infinity as they are; epoch is NaN where the point has none (epochs are finite when logged).
 */
import type Database from 'better-sqlite3';
import { SERIES_BLOCK_POINTS } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import type { PackedSeriesColumns } from '../types.ts';
import { PreparedStatements } from './prepared.ts';

/** Typed arrays are in the host's byte order; blobs are little-endian. Every platform Node runs on in practice is. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkByteOrder(): void {
  if (!LITTLE_ENDIAN) throw new StoreError('SCHEMA', 'the run store keeps series as little-endian float64 blocks; this host is big-endian');
}

/** Points in step order as four parallel columns (epoch: NaN = none). */
export interface PackedPoints {
  length: number;
  step: Float64Array;
  value: Float64Array;
  epoch: Float64Array;
  timestamp: Float64Array;
}

/** One point as logBatch writes it. */
export interface BlockPoint {
  step: number;
  value: number;
  epoch?: number | null;
  timestamp: number;
}

const COLUMNS = ['step', 'value', 'epoch', 'timestamp'] as const;

export function emptyPacked(length: number): PackedPoints {
  return {
    length,
    step: new Float64Array(length),
    value: new Float64Array(length),
    epoch: new Float64Array(length),
    timestamp: new Float64Array(length),
  };
}

/** The blob of points [from, from + count) of `points`. */
export function encodeBlock(points: PackedPoints, from: number, count: number): Buffer {
  checkByteOrder();
  const blob = Buffer.allocUnsafe(count * 32);
  COLUMNS.forEach((name, c) => {
    const column = points[name];
    blob.set(new Uint8Array(column.buffer, column.byteOffset + from * 8, count * 8), c * count * 8);
  });
  return blob;
}

/** Copies a block of `count` points into `into` at index `at`. */
export function decodeBlockInto(blob: Uint8Array, count: number, into: PackedPoints, at: number): void {
  checkByteOrder();
  if (blob.byteLength !== count * 32) {
    throw new StoreError('SCHEMA', `series block of ${count} points has ${blob.byteLength} bytes, expected ${count * 32}: the run store is damaged`);
  }
  COLUMNS.forEach((name, c) => {
    const column = into[name];
    new Uint8Array(column.buffer, column.byteOffset + at * 8, count * 8).set(blob.subarray(c * count * 8, (c + 1) * count * 8));
  });
}

type RawRow = [step: number, value: number | null, epoch: number | null, timestamp: number];

/** Points from metrics rows (value NULL is NaN, as the rows store it). */
function packRows(rows: readonly RawRow[]): PackedPoints {
  const points = emptyPacked(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [step, value, epoch, timestamp] = rows[i]!;
    points.step[i] = step;
    points.value[i] = value === null ? Number.NaN : value;
    points.epoch[i] = epoch === null ? Number.NaN : epoch;
    points.timestamp[i] = timestamp;
  }
  return points;
}

/** Reads and writes one store's blocks with prepared statements (the table exists once the schema is migrated). */
export class SeriesBlocks {
  private readonly statements: PreparedStatements;

  constructor(
    db: Database.Database,
    private readonly blockPoints = SERIES_BLOCK_POINTS,
  ) {
    this.statements = new PreparedStatements(db);
  }

  private sql(text: string): Database.Statement {
    return this.statements.get(text);
  }

  /**
   * Writes `points` as blocks (keyed by their first step). With `replacing`, the first block overwrites the stored
   * block of that first step in place (an UPDATE: cheaper than delete + insert for the append path's rewrite).
   */
  private writeBlocks(seriesId: number, points: PackedPoints, replacing = false): void {
    const insert = this.sql('INSERT INTO series_blocks(series_id, first_step, count, data) VALUES (?, ?, ?, ?)');
    for (let from = 0; from < points.length; from += this.blockPoints) {
      const count = Math.min(this.blockPoints, points.length - from);
      const data = encodeBlock(points, from, count);
      if (from === 0 && replacing) {
        this.sql('UPDATE series_blocks SET count = ?, data = ? WHERE series_id = ? AND first_step = ?').run(count, data, seriesId, points.step[0]!);
      } else {
        insert.run(seriesId, points.step[from]!, count, data);
      }
    }
  }

  /**
   * New points that all come after the series' stored steps (sorted by step, one per step): the last block, when
   * not full, is read back and rewritten with them; further points go to new blocks.
   */
  append(seriesId: number, added: readonly BlockPoint[]): void {
    if (added.length === 0) return;
    const last = this.sql('SELECT count, data FROM series_blocks WHERE series_id = ? ORDER BY first_step DESC LIMIT 1').raw().get(seriesId) as
      | [number, Buffer]
      | undefined;
    const keep = last && last[0] < this.blockPoints ? last[0] : 0;
    const points = emptyPacked(keep + added.length);
    if (keep > 0) decodeBlockInto(last![1], keep, points, 0);
    for (let i = 0; i < added.length; i++) {
      const p = added[i]!;
      points.step[keep + i] = p.step;
      points.value[keep + i] = p.value;
      points.epoch[keep + i] = p.epoch ?? Number.NaN;
      points.timestamp[keep + i] = p.timestamp;
    }
    this.writeBlocks(seriesId, points, keep > 0);
  }

  /**
   * Makes the blocks match the rows again after rows at `fromStep` or later were replaced, inserted before later
   * ones, or deleted: rebuilds from the block holding `fromStep` (or the first block) to the end, from the rows.
   */
  rebuildFrom(seriesId: number, fromStep: number): void {
    const holding = this.sql('SELECT first_step FROM series_blocks WHERE series_id = ? AND first_step <= ? ORDER BY first_step DESC LIMIT 1')
      .pluck()
      .get(seriesId, fromStep) as number | undefined;
    const start = holding ?? Number.MIN_SAFE_INTEGER;
    this.sql('DELETE FROM series_blocks WHERE series_id = ? AND first_step >= ?').run(seriesId, start);
    const rows = this.sql('SELECT step, value, epoch, timestamp FROM metrics WHERE series_id = ? AND step >= ? ORDER BY step')
      .raw()
      .all(seriesId, start) as RawRow[];
    this.writeBlocks(seriesId, packRows(rows));
  }

  /** Removes the blocks of every series of a run (deleteRun). */
  deleteRun(runPk: number): void {
    this.sql('DELETE FROM series_blocks WHERE series_id IN (SELECT id FROM series WHERE run_pk = ?)').run(runPk);
  }

  /** Every point of a series, in step order, from its blocks: one indexed range read and a byte copy per block. */
  read(seriesId: number): PackedPoints {
    const blocks = this.sql('SELECT count, data FROM series_blocks WHERE series_id = ? ORDER BY first_step').raw().all(seriesId) as [number, Buffer][];
    return decodeBlocks(blocks);
  }

  /**
   * The points of a series with stepMin <= step <= stepMax, in step order. Reads only the blocks that can hold such
   * steps: the block holding stepMin (the last one keyed at or before it) and those keyed up to stepMax; the
   * columns returned are views trimmed to the range.
   */
  readRange(seriesId: number, stepMin: number, stepMax: number): PackedPoints {
    const blocks = this.sql(
      `SELECT count, data FROM series_blocks
       WHERE series_id = @seriesId AND first_step <= @stepMax
         AND first_step >= coalesce((SELECT max(first_step) FROM series_blocks WHERE series_id = @seriesId AND first_step <= @stepMin), @stepMin)
       ORDER BY first_step`,
    )
      .raw()
      .all({ seriesId, stepMin, stepMax }) as [number, Buffer][];
    const points = decodeBlocks(blocks);
    const from = firstAtLeast(points.step, stepMin);
    const to = firstAtLeast(points.step, stepMax + 1);
    if (from === 0 && to === points.length) return points;
    return {
      length: to - from,
      step: points.step.subarray(from, to),
      value: points.value.subarray(from, to),
      epoch: points.epoch.subarray(from, to),
      timestamp: points.timestamp.subarray(from, to),
    };
  }
}

/** Index of the first entry >= `bound` in ascending `sorted` (its length when there is none). */
function firstAtLeast(sorted: Float64Array, bound: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Blocks (count, blob) in step order, decoded into one set of columns. */
function decodeBlocks(blocks: readonly [number, Buffer][]): PackedPoints {
  let total = 0;
  for (const [count] of blocks) total += count;
  const points = emptyPacked(total);
  let at = 0;
  for (const [count, data] of blocks) {
    decodeBlockInto(data, count, points, at);
    at += count;
  }
  return points;
}

/** Builds the blocks of every series from its rows (the migration that introduces blocks). */
export function buildAllSeriesBlocks(db: Database.Database, blockPoints = SERIES_BLOCK_POINTS): void {
  const blocks = new SeriesBlocks(db, blockPoints);
  const ids = db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
  for (const id of ids) blocks.rebuildFrom(id, Number.MIN_SAFE_INTEGER);
}

/**
 * Equal-width buckets over the step range (so the x axis keeps its shape when logging was uneven), at most
 * `maxPoints`; each bucket is its last point, with the bucket's non-NaN min and max (NaN when it holds only NaN)
 * and its point count. Series of at most `maxPoints` points are returned whole, without min/max/count.
 * The same rule as `downsample` (series.ts), over typed arrays.
 */
export function bucketPacked(points: PackedPoints, maxPoints: number): PackedSeriesColumns {
  const n = points.length;
  if (n <= maxPoints) return { step: points.step, epoch: points.epoch, timestamp: points.timestamp, value: points.value };
  const { step, value, epoch, timestamp } = points;
  const minStep = step[0]!;
  const width = (step[n - 1]! - minStep + 1) / maxPoints;
  const lastBucket = maxPoints - 1;
  const out = {
    step: new Float64Array(maxPoints),
    epoch: new Float64Array(maxPoints),
    timestamp: new Float64Array(maxPoints),
    value: new Float64Array(maxPoints),
    min: new Float64Array(maxPoints),
    max: new Float64Array(maxPoints),
    count: new Float64Array(maxPoints),
  };
  let bucket = -1;
  let m = -1;
  for (let i = 0; i < n; i++) {
    const s = step[i]!;
    const v = value[i]!;
    const b = Math.min(lastBucket, Math.floor((s - minStep) / width));
    if (b !== bucket) {
      bucket = b;
      m++;
      out.min[m] = v;
      out.max[m] = v;
      out.count[m] = 1;
    } else {
      out.count[m]!++;
      if (v === v) {
        const lo = out.min[m]!;
        const hi = out.max[m]!;
        if (lo !== lo || v < lo) out.min[m] = v;
        if (hi !== hi || v > hi) out.max[m] = v;
      }
    }
    out.step[m] = s;
    out.epoch[m] = epoch[i]!;
    out.timestamp[m] = timestamp[i]!;
    out.value[m] = v;
  }
  const used = m + 1;
  return {
    step: out.step.subarray(0, used),
    epoch: out.epoch.subarray(0, used),
    timestamp: out.timestamp.subarray(0, used),
    value: out.value.subarray(0, used),
    min: out.min.subarray(0, used),
    max: out.max.subarray(0, used),
    count: out.count.subarray(0, used),
  };
}
