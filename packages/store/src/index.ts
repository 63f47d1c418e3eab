// Public surface of @vgglab/store: the run store (SQLite through better-sqlite3) that the runner writes and
// the dashboard reads.

export { openStore } from './store.ts';
export { createMetricQueue } from './queue.ts';
export { generateSyntheticRuns, mulberry32 } from './synthetic.ts';
export type { SyntheticRunsOptions } from './synthetic.ts';
export { runListCsv, metricsCsv } from './csv.ts';
export { flattenParams, canonicalJson, paramString } from './flatten.ts';
export { StoreError } from './errors.ts';
export { RUN_STATUSES } from './validate.ts';
export { SCHEMA_VERSION } from './schema.ts';
export {
  MAX_METRICS_PER_BATCH,
  MAX_PARAMS_PER_BATCH,
  MAX_TAGS_PER_BATCH,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  DEFAULT_SERIES_MAX_POINTS,
  SERIES_BLOCK_POINTS,
} from './defaults.ts';

export type {
  Artifact,
  ClassMetrics,
  Evaluation,
  Experiment,
  FacetValue,
  GcOptions,
  GcResult,
  KeyValue,
  LatestMetric,
  LogBatchInput,
  MetricColumns,
  PackedMetricColumns,
  PackedSeriesColumns,
  MetricExportQuery,
  MetricFilter,
  MetricHistoryOptions,
  MetricInput,
  MetricPoint,
  MetricQueue,
  MetricQueueOptions,
  MetricSeries,
  MetricSeriesQuery,
  MetricsAfterQuery,
  MetricsAfterResult,
  NewArtifact,
  NewEvaluation,
  NewRun,
  OpenStoreOptions,
  ResumeOptions,
  Run,
  RunDetails,
  RunFacets,
  RunListQuery,
  RunPage,
  RunReader,
  RunSortKey,
  RunStatus,
  RunStore,
  RunWriter,
  RunSummary,
  SeriesColumns,
  SeriesPoint,
  StoreErrorCode,
} from './types.ts';
