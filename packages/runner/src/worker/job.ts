/**
 * A worker's child (`vgglab exp --job <file>`, started by `vgglab worker`): one sweep point from the queue, written
 * to the tracking server. Its run is found by spec hash: a finished one is not run again, any other is resumed (a
 * new attempt, from its last uploaded checkpoint), else a new run is made. The server starts the attempt only while
 * the worker still holds the job's lock (the claim in VGGLAB_JOB_CLAIM). Progress goes to the worker over IPC.
 * Exit codes: 0 finished, 130 stopped on request (checkpoint uploaded: the job goes back to the queue), 75 taken
 * over (the server refused this attempt's writes), 1 failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExperimentSpec, Registry } from '@vgglab/core';
import type { SweepPointJob } from '@vgglab/queue';
import { StoreError, type JobClaim } from '@vgglab/store';
import { EXIT, TRACKING_URI_ENV_VAR } from '../defaults.ts';
import { CliError, UsageError } from '../errors.ts';
import type { Output } from '../loop/progress.ts';
import type { RunResult, StopFlag } from '../loop/train.ts';
import { registerSpecPlugins } from '../plugins.ts';
import { runInProcess } from '../sweep/experiment.ts';
import { openRunTarget, trackingUri } from '../tracking/target.ts';

/** Environment variable carrying the job's claim (queue, job id, lock token, lock duration) from the worker. */
export const JOB_CLAIM_ENV_VAR = 'VGGLAB_JOB_CLAIM';

/** What the child tells the worker over IPC. */
export type JobMessage =
  | { type: 'progress'; runId: string; step?: number; epoch?: number }
  | { type: 'result'; runId: string | null; status: string };

function tell(message: JobMessage): void {
  process.send?.(message);
}

export interface JobRunOptions {
  jobFile: string;
  server?: string;
  registry: Registry;
  env: NodeJS.ProcessEnv;
  stdout: Output;
  stderr: Output;
  stop: StopFlag;
}

function readJob(file: string): SweepPointJob {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SweepPointJob;
  } catch (error) {
    throw new UsageError(`--job ${file}: cannot read the job: ${(error as Error).message}`);
  }
}

/** The spec file's folder when this machine has it (a shared folder), else the folder the worker runs in. */
function specFileHere(job: SweepPointJob): string {
  return fs.existsSync(path.dirname(job.specFile)) ? job.specFile : path.join(process.cwd(), path.basename(job.specFile));
}

export async function runQueuedJob(opts: JobRunOptions): Promise<RunResult | null> {
  const job = readJob(opts.jobFile);
  const url = trackingUri(opts.server, opts.env);
  if (!url) throw new UsageError(`--job runs against a tracking server: --server or ${TRACKING_URI_ENV_VAR}`);
  const claim = opts.env[JOB_CLAIM_ENV_VAR] ? (JSON.parse(opts.env[JOB_CLAIM_ENV_VAR]!) as JobClaim) : undefined;
  const specFile = specFileHere(job);
  const spec = job.spec as ExperimentSpec;
  await registerSpecPlugins(opts.registry, spec, path.dirname(specFile), `job ${job.label}`);
  const target = openRunTarget({ server: url, specStore: spec.store, specDir: path.dirname(specFile), env: opts.env, claim, onRetry: (l) => opts.stderr.write(`${l}\n`) });
  try {
    const existing = await target.reads.findRunBySpecHash(job.experiment, job.specHash);
    if (existing?.status === 'finished') {
      opts.stdout.write(`${job.label}: already finished as run ${existing.id}\n`);
      tell({ type: 'result', runId: existing.id, status: 'finished' });
      return null;
    }
    let runId = existing?.id;
    const result = await runInProcess(
      spec,
      { specText: job.specText, specHash: job.specHash, specFile, resumeRunId: existing?.id, sweepValues: job.sweepValues, runName: job.name || undefined },
      {
        registry: opts.registry,
        env: opts.env,
        stdout: opts.stdout,
        stderr: opts.stderr,
        stop: opts.stop,
        overrides: job.overrides ?? [],
        command: job.command ?? undefined,
        workers: 1,
        server: url,
      },
      {
        target,
        hooks: {
          onRunCreated: (id) => {
            runId = id;
            tell({ type: 'progress', runId: id });
          },
          onEpochEnd: (epoch, _metrics, state) => tell({ type: 'progress', runId: runId!, epoch, step: state.globalStep }),
        },
      },
    );
    tell({ type: 'result', runId: result.runId, status: result.status });
    return result;
  } catch (error) {
    // Another worker has the run now (its attempt is newer, or this worker lost the job's lock): stop, quietly.
    if (error instanceof StoreError && error.code === 'CONFLICT') throw new CliError(`taken over: ${error.message}`, EXIT.fenced);
    throw error;
  } finally {
    await target.close().catch(() => undefined);
  }
}
