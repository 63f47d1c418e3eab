/** Every default of the runner, in one place. Spec-level defaults live in the spec schema (core). */

/** Environment variable naming the tracking server (`--server` wins): runs are written there instead of a file. */
export const TRACKING_URI_ENV_VAR = 'VGGLAB_TRACKING_URI';
/** The token of the tracking server (and of a dashboard beyond loopback). */
export const TOKEN_ENV_VAR = 'VGGLAB_TOKEN';

/** Where a run keeps its files, under the runs folder: `<runsDir>/<run-id>/checkpoints/{best,last}`. */
export const CHECKPOINTS_SUBDIR = 'checkpoints';
export const BEST_CHECKPOINT = 'best';
export const LAST_CHECKPOINT = 'last';

/** Tag holding the spec file's absolute path: a resumed run resolves relative paths against its folder. */
export const SPEC_FILE_TAG = 'spec_file';
/** How a sweep's child processes learn the command line the user typed (JSON words), to store with their runs. */
export const PARENT_COMMAND_ENV = 'VGGLAB_PARENT_COMMAND';

/** Artifact kinds recorded in the store. */
export const ARTIFACT_BEST = 'checkpoint-best';
export const ARTIFACT_LAST = 'checkpoint-last';

/** Metric keys the loop logs. `train.monitor` must name one of the per-epoch keys. */
export const METRIC = {
  trainLoss: 'train/loss',
  learningRate: 'train/lr',
  imagesPerSecond: 'train/images_per_sec',
  trainEpochLoss: 'train/epoch_loss',
  trainAccuracy: 'train/accuracy',
  valLoss: 'val/loss',
  valAccuracy: 'val/accuracy',
  epochSeconds: 'time/epoch_seconds',
} as const;
export const EPOCH_METRICS: readonly string[] = [
  METRIC.trainEpochLoss,
  METRIC.trainAccuracy,
  METRIC.valLoss,
  METRIC.valAccuracy,
  METRIC.epochSeconds,
];

/** `vgglab predict --top`. */
export const DEFAULT_TOP_K = 5;
/** `vgglab runs --limit`. */
export const DEFAULT_RUNS_LIMIT = 20;
/** `vgglab exp --workers`. */
export const DEFAULT_WORKERS = 1;
/** `vgglab data split --val`, `--seed` (the seed's 90/10 split with seed 0). */
export const DEFAULT_VAL_FRACTION = 0.1;
export const DEFAULT_SPLIT_SEED = 0;
/** `vgglab data fetch --dest`. */
export const DEFAULT_DATA_DIR = 'data';

/** Progress output: redraw a terminal bar at most this often; plain lines every this many steps otherwise. */
export const PROGRESS_REDRAW_MS = 100;
export const PROGRESS_PLAIN_EVERY_STEPS = 20;

/**
 * Exit codes: 1 error, 2 bad usage or spec, 3 partly done (some input files could not be read: each is
 * reported, the others were processed), 75 taken over (the tracking server refused this run's writes: another
 * worker started it again; EX_TEMPFAIL), 130 interrupted (SIGINT, as shells report it).
 */
export const EXIT = { ok: 0, error: 1, usage: 2, partial: 3, interrupted: 130, fenced: 75 } as const;
