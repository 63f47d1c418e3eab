/** Metric reads: downsampled series for charts, points after a cursor for live streams, and full exports. */
import type Database from 'better-sqlite3';
import { DEFAULT_METRICS_AFTER_LIMIT, DEFAULT_SERIES_MAX_POINTS } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import { fromDb } from '../storage/rows.ts';
import { bucketPacked, type SeriesBlocks } from '../storage/series-blocks.ts';
import type {
  MetricColumns,
  MetricPoint,
  MetricSeries,
  MetricSeriesQuery,
  MetricsAfterQuery,
  MetricsAfterResult,
  PackedMetricColumns,
  SeriesColumns,
  SeriesPoint,
} from '../types.ts';
import { checkKey, checkSafeInteger, invalid, show } from '../validate.ts';

type RawPoint = [step: number, epoch: number | null, value: number | null, timestamp: number];

const MAX_SERIES_PER_CALL = 1000;

/** A series query's step range, checked: both ends inclusive, open ends as ±MAX_SAFE_INTEGER; null when it has none. */
function stepRangeOf(query: MetricSeriesQuery): { stepMin: number; stepMax: number } | null {
  const { stepMin, stepMax } = query;
  if (stepMin === undefined && stepMax === undefined) return null;
  if (stepMin !== undefined) checkSafeInteger(stepMin, 'stepMin');
  if (stepMax !== undefined) checkSafeInteger(stepMax, 'stepMax');
  if (stepMin !== undefined && stepMax !== undefined && stepMin > stepMax) {
    throw invalid(`stepMin must not exceed stepMax, received stepMin ${stepMin} and stepMax ${stepMax}`);
  }
  return { stepMin: stepMin ?? Number.MIN_SAFE_INTEGER, stepMax: stepMax ?? Number.MAX_SAFE_INTEGER };
}

function checkSeriesQuery(query: MetricSeriesQuery, caller: string): number {
  if (query === null || typeof query !== 'object') throw invalid(`${caller} expects { runIds, keys }, received ${show(query)}`);
  const { runIds, keys } = query;
  if (!Array.isArray(runIds) || !Array.isArray(keys)) throw invalid(`${caller}: runIds and keys must be arrays`);
  keys.forEach((k, i) => checkKey(k, `keys[${i}]`));
  const maxPoints = query.maxPoints ?? DEFAULT_SERIES_MAX_POINTS;
  checkSafeInteger(maxPoints, 'maxPoints');
  if (maxPoints < 2) throw invalid(`maxPoints must be at least 2, received ${maxPoints}`);
  if (runIds.length * keys.length > MAX_SERIES_PER_CALL) {
    throw invalid(`${caller}: ${runIds.length} runs x ${keys.length} keys is more than ${MAX_SERIES_PER_CALL} series; ask in parts`);
  }
  stepRangeOf(query);
  return maxPoints;
}

/**
 * Series as float64 columns, from the packed blocks (series-blocks.ts): per series one indexed read of a few blobs,
 * byte copies into typed arrays, and bucketing in a typed-array loop; no JavaScript call per stored point.
 * With a step range only the blocks overlapping it are read, and only its points are bucketed (totalPoints counts
 * them): a zoomed chart gets as many buckets for its range as the whole series has.
 */
export function getPackedMetricColumns(
  db: Database.Database,
  blocks: SeriesBlocks,
  runPk: (id: string) => number,
  query: MetricSeriesQuery,
): PackedMetricColumns[] {
  const maxPoints = checkSeriesQuery(query, 'getPackedMetricColumns');
  const range = stepRangeOf(query);
  const findSeries = db.prepare('SELECT id, count FROM series WHERE run_pk = ? AND key = ?');
  const out: PackedMetricColumns[] = [];
  for (const runId of query.runIds) {
    const pk = runPk(runId);
    for (const key of query.keys) {
      const series = findSeries.get(pk, key) as { id: number; count: number } | undefined;
      if (!series) {
        const empty = new Float64Array(0);
        out.push({ runId, key, totalPoints: 0, downsampled: false, step: empty, epoch: empty, timestamp: empty, value: empty });
        continue;
      }
      if (range) {
        const points = blocks.readRange(series.id, range.stepMin, range.stepMax);
        out.push({ runId, key, totalPoints: points.length, downsampled: points.length > maxPoints, ...bucketPacked(points, maxPoints) });
        continue;
      }
      const points = blocks.read(series.id);
      if (points.length !== series.count) {
        throw new StoreError('SCHEMA', `series ${show(key)} of run ${runId}: ${series.count} points stored but ${points.length} in its blocks; the run store is damaged`);
      }
      out.push({ runId, key, totalPoints: series.count, downsampled: series.count > maxPoints, ...bucketPacked(points, maxPoints) });
    }
  }
  return out;
}

/**
 * The same series as plain number arrays (epoch null where there is none): what JSON and most callers want.
 * Downsampled series also carry each bucket's min, max and point count.
 */
export function getMetricColumns(
  db: Database.Database,
  blocks: SeriesBlocks,
  runPk: (id: string) => number,
  query: MetricSeriesQuery,
): MetricColumns[] {
  checkSeriesQuery(query, 'getMetricColumns');
  return getPackedMetricColumns(db, blocks, runPk, query).map((packed) => {
    const { runId, key, totalPoints, downsampled, min, max, count } = packed;
    const epoch: (number | null)[] = new Array(packed.epoch.length);
    for (let i = 0; i < epoch.length; i++) {
      const e = packed.epoch[i]!;
      epoch[i] = e === e ? e : null;
    }
    const columns: MetricColumns = {
      runId,
      key,
      totalPoints,
      downsampled,
      step: Array.from(packed.step),
      epoch,
      timestamp: Array.from(packed.timestamp),
      value: Array.from(packed.value),
    };
    if (min && max && count) {
      columns.min = Array.from(min);
      columns.max = Array.from(max);
      columns.count = Array.from(count);
    }
    return columns;
  });
}

/** The same series as points (one object per bucket): built from the columns. */
export function getMetricSeries(
  db: Database.Database,
  blocks: SeriesBlocks,
  runPk: (id: string) => number,
  query: MetricSeriesQuery,
): MetricSeries[] {
  checkSeriesQuery(query, 'getMetricSeries');
  return getMetricColumns(db, blocks, runPk, query).map(({ runId, key, totalPoints, downsampled, ...columns }) => ({
    runId,
    key,
    totalPoints,
    downsampled,
    points: toPoints(columns),
  }));
}

function toPoints(c: SeriesColumns): SeriesPoint[] {
  const points: SeriesPoint[] = new Array(c.step.length);
  for (let i = 0; i < points.length; i++) {
    const value = c.value[i]!;
    points[i] = {
      step: c.step[i]!,
      epoch: c.epoch[i]!,
      timestamp: c.timestamp[i]!,
      value,
      min: c.min ? c.min[i]! : value,
      max: c.max ? c.max[i]! : value,
      count: c.count ? c.count[i]! : 1,
    };
  }
  return points;
}

/**
 * The reference bucketing, one point at a time (what `downsample` uses; the store reads with bucketPacked in
 * series-blocks.ts, which the tests hold to this). Turns points, fed in step order, into series columns. Equal-width buckets over the step range (so the x axis
 * keeps its shape even when logging was uneven); each bucket becomes its last point, carrying the bucket's
 * min and max (NaN ignored) so spikes survive downsampling. A width of 0 keeps every point (and no min/max/count
 * columns: they would repeat the value and 1).
 */
class Bucketer {
  private readonly step: number[] = [];
  private readonly epoch: (number | null)[] = [];
  private readonly timestamp: number[] = [];
  private readonly value: number[] = [];
  private readonly min: number[] = [];
  private readonly max: number[] = [];
  private readonly count: number[] = [];
  private bucket = -1;
  private last = -1;

  constructor(
    private readonly minStep: number,
    private readonly width: number,
    private readonly lastBucket: number,
  ) {}

  add(step: number, epoch: number | null, raw: number | null, timestamp: number): void {
    const value = raw === null ? Number.NaN : raw;
    if (this.width === 0) {
      this.step.push(step);
      this.epoch.push(epoch);
      this.timestamp.push(timestamp);
      this.value.push(value);
      return;
    }
    const b = Math.min(this.lastBucket, Math.floor((step - this.minStep) / this.width));
    const finite = !Number.isNaN(value);
    if (b !== this.bucket) {
      this.bucket = b;
      this.last = this.step.length;
      this.step.push(step);
      this.epoch.push(epoch);
      this.timestamp.push(timestamp);
      this.value.push(value);
      this.min.push(value);
      this.max.push(value);
      this.count.push(1);
      return;
    }
    const i = this.last;
    this.step[i] = step;
    this.epoch[i] = epoch;
    this.timestamp[i] = timestamp;
    this.value[i] = value;
    this.count[i]!++;
    if (finite) {
      const min = this.min[i]!;
      const max = this.max[i]!;
      if (Number.isNaN(min) || value < min) this.min[i] = value;
      if (Number.isNaN(max) || value > max) this.max[i] = value;
    }
  }

  columns(): SeriesColumns {
    const { step, epoch, timestamp, value } = this;
    return this.width === 0 ? { step, epoch, timestamp, value } : { step, epoch, timestamp, value, min: this.min, max: this.max, count: this.count };
  }
}

/** The same bucketing over points already in memory (rows in step order), as points (the tests' reference). */
export function downsample(rows: readonly RawPoint[], minStep: number, maxStep: number, maxPoints: number): SeriesPoint[] {
  const bucketer = new Bucketer(minStep, (maxStep - minStep + 1) / maxPoints, maxPoints - 1);
  for (const [step, epoch, value, timestamp] of rows) bucketer.add(step, epoch, value, timestamp);
  return toPoints(bucketer.columns());
}

export function getMetricsAfter(db: Database.Database, query: MetricsAfterQuery): MetricsAfterResult {
  if (query === null || typeof query !== 'object') throw invalid(`getMetricsAfter expects { afterId }, received ${show(query)}`);
  checkSafeInteger(query.afterId, 'afterId');
  const limit = query.limit ?? DEFAULT_METRICS_AFTER_LIMIT;
  checkSafeInteger(limit, 'limit');
  if (limit < 1) throw invalid(`limit must be at least 1, received ${limit}`);
  const where = ['m.seq > ?'];
  const args: (string | number)[] = [query.afterId];
  if (query.runIds) {
    if (query.runIds.length === 0) return { points: [], cursor: lastSeq(db, query.afterId) };
    where.push(`r.id IN (${query.runIds.map(() => '?').join(', ')})`);
    args.push(...query.runIds);
  }
  if (query.keys) {
    if (query.keys.length === 0) return { points: [], cursor: lastSeq(db, query.afterId) };
    where.push(`s.key IN (${query.keys.map(() => '?').join(', ')})`);
    args.push(...query.keys);
  }
  const rows = db
    .prepare(
      `SELECT m.seq, r.id AS run_id, s.key, m.step, m.epoch, m.value, m.timestamp
       FROM metrics m INDEXED BY metrics_seq JOIN series s ON s.id = m.series_id JOIN runs r ON r.pk = s.run_pk
       WHERE ${where.join(' AND ')} ORDER BY m.seq LIMIT ?`,
    )
    .all(...args, limit) as { seq: number; run_id: string; key: string; step: number; epoch: number | null; value: number | null; timestamp: number }[];
  const points: MetricPoint[] = rows.map((r) => ({
    id: r.seq,
    runId: r.run_id,
    key: r.key,
    value: fromDb(r.value),
    step: r.step,
    epoch: r.epoch,
    timestamp: r.timestamp,
  }));
  // A full page: continue after its last point. Otherwise everything up to the newest point (in this snapshot)
  // was seen, including points the filters left out.
  const cursor = points.length === limit ? points[points.length - 1]!.id : lastSeq(db, query.afterId);
  return { points, cursor };
}

function lastSeq(db: Database.Database, atLeast: number): number {
  const seq = db.prepare("SELECT value FROM counters WHERE name = 'metric_seq'").pluck().get() as number;
  return Math.max(seq, atLeast);
}

/** Rows read per query while exporting. */
const EXPORT_CHUNK = 5000;

export function* iterateMetrics(
  db: Database.Database,
  runs: ReadonlyMap<number, string>,
  keys: readonly string[] | undefined,
): Generator<MetricPoint> {
  if (runs.size === 0 || keys?.length === 0) return;
  const pks = [...runs.keys()];
  const keyFilter = keys ? ` AND key IN (${keys.map(() => '?').join(', ')})` : '';
  const series = db
    .prepare(`SELECT id, run_pk, key FROM series WHERE run_pk IN (${pks.map(() => '?').join(', ')})${keyFilter} ORDER BY run_pk, key`)
    .all(...pks, ...(keys ?? [])) as { id: number; run_pk: number; key: string }[];
  // Read in chunks with .all(), never holding a statement open across a yield: a consumer that streams the export
  // (an HTTP response) can run other queries on the same connection meanwhile, which an open iterator forbids.
  const chunk = db.prepare('SELECT seq, step, epoch, value, timestamp FROM metrics WHERE series_id = ? AND step > ? ORDER BY step LIMIT ?');
  for (const s of series) {
    const runId = runs.get(s.run_pk)!;
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows = chunk.all(s.id, after, EXPORT_CHUNK) as { seq: number; step: number; epoch: number | null; value: number | null; timestamp: number }[];
      for (const r of rows) yield { id: r.seq, runId, key: s.key, value: fromDb(r.value), step: r.step, epoch: r.epoch, timestamp: r.timestamp };
      if (rows.length < EXPORT_CHUNK) break;
      after = rows[rows.length - 1]!.step;
    }
  }
}
