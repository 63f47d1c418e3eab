/**
 * A sweep point as a BullMQ job. Its id comes from the experiment and the point's spec hash, so submitting the same
 * sweep twice adds nothing (BullMQ ignores an add with an existing id), and finished points, kept as completed
 * jobs, are not run again.
 */
import { Queue } from 'bullmq';
import { redisOptions } from './connection.ts';
import { QUEUE_DEFAULTS } from './defaults.ts';

/** What a worker needs to run one sweep point, carried in the job. */
export interface SweepPointJob {
  /** The experiment (the spec's name): the sweep the point belongs to. */
  experiment: string;
  /** core's specHash of the point's resolved spec: finds its run on the tracking server. */
  specHash: string;
  /** The point's values, e.g. `optimizer.lr=0.01`. */
  label: string;
  /** A new run's name for this point (core's SweepPoint.name: the values that vary, `vgg16 · lr 0.001`); '' for the
   * spec's name. */
  name?: string;
  /** The command line that submitted the sweep, and the `-o` overrides it applied: stored with the point's run. */
  command?: string[] | null;
  overrides?: string[];
  /** Index of the point in the sweep. */
  index: number;
  /** The resolved, validated spec of this point. */
  spec: unknown;
  /** The spec file as written (stored with the run). */
  specText: string | null;
  /** Where the spec file was on the submitting machine: relative paths of the spec (data, plugins) resolve against
   * its folder, which must exist on the workers too (a shared folder), else against the worker's folder. */
  specFile: string;
  sweepValues: Record<string, unknown>;
}

/** What a worker reports while a job runs (BullMQ's job progress). */
export interface JobProgress {
  /** The worker (`host:pid`). */
  worker: string;
  runId?: string;
  attempt?: number;
  step?: number;
  epoch?: number;
}

/** What a finished job returns. */
export interface JobResult {
  runId: string | null;
  status: string;
}

/** The job id of a sweep point: no `:` (BullMQ's separator), never digits alone. */
export function jobIdFor(experiment: string, specHash: string): string {
  return `${experiment.replace(/[^A-Za-z0-9._-]/g, '_')}--${specHash.slice(0, 40)}`;
}

export interface SubmitOptions {
  redisUrl: string;
  queueName?: string;
  /** Tries per point. Defaults to 3. */
  attempts?: number;
  backoffMs?: number;
}

export interface SubmitResult {
  /** Points added to the queue. */
  added: { id: string; label: string }[];
  /** Points already there, with their state (a job of the same id: waiting, active, completed, failed, …). */
  present: { id: string; label: string; state: string }[];
}

/** Adds one job per point; points already in the queue (any state) are left as they are. */
export async function submitPoints(points: readonly SweepPointJob[], options: SubmitOptions): Promise<SubmitResult> {
  const queue = new Queue<SweepPointJob, JobResult, string>(options.queueName ?? QUEUE_DEFAULTS.queueName, { connection: redisOptions(options.redisUrl) });
  const result: SubmitResult = { added: [], present: [] };
  try {
    for (const point of points) {
      const id = jobIdFor(point.experiment, point.specHash);
      const state = await queue.getJobState(id);
      if (state !== 'unknown') {
        result.present.push({ id, label: point.label, state });
        continue;
      }
      await queue.add(point.experiment, point, {
        jobId: id,
        attempts: options.attempts ?? QUEUE_DEFAULTS.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs ?? QUEUE_DEFAULTS.backoffMs },
        // Finished and failed points stay: their ids keep a second submission from adding them again.
        removeOnComplete: false,
        removeOnFail: false,
      });
      result.added.push({ id, label: point.label });
    }
  } finally {
    await queue.close();
  }
  return result;
}
