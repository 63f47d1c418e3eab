// Public surface of @vgglab/queue: sweeps on a BullMQ queue (Redis) that workers pull, and the queue as the tracking
// server sees it. It knows nothing of training: the runner gives the worker its `runJob`.
export { QUEUE_DEFAULTS, REDIS_ENV_VAR } from './defaults.ts';
export { checkRedis, readRedisFacts, redisProblems, redisOptions, showRedisUrl } from './connection.ts';
export type { RedisFacts } from './connection.ts';
export { jobIdFor, submitPoints } from './jobs.ts';
export type { JobProgress, JobResult, SubmitOptions, SubmitResult, SweepPointJob } from './jobs.ts';
export { createQueueView } from './view.ts';
export type { QueueJob, QueueOverview, QueueSweep, QueueView } from './view.ts';
export { startWorker } from './worker.ts';
export type { JobContext, JobOutcome, RunningWorker, WorkerOptions } from './worker.ts';
