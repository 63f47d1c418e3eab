// Public surface of @vgglab/store: the run store (SQLite through better-sqlite3) that the runner writes and
// the dashboard reads.

export { openStore, openRunReader } from './store.ts';
export { resolveDbFile, invocationDir } from './open/db-file.ts';
export type { DbFileSources } from './open/db-file.ts';
export { PARAM_KEYS, TABLE_PARAM_KEYS, paramSortKey } from './param-keys.ts';
export { createMetricQueue } from './write/queue.ts';
export { processStartOf } from './runs/liveness.ts';
export { generateSyntheticRuns, mulberry32 } from './synthetic.ts';
export type { SyntheticRunsOptions } from './synthetic.ts';
export { runListCsv, metricsCsv } from './queries/csv.ts';
export { flattenParams, paramString } from './runs/flatten.ts';
export { runFolder } from './runs/folder.ts';
export { MAX_NOTE_LENGTH, MAX_RUN_NAME_LENGTH } from './runs/edit.ts';
export { StoreError } from './errors.ts';
// The tracking server's write API: the HTTP client (a RunWriter for runs on other machines) and the wire it shares
// with the server's routes.
export { createHttpRunWriter, TrackingClient, sha256OfFile } from './remote/client.ts';
export { packFolder, unpackFolder } from './remote/bundle.ts';
export type { TrackingClientOptions } from './remote/client.ts';
export * from './remote/wire.ts';
export { RUN_STATUSES, STORED_RUN_STATUSES } from './validate.ts';
export { SCHEMA_VERSION } from './storage/schema.ts';
export {
  DEFAULT_DB_FILE,
  DB_ENV_VAR,
  DEFAULT_STALE_HEARTBEAT_MS,
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
  Eventually,
  Evaluation,
  Experiment,
  FacetValue,
  GcOptions,
  GcResult,
  KeyValue,
  LatestMetric,
  LogArtifactOptions,
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
  MisclassifiedSamples,
  MetricQueueOptions,
  MetricSeries,
  MetricSeriesQuery,
  MetricsAfterQuery,
  MetricsAfterResult,
  NewArtifact,
  NewEvaluation,
  NewRun,
  OpenStoreOptions,
  ParamRange,
  ResumedRun,
  ResumeOptions,
  Run,
  RunDetails,
  RunEdit,
  RunEditor,
  RunFacets,
  RunListQuery,
  RunPage,
  RunMaintenance,
  RunReader,
  RunSortKey,
  RunStatus,
  RunStore,
  RunWriter,
  SetStatusOptions,
  StoredRunStatus,
  SyncRunWriter,
  RunSummary,
  SeriesColumns,
  SeriesPoint,
  StoreErrorCode,
  WriteFence,
} from './types.ts';
