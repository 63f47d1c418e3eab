/**
 * `vgglab exp <sweep.yaml> --queue`: one job per sweep point on the queue (@vgglab/queue), for `vgglab worker`s to
 * pull. A point's job id comes from its spec hash: submitting again adds nothing, finished points are not run again.
 */
import * as path from 'node:path';
import { sweepPointName, type Registry } from '@vgglab/core';
import { REDIS_ENV_VAR, submitPoints, type SubmitResult, type SweepPointJob } from '@vgglab/queue';
import { UsageError } from '../errors.ts';
import type { Output } from '../loop/progress.ts';
import { loadExperiment } from '../sweep/experiment.ts';

/** The Redis URL: `--redis`, else VGGLAB_REDIS_URL. */
export function redisUrlOf(flag: string | undefined, env: NodeJS.ProcessEnv, command: string): string {
  const url = flag || env[REDIS_ENV_VAR];
  if (!url) throw new UsageError(`${command} needs the queue's Redis: --redis redis://host:6379 (or ${REDIS_ENV_VAR})`);
  return url;
}

export interface SubmitSweepOptions {
  file: string;
  overrides: string[];
  registry: Registry;
  redisUrl: string;
  /** Tries per point. Defaults to the queue's (3). */
  attempts?: number;
  /** The command line as given, stored with each point's run. */
  command?: string[];
  stdout: Output;
}

export async function submitSweep(opts: SubmitSweepOptions): Promise<SubmitResult> {
  const { loaded, points } = await loadExperiment(opts.file, opts.overrides, opts.registry);
  const jobs: SweepPointJob[] = points.map((point) => ({
    experiment: point.spec.name,
    specHash: point.hash,
    // The queue card and the worker's log lines name a point as its run is named (`vgg16_bn · sgd 0.02`); a sweep
    // whose keys take one value each is named by all of them.
    label: point.name || sweepPointName(point.values, Object.keys(point.values)) || point.spec.name,
    name: point.name,
    command: opts.command ?? null,
    overrides: opts.overrides,
    index: point.index,
    spec: point.spec,
    specText: loaded.text,
    specFile: path.resolve(opts.file),
    sweepValues: { ...point.values },
  }));
  const result = await submitPoints(jobs, { redisUrl: opts.redisUrl, attempts: opts.attempts });
  for (const job of result.added) opts.stdout.write(`queued ${job.label} (job ${job.id})\n`);
  for (const job of result.present) opts.stdout.write(`already in the queue: ${job.label} (${job.state})\n`);
  opts.stdout.write(`sweep ${loaded.spec.name}: ${points.length} points, ${result.added.length} added to the queue, ${result.present.length} already there\n`);
  return result;
}
