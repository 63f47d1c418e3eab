/** The queue's defaults, in one place. */
export const QUEUE_DEFAULTS = {
  /** One BullMQ queue holds every sweep's points; a job's name is its experiment. */
  queueName: 'vgglab-sweeps',
  /** A point that fails is tried this many times in all (a hand-back on SIGTERM uses none). */
  attempts: 3,
  /** Pause before the next try of a failed point: exponential from this. */
  backoffMs: 5000,
  /** A worker's lock on its job; renewed at half of it by the worker's event loop (training runs in a child process,
   * so the loop stays free). A worker that dies loses its job after this long. */
  lockDurationMs: 30_000,
  /** How often workers look for jobs whose lock expired (they go back to waiting). */
  stalledIntervalMs: 30_000,
  /** Times a job may go back to waiting after its worker vanished before it is failed: machines die. */
  maxStalledCount: 3,
  /** Jobs run at once by one worker. */
  concurrency: 1,
  /** Jobs of each state the dashboard's queue panel reads. */
  overviewLimit: 1000,
  /** Redis older than this is refused at worker start (BullMQ warns below it). */
  minRedisVersion: '6.2.0',
} as const;

/** Environment variable naming the Redis URL (`--redis` wins). */
export const REDIS_ENV_VAR = 'VGGLAB_REDIS_URL';
