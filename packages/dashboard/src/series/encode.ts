/**
 * The series of /api/metrics in each encoding, from the store's columns: `full` (JSON, values and timestamps as
 * stored), `compact` (JSON, float32 values, timestamps as deltas, steps/epochs as runs: ../wire/compact-series.ts),
 * `binary` (the store's float64 columns as bytes: ../wire/binary-series.ts).
 */
import type { MetricColumns, MetricSeries, PackedMetricColumns } from '@vgglab/store';
import { encodeSeriesColumns, type EncodedSeries } from '../wire/binary-series.ts';
import { arithmeticRuns, DELTA_COLUMNS, float32Column, integerDeltas, RUN_COLUMNS } from '../wire/compact-series.ts';

export type SeriesEncoding = 'full' | 'compact' | 'binary';

/** One series of the `binary` encoding, from the store's typed arrays without a per-value step in JavaScript. */
export function binarySeries(packed: PackedMetricColumns): EncodedSeries {
  const { runId, key, totalPoints, downsampled, step, epoch, timestamp, value, min, max } = packed;
  const { columns, bytes } = encodeSeriesColumns(downsampled && min && max ? { step, epoch, timestamp, value, min, max } : { step, epoch, timestamp, value });
  return { meta: { runId, key, totalPoints, downsampled, length: step.length, columns }, bytes };
}

/** What the series cache holds: a series' JSON text, or its binary encoding. */
export type CachedSeries = string | EncodedSeries;
export const cachedSize = (entry: CachedSeries): number => (typeof entry === 'string' ? entry.length : entry.bytes.byteLength + 200);

/** Name of a non-finite value, for `nonFinite` (JSON has no NaN or ±Inf: columns carry null there). */
function nonFiniteName(value: number): 'NaN' | 'Infinity' | '-Infinity' {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** The compact form's columns in place of the full ones (see ../wire/compact-series.ts; all restore what the page shows). */
function compactColumns(out: Record<string, unknown>, columns: MetricColumns): void {
  for (const name of DELTA_COLUMNS) {
    const deltas = integerDeltas(columns[name]);
    if (!deltas) continue;
    delete out[name];
    out[`${name}Start`] = deltas.start;
    out[`${name}Delta`] = deltas.delta;
  }
  for (const name of RUN_COLUMNS) {
    const runs = arithmeticRuns(columns[name]);
    if (!runs) continue;
    delete out[name];
    out[`${name}Runs`] = runs;
  }
  out.value = float32Column(columns.value);
  if (columns.downsampled) {
    out.min = float32Column(columns.min ?? []);
    out.max = float32Column(columns.max ?? []);
  }
}

/**
 * The JSON of one series as columns (compact; what uPlot takes): runId, key, totalPoints, downsampled, step, epoch,
 * timestamp, value, then min/max for downsampled series, and `nonFinite` (index -> 'NaN' | 'Infinity' |
 * '-Infinity') when some values are not finite. The store's arrays go to JSON.stringify as they are (it writes
 * NaN and ±Inf as null): no copy, no object per point.
 */
export function columnsJson(columns: MetricColumns, encoding: 'full' | 'compact' = 'full'): string {
  const { runId, key, totalPoints, downsampled, step, epoch, timestamp, value } = columns;
  const out: Record<string, unknown> = { runId, key, totalPoints, downsampled, step, epoch, timestamp, value };
  if (downsampled) {
    out.min = columns.min ?? [];
    out.max = columns.max ?? [];
  }
  if (encoding === 'compact') compactColumns(out, columns);
  let nonFinite: Record<number, string> | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    // v - v is NaN exactly for NaN and ±Infinity
    if (v - v !== 0) (nonFinite ??= {})[i] = nonFiniteName(v);
  }
  if (nonFinite) out.nonFinite = nonFinite;
  return JSON.stringify(out);
}

/** The same JSON from the store's point objects (getMetricSeries). */
export function seriesColumns(series: MetricSeries): Record<string, unknown> {
  const { points } = series;
  const columns: MetricColumns = {
    runId: series.runId,
    key: series.key,
    totalPoints: series.totalPoints,
    downsampled: series.downsampled,
    step: points.map((p) => p.step),
    epoch: points.map((p) => p.epoch),
    timestamp: points.map((p) => p.timestamp),
    value: points.map((p) => p.value),
    min: points.map((p) => p.min),
    max: points.map((p) => p.max),
  };
  return JSON.parse(columnsJson(columns)) as Record<string, unknown>;
}
