/**
 * The store's query types: what the run list, the metric reads, facets and exports take and give.
 * Re-exported by ../types.ts with the rest of the store's public types.
 */
import type { Experiment, MetricPoint, RunStatus, RunSummary } from '../types.ts';

/**
 * What the run list can be sorted by:
 * - a run column: `startTime`, `endTime`, `duration`, `name`, `status`, `experiment`, `id`
 * - `param:<key>`: a param (numbers compare as numbers, then text), e.g. `param:optimizer.lr`
 * - `metric:<key>`: latest value, e.g. `metric:val/loss`
 * - `metric.min:<key>` / `metric.max:<key>`: best-so-far, e.g. `metric.max:val/accuracy`
 * Runs without the param/metric sort last in both directions.
 */
export type RunSortKey = string;

export interface MetricFilter {
  key: string;
  op: '<' | '<=' | '>' | '>=' | '=' | '!=';
  value: number;
  /** Which value to compare. Defaults to `latest`. */
  of?: 'latest' | 'min' | 'max';
}

/**
 * A run's param inside a range: with `values`, its value (as stored) is one of them; otherwise it is a number with
 * `min <= value <= max` (either bound may be left out). A run without the param never matches.
 */
export interface ParamRange {
  key: string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export interface RunListQuery {
  /** Page size, 1..1000. Defaults to 50. */
  limit?: number;
  /** From the previous page's `nextPageToken`. Only valid with the same filters and sort. */
  pageToken?: string | null;
  /** Experiment id or name. */
  experiment?: number | string;
  status?: RunStatus | readonly RunStatus[];
  /** Exact match on the `model.name` param. */
  model?: string;
  /** Exact match on the `optimizer.name` param. */
  optimizer?: string;
  /** Every given tag must match: a string value matches exactly, `true` means "has this tag". */
  tags?: Record<string, string | true>;
  /** Every given param must equal the value (as stored: strings). */
  params?: Record<string, string>;
  metrics?: readonly MetricFilter[];
  /** Every given range must hold (a parallel-coordinates brush): see ParamRange. */
  paramRanges?: readonly ParamRange[];
  /** Only starred runs (true) or only the others (false). */
  starred?: boolean;
  /** Case-insensitive substring of the run id, name, experiment, model, optimizer, or any tag value. */
  text?: string;
  /** Defaults to `startTime`. */
  sortBy?: RunSortKey;
  /** Defaults to `desc`. */
  order?: 'asc' | 'desc';
  /** Which params to attach to each row: `all` (default), or the listed keys. */
  includeParams?: 'all' | readonly string[];
  /** Which latest metrics to attach to each row: `all` (default), or the listed keys. */
  includeMetrics?: 'all' | readonly string[];
}

export interface RunPage {
  runs: RunSummary[];
  /** Pass back as `pageToken` for the next page; null on the last page. Keyset-based: runs created while
   * paging never shift or repeat rows. */
  nextPageToken: string | null;
  /** Number of runs matching the filters (all pages), as counted for the first page of this listing. */
  total: number;
}

export interface MetricHistoryOptions {
  /** Only points with step > afterStep. */
  afterStep?: number;
  /** At most this many points, in step order. */
  limit?: number;
}

export interface MetricSeriesQuery {
  runIds: readonly string[];
  keys: readonly string[];
  /** At most this many points per series. Defaults to 1000, at least 2. */
  maxPoints?: number;
  /**
   * Only the points with step >= stepMin (a safe integer), bucketed by the same rule as a whole series (a chart
   * zoomed to a step range asks for its detail). Without it, from the first point.
   */
  stepMin?: number;
  /** Only the points with step <= stepMax (a safe integer, at least stepMin). Without it, up to the last point. */
  stepMax?: number;
}

/** One bucket of a (possibly downsampled) series: the bucket's last point, with the bucket's min and max. */
export interface SeriesPoint {
  step: number;
  epoch: number | null;
  timestamp: number;
  /** Value of the last point in the bucket (NaN possible). */
  value: number;
  /** Non-NaN extremes within the bucket (NaN when every value in it is NaN). */
  min: number;
  max: number;
  /** Raw points in the bucket. */
  count: number;
}

export interface MetricSeries {
  runId: string;
  key: string;
  /** Points stored for this run and key (within stepMin..stepMax when the query gives a range). */
  totalPoints: number;
  downsampled: boolean;
  points: SeriesPoint[];
}

/**
 * A series as columns (index i of every column is one point or bucket), what charts and JSON take: no object per
 * point. `value` holds NaN and ±Infinity as they are. `min`, `max` (non-NaN extremes, NaN when a bucket holds
 * only NaN) and `count` (raw points per bucket) are present only when the series is downsampled.
 */
export interface SeriesColumns {
  step: number[];
  epoch: (number | null)[];
  timestamp: number[];
  value: number[];
  min?: number[];
  max?: number[];
  count?: number[];
}

/**
 * The same columns as float64 typed arrays, as the store reads them from its packed blocks: what binary wire formats
 * take without copying value by value. `epoch` is NaN where a point has no epoch; `value`, `min` and `max` hold NaN
 * and ±Infinity as they are.
 */
export interface PackedSeriesColumns {
  step: Float64Array;
  epoch: Float64Array;
  timestamp: Float64Array;
  value: Float64Array;
  min?: Float64Array;
  max?: Float64Array;
  count?: Float64Array;
}

export interface PackedMetricColumns extends PackedSeriesColumns {
  runId: string;
  key: string;
  /** Points stored for this run and key (within stepMin..stepMax when the query gives a range). */
  totalPoints: number;
  downsampled: boolean;
}

export interface MetricColumns extends SeriesColumns {
  runId: string;
  key: string;
  /** Points stored for this run and key (within stepMin..stepMax when the query gives a range). */
  totalPoints: number;
  downsampled: boolean;
}

export interface MetricsAfterQuery {
  /** Return points with id > afterId (0 for everything). */
  afterId: number;
  runIds?: readonly string[];
  keys?: readonly string[];
  /** Defaults to 5000. */
  limit?: number;
}

export interface MetricsAfterResult {
  points: MetricPoint[];
  /** Pass as the next `afterId`. Equals afterId when nothing new arrived. */
  cursor: number;
}

/** A distinct value and how many runs have it (filter menus). */
export interface FacetValue {
  value: string;
  count: number;
}

/** Values for the run table's filter menus, most common first (experiments newest first), at most 200 each. */
export interface RunFacets {
  statuses: FacetValue[];
  experiments: FacetValue[];
  models: FacetValue[];
  optimizers: FacetValue[];
  tagKeys: FacetValue[];
}

export interface MetricExportQuery {
  runIds: readonly string[];
  keys?: readonly string[];
}
