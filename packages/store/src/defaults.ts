/** Every default and limit of the run store, in one place (the param keys it knows are in param-keys.ts). */

/** The store file when neither `--db`, VGGLAB_DB nor the spec's `store.db` names one, relative to where the command
 * was run. */
export const DEFAULT_DB_FILE = 'runs/vgglab.db';
/** Environment variable naming the store file. */
export const DB_ENV_VAR = 'VGGLAB_DB';

/** Per-batch limits, as MLflow's: bigger batches must be split (createMetricQueue does it). */
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_PER_BATCH = 100;
export const MAX_TAGS_PER_BATCH = 100;

export const MAX_KEY_LENGTH = 250;
/** MLflow's param value limit. */
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;

/** Writers wait this long for another process's lock before SQLITE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 15_000;
/** A `running` run of another host reads as `crashed` after this long without a heartbeat (the metric queue beats
 * every 10 s even when nothing is logged; generous for a process whose event loop is busy). Same-host runs are
 * judged by their process instead. */
export const DEFAULT_STALE_HEARTBEAT_MS = 10 * 60_000;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_SORT_KEY = 'startTime';

export const DEFAULT_SERIES_MAX_POINTS = 1000;
/** Points per packed series block (series-blocks.ts): 16 KiB blobs. An append rewrites the last, partial block,
 * so smaller blocks write less per logBatch; larger ones mean fewer reads per series. */
export const SERIES_BLOCK_POINTS = 512;
export const DEFAULT_METRICS_AFTER_LIMIT = 5000;

export const DEFAULT_QUEUE_FLUSH_EVERY_MS = 1000;
export const DEFAULT_QUEUE_MAX_PENDING = 1000;
/** A run that logs nothing (a long validation pass) still heartbeats this often. */
export const DEFAULT_QUEUE_HEARTBEAT_EVERY_MS = 10_000;

/** Shortest run-id prefix resolveRunId accepts. */
export const MIN_RUN_ID_PREFIX = 4;
/** Most values a filter menu (facet) lists. */
export const MAX_FACET_VALUES = 200;
