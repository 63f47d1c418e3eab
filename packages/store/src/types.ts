/**
 * The run store's public types. One SQLite file holds experiments, runs, params, metrics (with a latest/best
 * table kept in the same transaction), tags, artifacts and evaluation results. Times are Unix epoch
 * milliseconds everywhere.
 */

/**
 * The status a run shows. `killed`: stopped by Ctrl-C, or found dead by `gcRuns`. `crashed`: the run's process is
 * gone without a word. A stored `running` run reads as `crashed` once its process is gone (same host: the pid is not
 * alive, or belongs to another process than the one that recorded it; another host: no heartbeat for
 * `staleHeartbeatMs`), in every listing, filter, sort and get, from any connection, read-only ones included; the
 * tracking server also stores `crashed` for a remote run whose heartbeat stopped and that no live job holds.
 */
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed' | 'crashed';
/** The statuses a writer sets (`setRunStatus`): all of them. */
export type StoredRunStatus = RunStatus;

/**
 * What a write of a run that may be written from several places (workers of a queue) says about itself: the attempt
 * it belongs to, as `createRun` / `resumeRun` answered. A write naming another attempt than the run's current one is
 * refused with StoreError CONFLICT, checked in the write's own transaction, so a worker that lost its job to
 * another cannot write over the new attempt's rows. Without `attempt` nothing is checked (a run on this machine).
 */
export interface WriteFence {
  attempt?: number;
}

/** Options of setRunStatus: when it ended (terminal statuses; defaults to now), and the writer's attempt. */
export interface SetStatusOptions extends WriteFence {
  endTime?: number;
}

export interface OpenStoreOptions {
  /**
   * Open without write access. The file must exist, be a vgglab store and be at the current schema; nothing is
   * created or migrated. Defaults to false. Prefer `openRunReader(file)`, which is typed as a RunReader.
   */
  readonly?: boolean;
  /** How long a writer waits for another process's lock before failing. Defaults to 15000 ms. */
  busyTimeoutMs?: number;
  /** A `running` run recorded on another host reads as `crashed` when its last heartbeat is older than this.
   * Defaults to 10 minutes (DEFAULT_STALE_HEARTBEAT_MS). */
  staleHeartbeatMs?: number;
  /** A writer that serves many runs (the tracking server): no WAL checkpoint inside a commit; a worker thread runs a
   * passive checkpoint this often instead (storage/checkpointer.ts). Off by default (SQLite's own, every 1,000
   * pages). */
  checkpointEveryMs?: number;
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
  /** What tells the run's process from a later one with the same pid (processStartOf(pid)); defaults to that of
   * `pid` when the run is on this host. A writer on another machine passes its own. */
  processStart?: string | null;
  /** Values this run took from a sweep grid, e.g. `{ "model.name": "vgg11" }`. */
  sweepValues?: Record<string, unknown> | null;
  tags?: Record<string, string>;
  /** Defaults to Date.now(). */
  startTime?: number;
  /** The command line that started the run, as its words (e.g. `['vgglab', 'exp', 'x.yaml', '-o', 'optimizer.lr=0.02']`),
   * so the run can be started again; at most 200 words of at most 4,000 characters each. */
  command?: readonly string[] | null;
  /** Every `-o field=value` override applied to the spec, as given, in order. */
  overrides?: readonly string[];
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
  /** Free text written about the run (the page's note); '' when none. */
  note: string;
  /** Marked by a user as worth keeping an eye on. */
  starred: boolean;
  /** The command line that started it, as words; null when not recorded (runs from before schema 6). */
  command: string[] | null;
  /** The `-o` overrides applied to its spec, as given ([] when none or not recorded). */
  overrides: string[];
  /** Starts of this run: 1 when created, one more at each `resumeRun`. Writes may name it (WriteFence). */
  attempt: number;
}

/** What `resumeRun` answers: the run at its new attempt, and the artifact it resumes from (with `fromArtifact`). */
export interface ResumedRun extends Run {
  /** The step points after which were deleted (-1: every point). */
  fromStep: number;
  /** The run's artifact of the kind `fromArtifact` named, read in the same transaction; null without one. */
  resumedFrom: Artifact | null;
}

/**
 * What a user changes about a run after the fact (`editRun`), all in one transaction: its name, note, star and
 * tags. Fields left out stay as they are.
 */
export interface RunEdit {
  /** 1..200 characters, not only spaces. */
  name?: string;
  /** At most 10,000 characters; '' clears it. */
  note?: string;
  starred?: boolean;
  /** Tags to set (upserted) and tag keys to remove; a key may not be in both. */
  tags?: { set?: Record<string, string>; remove?: readonly string[] };
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
  /** sha256 (hex) and size of the file, when known (an upload through the tracking server). */
  sha256?: string | null;
  bytes?: number | null;
}

/** Options of `logArtifact`. */
export interface LogArtifactOptions extends WriteFence {
  /** The run keeps one artifact of this kind: rows of the same kind with another path are deleted in the same
   * transaction (an uploaded checkpoint replacing the previous one). Defaults to false. */
  replaceKind?: boolean;
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
  sha256: string | null;
  bytes: number | null;
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
  /** The images it got wrong, so a confusion-matrix cell can show them. */
  misclassified?: MisclassifiedSamples | null;
}

/**
 * Images an evaluation got wrong: paths relative to the dataset's folder (`root`, absolute; null for a dataset without
 * files, such as synthetic shapes), each with its true and predicted class (indexes into `classNames`). A writer may
 * keep only the first few of each cell; at most 10,000 items.
 */
export interface MisclassifiedSamples {
  root: string | null;
  items: { path: string; true: number; predicted: number }[];
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

export interface GcOptions {
  /** Only runs recorded on this host have their pid checked (gone, or now another process). Defaults to
   * os.hostname(). */
  host?: string;
  /** Also mark `running` runs (any host; e.g. another machine, or a reused pid) as killed when their heartbeat is
   * older than this. Off by default. */
  staleAfterMs?: number;
  /** Report what would be killed without writing. */
  dryRun?: boolean;
  /** The status recorded. Defaults to `killed` (`vgglab runs gc`); the tracking server records `crashed`. */
  mark?: 'killed' | 'crashed';
  /** Runs to leave alone whatever their heartbeat: those a live job of the queue holds. */
  exclude?: ReadonlySet<string>;
  /** How to tell a pid is alive; defaults to `process.kill(pid, 0)` (EPERM counts as alive). For tests. */
  isAlive?: (pid: number) => boolean;
}

export interface GcResult {
  /** Ids of runs marked (or, in a dry run, that would be marked) killed. */
  killed: string[];
}

export interface ResumeOptions {
  /** The step of the checkpoint being resumed from: metric points after it are deleted (and latest/best values
   * recomputed) so the resumed run does not duplicate or keep stale rows. One of fromStep and fromArtifact. */
  fromStep?: number;
  /** Resume from the run's artifact of this kind (e.g. `checkpoint-last`): its step, read in the same transaction
   * that starts the new attempt, so no older attempt can commit another one in between; -1 (every point deleted)
   * when the run has none. The artifact is returned as `resumedFrom`. */
  fromArtifact?: string;
  /** Defaults to process.pid. */
  pid?: number;
  /** Defaults to os.hostname(). */
  host?: string;
  /** Defaults to processStartOf(pid) when on this host (see NewRun.processStart). */
  processStart?: string | null;
}

// The query types (run list, metric reads, exports, facets), in queries/types.ts.
export type * from './queries/types.ts';

// The read and write sides (RunReader, RunWriter, RunMaintenance, RunStore) and the queue, in interfaces.ts.
export type * from './interfaces.ts';

export type StoreErrorCode =
  | 'BATCH_LIMIT'
  | 'INVALID'
  | 'NOT_FOUND'
  | 'AMBIGUOUS'
  | 'CONFLICT'
  | 'READONLY'
  | 'SCHEMA'
  | 'PERMISSION';
