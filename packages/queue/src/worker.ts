/**
 * A worker: pulls sweep points from the queue and runs each through `runJob` (the runner's: a training in a child
 * process, so this process's event loop stays free to renew the job's lock). On stop (SIGTERM) every running job is
 * asked to checkpoint and stop, then handed back to the queue without using up an attempt (BullMQ's moveToWait +
 * WaitingError). A job whose run fails is failed with the error, and BullMQ tries it again up to its attempts; the
 * other jobs go on. A worker that dies loses its jobs' locks, and after `lockDurationMs` another worker's stalled
 * check puts them back to waiting; the next attempt resumes from the last uploaded checkpoint.
 */
import { hostname } from 'node:os';
import { type Job, WaitingError, Worker } from 'bullmq';
import type { JobClaim } from '@vgglab/store';
import { checkRedis, redisOptions, showRedisUrl } from './connection.ts';
import { QUEUE_DEFAULTS } from './defaults.ts';
import type { JobProgress, JobResult, SweepPointJob } from './jobs.ts';

export interface JobContext {
  jobId: string;
  /** Sent to the tracking server when the run's attempt starts: it checks the lock is still this worker's. */
  claim: JobClaim;
  /** Aborted when the worker stops (SIGTERM): checkpoint, upload, and end with `handed-back`. */
  signal: AbortSignal;
  /** Reports progress (shown on the dashboard's queue panel; the run id tells the server who holds the run). */
  progress(update: Omit<JobProgress, 'worker'>): void;
  /** Tries already used (failures) and allowed. */
  attemptsMade: number;
  attempts: number;
}

export type JobOutcome =
  | { kind: 'finished'; result: JobResult }
  /** Stopped on request with its checkpoint uploaded: back to waiting, no attempt used. */
  | { kind: 'handed-back' }
  /** Counts as a try; the message is the job's error. */
  | { kind: 'failed'; message: string }
  /** Another worker has the job now (the server refused this attempt): nothing of ours to record. */
  | { kind: 'lost'; message: string };

export interface WorkerOptions {
  redisUrl: string;
  queueName?: string;
  concurrency?: number;
  /** Shown on the queue panel. Defaults to `host:pid`. */
  name?: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  runJob(job: SweepPointJob, context: JobContext): Promise<JobOutcome>;
  log?(line: string): void;
  /** Check Redis before taking jobs (version, eviction policy, persistence). Defaults to true. */
  checkRedis?: boolean;
}

export interface RunningWorker {
  name: string;
  /** Asks running jobs to checkpoint and hands them back, then closes. */
  stop(): Promise<void>;
  /** Resolves once the worker is closed. */
  closed: Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? (() => undefined);
  if (options.checkRedis ?? true) await checkRedis(options.redisUrl);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const lockMs = options.lockDurationMs ?? QUEUE_DEFAULTS.lockDurationMs;
  const queueName = options.queueName ?? QUEUE_DEFAULTS.queueName;
  const stopping = new AbortController();

  const processor = async (job: Job<SweepPointJob, JobResult>, token?: string): Promise<JobResult> => {
    const id = String(job.id);
    const claim: JobClaim = { queue: queueName, jobId: id, token: token ?? '', lockMs };
    log(`job ${id} (${job.data.label}): started, try ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}`);
    const outcome = await options.runJob(job.data, {
      jobId: id,
      claim,
      signal: stopping.signal,
      progress: (update) => void job.updateProgress({ ...update, worker: name }).catch(() => undefined),
      attemptsMade: job.attemptsMade,
      attempts: job.opts.attempts ?? 1,
    });
    switch (outcome.kind) {
      case 'finished':
        log(`job ${id}: ${outcome.result.status} (run ${outcome.result.runId})`);
        return outcome.result;
      case 'handed-back':
        // Back to waiting with its attempts as they were: the next worker resumes from the uploaded checkpoint.
        await job.moveToWait(token);
        log(`job ${id}: handed back to the queue`);
        throw new WaitingError();
      case 'failed':
        log(`job ${id}: failed: ${outcome.message}`);
        throw new Error(outcome.message);
      case 'lost':
        log(`job ${id}: taken over by another worker (${outcome.message})`);
        throw new Error(outcome.message);
    }
  };

  const worker = new Worker<SweepPointJob, JobResult>(queueName, processor, {
    connection: redisOptions(options.redisUrl),
    concurrency: options.concurrency ?? QUEUE_DEFAULTS.concurrency,
    name,
    lockDuration: lockMs,
    stalledInterval: options.stalledIntervalMs ?? QUEUE_DEFAULTS.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount,
    autorun: false,
  });
  worker.on('error', (error) => log(`queue: ${error.message}`));
  worker.on('failed', (job, error) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) log(`job ${job.id}: failed after ${job.attemptsMade} tries: ${error.message}`);
  });
  const closed = new Promise<void>((resolve) => worker.once('closed', () => resolve()));
  void worker.run().catch((error: unknown) => log(`queue: ${(error as Error).message}`));
  log(`worker ${name}: taking jobs of queue ${queueName} on ${showRedisUrl(options.redisUrl)} (concurrency ${options.concurrency ?? 1})`);

  let stopped: Promise<void> | undefined;
  return {
    name,
    closed,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await worker.close();
      })();
      return stopped;
    },
  };
}
