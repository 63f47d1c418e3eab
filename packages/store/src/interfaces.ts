/**
 * The sides of a run store. A RunReader answers queries (the dashboard, `vgglab runs`, inference); a RunWriter is
 * what a training process needs, and nothing it does reads back from the same object beyond what its own calls
 * return, so it can be implemented over HTTP for a run on another machine; RunMaintenance (gc, delete) acts on the
 * file as a whole. `openStore` gives all three on one SQLite file, `openRunReader` only the first.
 */
import type {
  Artifact,
  Evaluation,
  Experiment,
  FacetValue,
  GcOptions,
  GcResult,
  LatestMetric,
  LogBatchInput,
  MetricColumns,
  MetricExportQuery,
  MetricHistoryOptions,
  MetricInput,
  MetricPoint,
  MetricSeries,
  MetricSeriesQuery,
  MetricsAfterQuery,
  MetricsAfterResult,
  NewArtifact,
  NewEvaluation,
  NewRun,
  PackedMetricColumns,
  LogArtifactOptions,
  ResumedRun,
  ResumeOptions,
  Run,
  SetStatusOptions,
  WriteFence,
  RunDetails,
  RunEdit,
  RunFacets,
  RunListQuery,
  RunPage,
  StoredRunStatus,
} from './types.ts';

/**
 * The read side of a run store: what the dashboard, `vgglab runs` and inference need. Every method that takes a
 * run id throws StoreError `NOT_FOUND` for an unknown run.
 */
export interface RunReader {
  /** Absolute path of the SQLite file. */
  readonly file: string;
  readonly readonly: boolean;
  /** Schema version of the open file. */
  readonly schemaVersion: number;

  getExperiment(idOrName: number | string): Experiment | undefined;
  listExperiments(): Experiment[];
  /** Full id from a full id or a unique prefix (at least 4 characters); StoreError NOT_FOUND / AMBIGUOUS. */
  resolveRunId(idOrPrefix: string): string;
  getRun(runId: string): RunDetails | undefined;
  /** Newest run in the experiment with this spec hash (any status), so sweeps can skip finished runs and resume
   * interrupted ones. */
  findRunBySpecHash(experiment: number | string, specHash: string): Run | undefined;
  listArtifacts(runId: string, kind?: string): Artifact[];
  /** Newest first. */
  listEvaluations(runId: string): Evaluation[];

  // --- queries
  listRuns(query?: RunListQuery): RunPage;
  /** Points of one metric in step order. */
  getMetricHistory(runId: string, key: string, options?: MetricHistoryOptions): MetricPoint[];
  /** Metric keys logged by these runs (all runs when omitted), sorted. */
  listMetricKeys(runIds?: readonly string[]): string[];
  /** Param keys present in these runs (all runs when omitted), sorted. */
  listParamKeys(runIds?: readonly string[]): string[];
  /** Distinct values of one param with run counts, most common first (e.g. `model.name`). Defaults to 200 values. */
  listParamValues(key: string, options?: { limit?: number }): FacetValue[];
  /** Tag keys with the number of runs that carry them, most common first. Defaults to 200 keys. */
  listTagKeys(options?: { limit?: number }): FacetValue[];
  /** Everything the run table's filter menus offer, in one snapshot. */
  getRunFacets(): RunFacets;
  /** Latest/best values of every metric of one run (cheap: one indexed read); e.g. to tell whether cached series
   * are stale (count, step, timestamp). */
  getLatestMetrics(runId: string): Record<string, LatestMetric>;
  /** Several runs x keys in one call, each series downsampled to at most maxPoints buckets by step, keeping
   * each bucket's min and max. Series with no points are returned empty; order follows runIds, then keys. */
  getMetricSeries(query: MetricSeriesQuery): MetricSeries[];
  /** The same series (same buckets, same order) as columns: the fast read for charts and JSON APIs. */
  getMetricColumns(query: MetricSeriesQuery): MetricColumns[];
  /** The same series again as float64 typed arrays (no per-value copy into JavaScript numbers): for binary APIs. */
  getPackedMetricColumns(query: MetricSeriesQuery): PackedMetricColumns[];
  /** New points since a cursor (for server-sent events), in id order. */
  getMetricsAfter(query: MetricsAfterQuery): MetricsAfterResult;
  /** Highest metric point id so far (0 when empty): where a live stream starts. */
  lastMetricId(): number;
  /** Every point of these runs (and keys), ordered by run (creation order), key, step; read in chunks, so other
   * calls may run on the store between iterations (streamed CSV export). */
  iterateMetrics(query: MetricExportQuery): IterableIterator<MetricPoint>;

  close(): void;
}

/**
 * The write side of a run store as SQLite does it: what the training loop needs, every call answered at once
 * (better-sqlite3 is synchronous), each in one transaction. Every method that takes a run id throws StoreError
 * `NOT_FOUND` for an unknown run. Writes may carry a WriteFence (`{ attempt }`): a write of another attempt than the
 * run's current one is refused with CONFLICT, in its own transaction (a run a queue gave to another worker).
 */
export interface SyncRunWriter {
  /** Get-or-create by name; safe under concurrent processes. */
  createExperiment(name: string): Experiment;

  // --- run lifecycle
  /** Creates a `running` run (attempt 1), its params (flattened resolvedSpec) and tags in one transaction. */
  createRun(input: NewRun): Run;
  /** Terminal statuses set endTime (defaults to now); `running` clears it. */
  setRunStatus(runId: string, status: StoredRunStatus, options?: SetStatusOptions): void;
  /** Record that the run's process is alive; cheap, call it with each flush. */
  heartbeat(runId: string, pid?: number, fence?: WriteFence): void;
  /** Start the run again (a new attempt): status running, new pid/host, endTime cleared, attempt + 1, metrics after
   * `fromStep` (or after the step of the artifact `fromArtifact` names) deleted, latest/best recomputed, all in one
   * transaction. Writes fenced with an older attempt are refused from then on. */
  resumeRun(runId: string, options: ResumeOptions): ResumedRun;
  /** Delete metric points with step > `step` (all keys) and recompute latest/best values. Returns rows deleted. */
  deleteMetricsAfter(runId: string, step: number, fence?: WriteFence): number;

  // --- writes
  /** The one write primitive: metrics, params and tags in one transaction, latest/best updated alongside.
   * Limits (1000 metrics, 100 params, 100 tags) are checked before anything is written. */
  logBatch(runId: string, batch: LogBatchInput, fence?: WriteFence): void;
  /** A one-element logBatch. */
  logMetric(runId: string, metric: MetricInput): void;
  /** A one-element logBatch. */
  logParam(runId: string, key: string, value: string): void;
  /** A one-element logBatch. */
  setTag(runId: string, key: string, value: string): void;
  /** Insert or update (on run, kind, path). */
  logArtifact(runId: string, artifact: NewArtifact, options?: LogArtifactOptions): Artifact;
  logEvaluation(runId: string, evaluation: NewEvaluation): Evaluation;
  close(): void;
}

/** A value now, or a promise of it. */
export type Eventually<T> = T | Promise<T>;

/**
 * The write side of a run store, whatever carries it: the SQLite store answers at once (SyncRunWriter), the tracking
 * server's HTTP client (`createHttpRunWriter`, a run on another machine) answers with promises. Callers await every
 * call. Derived from SyncRunWriter, so the two cannot drift apart.
 */
export type RunWriter = {
  [K in keyof SyncRunWriter]: SyncRunWriter[K] extends (...args: infer A) => infer R ? (...args: A) => Eventually<R> : never;
};

/** Housekeeping over the whole file, by its owner (`vgglab runs gc`, `vgglab runs delete`), not by a training run. */
export interface RunMaintenance {
  /** Mark `running` runs whose process is gone as `killed` (they read as `crashed` until then). */
  gcRuns(options?: GcOptions): GcResult;
  /** Delete a run and everything it owns, in one transaction. A run that shows as `running` is refused (StoreError
   * CONFLICT): stop it first, or `gcRuns` once its process is gone. Files on disk are not touched (`runFolder`
   * says which folder is the run's). */
  deleteRun(runId: string): void;
}

/** What a user changes about a run after it ran (the dashboard's edits): one transaction per call. */
export interface RunEditor {
  /** Rename, write a note, star, set and remove tags; returns the run as it now is. StoreError INVALID (naming the
   * field) for a bad edit, before anything is written. */
  editRun(runId: string, edit: RunEdit): Run;
}

/** An open run store: every side on one SQLite file. */
export interface RunStore extends RunReader, SyncRunWriter, RunMaintenance, RunEditor {
  close(): void;
}

export interface MetricQueueOptions {
  /** Flush at least this often while points are pending. Defaults to 1000 ms. */
  flushEveryMs?: number;
  /** Flush synchronously as soon as this many metrics are pending. Defaults to 1000. */
  maxPending?: number;
  /** Also call store.heartbeat(runId) on each flush. Defaults to true. */
  heartbeat?: boolean;
  /** Heartbeat at least this often even when nothing is logged (a long validation pass logs nothing for minutes), so
   * the run does not read as crashed. Defaults to 10000 ms; 0 turns it off. Needs `heartbeat`. */
  heartbeatEveryMs?: number;
}

/**
 * Batches writes of one run behind logBatch's interface. Anything still pending is flushed on `close()`,
 * on `flush()`, and synchronously when the process exits. A background flush that fails is rethrown from the
 * next call; on a transient failure (SQLITE_BUSY past the timeout, I/O) its entries stay queued and are retried,
 * on a StoreError (a param changing value, a deleted run) that batch is dropped.
 */
export interface MetricQueue {
  logBatch(batch: LogBatchInput): void;
  logMetric(metric: MetricInput): void;
  logParam(key: string, value: string): void;
  setTag(key: string, value: string): void;
  /** Number of metrics, params and tags not yet written. */
  readonly pending: number;
  /** Write everything pending now (split to respect batch limits). */
  flush(): Promise<void>;
  /** Flush and stop the timer; later logs throw. */
  close(): Promise<void>;
}
