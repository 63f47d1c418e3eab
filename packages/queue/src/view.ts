/**
 * The queue as the tracking server sees it: which runs live jobs hold (a run held by a job is not recorded crashed:
 * the queue decides when its worker is gone), whether a worker still holds its job's lock (checked before it may
 * start an attempt of the run), and the per-sweep overview of the dashboard's queue panel.
 */
import { Job, Queue } from 'bullmq';
import type { JobClaim } from '@vgglab/store';
import { redisOptions } from './connection.ts';
import { QUEUE_DEFAULTS } from './defaults.ts';
import type { JobProgress, JobResult, SweepPointJob } from './jobs.ts';

/** A job as the queue panel lists it: one sweep point, where it is, who runs it. */
export interface QueueJob {
  id: string;
  /** The sweep point's values, e.g. `optimizer.lr=0.01`. */
  label: string;
  state: 'waiting' | 'running' | 'failed' | 'finished';
  /** The worker running it (`host:pid`), while running. */
  worker: string | null;
  runId: string | null;
  /** Progress the worker reported. */
  step: number | null;
  epoch: number | null;
  /** Attempts used and allowed (a hand-back on SIGTERM uses none). */
  attemptsMade: number;
  attempts: number;
  /** Why it failed (the last attempt's error; also on a point waiting for its next try). */
  error: string | null;
  /** When it was added (ms). */
  addedAt: number;
}

/** One sweep (an experiment name): counts by state and its jobs. */
export interface QueueSweep {
  experiment: string;
  waiting: number;
  running: number;
  failed: number;
  finished: number;
  jobs: QueueJob[];
}

/** `enabled` is false when the server has no queue. */
export interface QueueOverview {
  enabled: boolean;
  queue: string | null;
  sweeps: QueueSweep[];
}

export interface QueueView {
  /** Run ids that active jobs hold (their workers report them as progress). */
  heldRuns(): Promise<Set<string>>;
  /** Whether the worker that sent this claim still holds its job's lock (checking extends the lock). */
  holdsLock(claim: JobClaim): Promise<boolean>;
  overview(): Promise<QueueOverview>;
  close(): Promise<void>;
}

const STATES: [QueueJob['state'], ('waiting' | 'delayed' | 'prioritized' | 'active' | 'failed' | 'completed')[]][] = [
  ['running', ['active']],
  ['waiting', ['waiting', 'delayed', 'prioritized']],
  ['failed', ['failed']],
  ['finished', ['completed']],
];

function toQueueJob(job: Job<SweepPointJob, JobResult>, state: QueueJob['state']): QueueJob {
  const progress = (typeof job.progress === 'object' && job.progress !== null ? job.progress : {}) as Partial<JobProgress>;
  return {
    id: String(job.id),
    label: job.data?.label ?? String(job.id),
    state,
    worker: state === 'running' ? (progress.worker ?? job.processedBy ?? null) : null,
    runId: progress.runId ?? job.returnvalue?.runId ?? null,
    step: progress.step ?? null,
    epoch: progress.epoch ?? null,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    error: job.failedReason || null,
    addedAt: job.timestamp,
  };
}

export function createQueueView(redisUrl: string, options: { queueName?: string; limit?: number } = {}): QueueView {
  const name = options.queueName ?? QUEUE_DEFAULTS.queueName;
  const limit = options.limit ?? QUEUE_DEFAULTS.overviewLimit;
  // Commands fail at once while Redis is down (no offline queue): the server then skips a round instead of waiting.
  const queue = new Queue<SweepPointJob, JobResult>(name, { connection: redisOptions(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) });
  queue.on('error', () => undefined); // each call reports its own failure

  return {
    async heldRuns() {
      const active = (await queue.getJobs(['active'], 0, limit - 1)) as Job<SweepPointJob, JobResult>[];
      const ids = active.map((job) => (job.progress as Partial<JobProgress> | undefined)?.runId).filter((id): id is string => typeof id === 'string');
      return new Set(ids);
    },

    async holdsLock(claim) {
      if (claim.queue !== name) return false;
      const job = await Job.fromId(queue, claim.jobId);
      if (!job) return false;
      return (await job.extendLock(claim.token, claim.lockMs)) === 1;
    },

    async overview() {
      const sweeps = new Map<string, QueueSweep>();
      for (const [state, types] of STATES) {
        const jobs = (await queue.getJobs(types, 0, limit - 1, true)) as Job<SweepPointJob, JobResult>[];
        for (const job of jobs) {
          if (!job) continue;
          const experiment = job.data?.experiment ?? job.name;
          let sweep = sweeps.get(experiment);
          if (!sweep) sweeps.set(experiment, (sweep = { experiment, waiting: 0, running: 0, failed: 0, finished: 0, jobs: [] }));
          sweep[state]++;
          sweep.jobs.push(toQueueJob(job, state));
        }
      }
      for (const sweep of sweeps.values()) sweep.jobs.sort((a, b) => a.addedAt - b.addedAt || a.label.localeCompare(b.label));
      return { enabled: true, queue: name, sweeps: [...sweeps.values()].sort((a, b) => a.experiment.localeCompare(b.experiment)) };
    },

    close: () => queue.close(),
  };
}
