/**
 * The run store's public types. One SQLite file holds experiments, runs, params, metrics (with a latest/best
 * table kept in the same transaction), tags, artifacts and evaluation results. Times are Unix epoch
 * milliseconds everywhere.
 */

/** Lifecycle of a run. `killed`: stopped by Ctrl-C, or found dead by `gcRuns`. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';

export interface OpenStoreOptions {
  /** Open without write access (the dashboard). The file must exist and be at the current schema. Defaults to false. */
  readonly?: boolean;
  /** How long a writer waits for another process's lock before failing. Defaults to 15000 ms. */
  busyTimeoutMs?: number;
}

export interface Experiment {
  id: number;
  name: string;
  createdAt: number;
}

/** One metric point as the training loop logs it. */
export interface MetricInput {
  /** e.g. `train/loss`, `val/accuracy`. 1..250 characters. */
  key: string;
  /** Any number; NaN, Infinity and -Infinity are stored and read back faithfully. */
  value: number;
  /** Global training step (a safe integer). Writes are idempotent on (run, key, step): logging the same
   * step again replaces the earlier point. */
  step: number;
  /** Epoch the point belongs to, if any. */
  epoch?: number | null;
  /** Wall time in ms. Defaults to Date.now() at logBatch time. */
  timestamp?: number;
}

/** A stored metric point. `id` grows monotonically across the whole store (a cursor for live updates). */
export interface MetricPoint {
  id: number;
  runId: string;
  key: string;
  value: number;
  step: number;
  epoch: number | null;
  timestamp: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** Argument of the one write primitive. Params are write-once per run (same value again is a no-op, another
 * value is an error); tags are upserted. */
export interface LogBatchInput {
  metrics?: readonly MetricInput[];
  params?: readonly KeyValue[];
  tags?: readonly KeyValue[];
}

/** Latest and best-so-far values of one metric of one run, maintained by logBatch in the same transaction.
 * NaN points count as latest but never as min/max. */
export interface LatestMetric {
  key: string;
  value: number;
  step: number;
  epoch: number | null;
  timestamp: number;
  /** Smallest non-NaN value so far, and the step where it occurred; null when every point was NaN. */
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
  /** Number of stored points for this key. */
  count: number;
}

export interface NewRun {
  /** Experiment id or name (a name is get-or-created). */
  experiment: number | string;
  /** Defaults to a 32-hex random id. */
  id?: string;
  /** Human name; defaults to the first 8 characters of the id. */
  name?: string;
  /** The spec file's text as written (YAML), for reproducibility. */
  specText?: string | null;
  /** The resolved spec (defaults applied, overrides merged). Stored as JSON and flattened into params
   * (`optimizer.lr`, `model.name`, …) in the same transaction; params from the spec are not subject to the
   * per-batch limit. */
  resolvedSpec: unknown;
  /** Identity of the experiment definition, required: core's `specHash(spec)` (sha256 of the canonical spec without
   * sweep, description, tags and store), which `findRunBySpecHash` matches to skip or resume sweep points. The
   * store does not compute it: one definition lives in core. */
  specHash: string;
  seed?: number | null;
  gitCommit?: string | null;
  /** e.g. `{ "@tensorflow/tfjs": "4.22.0", node: "20.20.0" }`. */
  packageVersions?: Record<string, string>;
  /** Compute backend actually used, e.g. `wasm`. */
  backend?: string | null;
  /** Defaults to os.hostname(). */
  host?: string;
  /** Defaults to process.pid. */
  pid?: number | null;
  /** Values this run took from a sweep grid, e.g. `{ "model.name": "vgg11" }`. */
  sweepValues?: Record<string, unknown> | null;
  tags?: Record<string, string>;
  /** Defaults to Date.now(). */
  startTime?: number;
}

export interface Run {
  id: string;
  experimentId: number;
  experimentName: string;
  name: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  /** Last sign of life written by the run's process (createRun, heartbeat, resumeRun). */
  heartbeatAt: number;
  specText: string | null;
  resolvedSpec: unknown;
  specHash: string;
  seed: number | null;
  gitCommit: string | null;
  packageVersions: Record<string, string>;
  backend: string | null;
  host: string;
  pid: number | null;
  sweepValues: Record<string, unknown> | null;
}

/** A row of the run list: the run without its (large) spec texts, plus params, tags and latest metrics. */
export interface RunSummary extends Omit<Run, 'specText' | 'resolvedSpec'> {
  /** endTime (or now, while running) minus startTime. */
  durationMs: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, LatestMetric>;
}

export interface NewArtifact {
  /** e.g. `checkpoint-best`, `checkpoint-last`, `confusion-matrix`, `predictions`. */
  kind: string;
  /** Path as the runner wrote it (relative to the store's folder when inside it). */
  path: string;
  step?: number | null;
  epoch?: number | null;
  /** Any JSON-serialisable value (e.g. `{ monitor: "val/accuracy", value: 0.93 }`). */
  metadata?: unknown;
}

/** Artifacts are unique on (run, kind, path): logging the same one again updates step, epoch and metadata. */
export interface Artifact {
  id: number;
  runId: string;
  kind: string;
  path: string;
  step: number | null;
  epoch: number | null;
  metadata: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface ClassMetrics {
  className: string;
  precision: number;
  recall: number;
  /** Number of true examples of this class. */
  support: number;
}

export interface NewEvaluation {
  /** What was evaluated, e.g. `val`, `test`, or a data folder path. */
  dataset: string;
  /** Checkpoint used, if any (e.g. the best checkpoint's path). */
  checkpoint?: string | null;
  step?: number | null;
  epoch?: number | null;
  accuracy: number;
  /** Order of the confusion matrix's rows (true class) and columns (predicted class). */
  classNames: string[];
  perClass: ClassMetrics[];
  confusionMatrix: number[][];
  /** Further JSON-serialisable facts (loss, top-5 accuracy, sample count, …). */
  extra?: Record<string, unknown>;
}

export interface Evaluation extends Required<Omit<NewEvaluation, 'extra'>> {
  id: number;
  runId: string;
  createdAt: number;
  extra: Record<string, unknown>;
}

/** One run with everything the run view shows except metric histories. */
export interface RunDetails extends Run {
  durationMs: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, LatestMetric>;
  artifacts: Artifact[];
  /** Newest first. */
  evaluations: Evaluation[];
}

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

export interface GcOptions {
  /** Only runs recorded on this host have their pid checked. Defaults to os.hostname(). */
  host?: string;
  /** Also mark `running` runs (any host; e.g. another machine, or a reused pid) as killed when their heartbeat is
   * older than this. Off by default. */
  staleAfterMs?: number;
  /** Report what would be killed without writing. */
  dryRun?: boolean;
  /** How to tell a pid is alive; defaults to `process.kill(pid, 0)` (EPERM counts as alive). For tests. */
  isAlive?: (pid: number) => boolean;
}

export interface GcResult {
  /** Ids of runs marked (or, in a dry run, that would be marked) killed. */
  killed: string[];
}

export interface ResumeOptions {
  /** The step of the checkpoint being resumed from: metric points after it are deleted (and latest/best values
   * recomputed) so the resumed run does not duplicate or keep stale rows. */
  fromStep: number;
  /** Defaults to process.pid. */
  pid?: number;
  /** Defaults to os.hostname(). */
  host?: string;
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
 * The write side of a run store: what the training loop needs. Writes are synchronous (better-sqlite3), each in
 * one transaction; the metric queue adds asynchronous batching on top. Every method that takes a run id throws
 * StoreError `NOT_FOUND` for an unknown run.
 */
export interface RunWriter {
  /** Get-or-create by name; safe under concurrent processes. */
  createExperiment(name: string): Experiment;

  // --- run lifecycle
  /** Creates a `running` run, its params (flattened resolvedSpec) and tags in one transaction. */
  createRun(input: NewRun): Run;
  /** Terminal statuses set endTime (defaults to now); `running` clears it. */
  setRunStatus(runId: string, status: RunStatus, options?: { endTime?: number }): void;
  /** Record that the run's process is alive; cheap, call it with each flush. */
  heartbeat(runId: string, pid?: number): void;
  /** Continue an interrupted run: status running, new pid/host, endTime cleared, metrics after `fromStep`
   * deleted, latest/best recomputed, all in one transaction. */
  resumeRun(runId: string, options: ResumeOptions): Run;
  /** Delete metric points with step > `step` (all keys) and recompute latest/best values. Returns rows deleted. */
  deleteMetricsAfter(runId: string, step: number): number;
  /** Mark `running` runs whose process is gone as `killed`. */
  gcRuns(options?: GcOptions): GcResult;
  /** Delete a run and everything it owns. Files on disk are not touched. */
  deleteRun(runId: string): void;

  // --- writes
  /** The one write primitive: metrics, params and tags in one transaction, latest/best updated alongside.
   * Limits (1000 metrics, 100 params, 100 tags) are checked before anything is written. */
  logBatch(runId: string, batch: LogBatchInput): void;
  /** A one-element logBatch. */
  logMetric(runId: string, metric: MetricInput): void;
  /** A one-element logBatch. */
  logParam(runId: string, key: string, value: string): void;
  /** A one-element logBatch. */
  setTag(runId: string, key: string, value: string): void;
  /** Insert or update (on run, kind, path). */
  logArtifact(runId: string, artifact: NewArtifact): Artifact;
  logEvaluation(runId: string, evaluation: NewEvaluation): Evaluation;
  close(): void;
}

/** An open run store: both sides on one SQLite file. */
export interface RunStore extends RunReader, RunWriter {
  close(): void;
}

export interface MetricQueueOptions {
  /** Flush at least this often while points are pending. Defaults to 1000 ms. */
  flushEveryMs?: number;
  /** Flush synchronously as soon as this many metrics are pending. Defaults to 1000. */
  maxPending?: number;
  /** Also call store.heartbeat(runId) on each flush. Defaults to true. */
  heartbeat?: boolean;
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

export type StoreErrorCode =
  | 'BATCH_LIMIT'
  | 'INVALID'
  | 'NOT_FOUND'
  | 'AMBIGUOUS'
  | 'CONFLICT'
  | 'READONLY'
  | 'SCHEMA';
