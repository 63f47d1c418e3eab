/**
 * Running experiments as the `exp` command does: one spec, a resumed run, or a sweep (in this process, or
 * `workers` child processes sharing the store). Sweeps skip points already finished (by spec hash) and resume
 * interrupted ones. Runs are written where tracking/target.ts says: the local store, or a tracking server.
 */
import * as path from 'node:path';
import { loadSpec, resolveExperiment, type ExperimentSpec, type LoadedSpec, type Registry, type SweepPoint } from '@vgglab/core';
import { SPEC_FILE_TAG } from '../defaults.ts';
import { CliError } from '../errors.ts';
import { startEngine } from '../engine.ts';
import type { Output } from '../loop/progress.ts';
import { Progress } from '../loop/progress.ts';
import { registerSpecPlugins } from '../plugins.ts';
import { runExperiment, type RunExperimentOptions, type RunResult, type StopFlag } from '../loop/train.ts';
import { evaluateAfterTraining } from '../inference/after-training.ts';
import { openRunTarget, type RunTarget } from '../tracking/target.ts';
import { runInChildren } from './children.ts';
import { planPoint, sweepLabel } from './plan.ts';

export interface ExpOptions {
  /** Spec file (absolute, or relative to the process's cwd), as the user named it. */
  file?: string;
  overrides: string[];
  dbFlag?: string;
  /** `--server`: the tracking server (else VGGLAB_TRACKING_URI, else the local store). */
  server?: string;
  resume?: string;
  workers: number;
  /** Run only this point of the sweep (what a sweep's child process is told). */
  sweepPoint?: number;
  registry: Registry;
  env: NodeJS.ProcessEnv;
  stdout: Output;
  stderr: Output;
  stop: StopFlag;
  /** Extra arguments a sweep passes to its children (`--plugin` flags). */
  childArgs?: string[];
  /** The command line as the user gave it (its words), stored with each new run; a sweep's children get the
   * parent's. */
  command?: string[];
}

export interface ExpOutcome {
  runs: (RunResult & { label?: string })[];
  skipped: { label: string; runId: string; reason: string }[];
  failed: { label: string; message: string }[];
}

function specDirOf(file: string): string {
  return path.dirname(path.resolve(file));
}

/**
 * Loads a spec file, registers the plugin modules it names, and resolves it (core's resolveExperiment: plugin
 * options checked and defaulted, the sweep expanded) into its points (one when no sweep).
 */
export async function loadExperiment(file: string, overrides: string[], registry: Registry): Promise<{ loaded: LoadedSpec; points: SweepPoint[] }> {
  const loaded = loadSpec(file, { overrides });
  await registerSpecPlugins(registry, loaded.spec, specDirOf(file), file);
  return { loaded, points: resolveExperiment(loaded, registry) };
}

export function targetFor(spec: ExperimentSpec | undefined, specDir: string | undefined, opts: Pick<ExpOptions, 'server' | 'dbFlag' | 'env' | 'stderr'>): RunTarget {
  return openRunTarget({
    server: opts.server,
    dbFlag: opts.dbFlag,
    specStore: spec?.store,
    specDir,
    env: opts.env,
    onRetry: (line) => opts.stderr.write(`${line}\n`),
  });
}

/** Runs `use` with a target, closing it afterwards (a tracking client waits until every write is acknowledged). */
async function withTarget<T>(target: RunTarget, use: (target: RunTarget) => Promise<T>): Promise<T> {
  try {
    return await use(target);
  } finally {
    await target.close();
  }
}

export interface RunArgs {
  specText: string | null;
  specHash: string;
  specFile: string;
  resumeRunId?: string;
  sweepValues?: Record<string, unknown> | null;
  /** A new run's name: a sweep point's varying values (`vgg16_bn · sgd 0.02`), else the spec's `name`. */
  runName?: string;
}

/** One run in this process, written to `target` (opened from the options when not given). */
export async function runInProcess(
  spec: ExperimentSpec,
  args: RunArgs,
  opts: ExpOptions,
  extra: { target?: RunTarget; hooks?: Pick<RunExperimentOptions, 'onRunCreated' | 'onEpochEnd'> } = {},
): Promise<RunResult> {
  const specDir = specDirOf(args.specFile);
  const progress = new Progress(opts.stdout);
  const engine = await startEngine(spec.engine, (line) => progress.line(line));
  const target = extra.target ?? targetFor(spec, specDir, opts);
  try {
    const result = await runExperiment({
      spec,
      extraTags: { [SPEC_FILE_TAG]: path.resolve(args.specFile) },
      specText: args.specText,
      specDir,
      specHash: args.specHash,
      registry: opts.registry,
      store: target.writer,
      remote: target.remote,
      runsDir: target.runsDir,
      resumeRunId: args.resumeRunId,
      sweepValues: args.sweepValues ?? null,
      runName: args.runName || spec.name,
      backend: engine.backend,
      progress,
      stop: opts.stop,
      command: opts.command,
      overrides: opts.overrides,
      onTrained: evaluateAfterTraining,
      ...extra.hooks,
    });
    const best = result.best.value === null ? '' : `; best ${result.best.metric} ${result.best.value.toFixed(4)} at epoch ${(result.best.epoch ?? 0) + 1}`;
    progress.line(`run ${result.runId} ${result.status} after ${result.epochsCompleted} epoch(s)${best}; checkpoints in ${path.join(target.runsDir, result.runId)}`);
    return result;
  } finally {
    if (!extra.target) await target.close();
  }
}

/** `--resume <run-id>`: continue a run from its last checkpoint with its own stored spec. */
async function resumeRun(opts: ExpOptions): Promise<ExpOutcome> {
  const { runId, spec, specFile, args } = await withTarget(targetFor(undefined, undefined, opts), async ({ reads }) => {
    const runId = await reads.resolveRunId(opts.resume!);
    const run = (await reads.getRun(runId))!;
    if (run.status === 'finished') throw new CliError(`run ${runId} already finished; nothing to resume`);
    const specFile = run.tags[SPEC_FILE_TAG] ?? opts.file ?? path.join(process.cwd(), 'spec.yaml');
    const args: RunArgs = { specText: run.specText, specHash: run.specHash, specFile, resumeRunId: runId, sweepValues: run.sweepValues };
    return { runId, spec: run.resolvedSpec as ExperimentSpec, specFile, args };
  });
  if (opts.overrides.length || opts.file) {
    // Continuing exactly means continuing with the spec the run started with.
    opts.stderr.write(`note: --resume continues run ${runId} with its own stored spec; the spec file and -o overrides given are not used\n`);
  }
  await registerSpecPlugins(opts.registry, spec, specDirOf(specFile), `run ${runId}'s spec`);
  // The store the run is in, whatever its spec's store.db says.
  const result = await runInProcess(spec, args, opts, { target: targetFor(undefined, undefined, opts) });
  return { runs: [result], skipped: [], failed: [] };
}

export async function runExp(opts: ExpOptions): Promise<ExpOutcome> {
  if (opts.resume) return resumeRun(opts);
  if (!opts.file) throw new CliError('exp needs a spec file (or --resume <run-id>)');
  const { loaded, points } = await loadExperiment(opts.file, opts.overrides, opts.registry);
  const isSweep = points.length > 1 || Object.keys(points[0]!.values).length > 0;
  if (!isSweep) {
    const point = points[0]!;
    const r = await runInProcess(point.spec, { specText: loaded.text, specHash: point.hash, specFile: opts.file }, opts);
    return { runs: [r], skipped: [], failed: [] };
  }
  return runSweep(loaded, points, opts);
}

type Job = { point: SweepPoint; resumeRunId?: string };

/** A sweep, or one point of it in a child process (`--sweep-point`). */
async function runSweep(loaded: LoadedSpec, points: SweepPoint[], opts: ExpOptions): Promise<ExpOutcome> {
  const selected = opts.sweepPoint === undefined ? points : points.filter((p) => p.index === opts.sweepPoint);
  if (selected.length === 0) throw new CliError(`--sweep-point ${opts.sweepPoint} is out of range (the sweep has ${points.length} points)`);
  const outcome: ExpOutcome = { runs: [], skipped: [], failed: [] };
  const jobs = await withTarget(targetFor(loaded.spec, specDirOf(opts.file!), opts), async (target) => {
    // Runs whose process died (kill -9) are still 'running': mark them killed so they are resumed. (A tracking
    // server records such runs crashed itself.)
    target.local?.gcRuns();
    return planJobs(target, selected, opts, outcome);
  });
  if (opts.sweepPoint === undefined) {
    opts.stdout.write(`sweep ${loaded.spec.name}: ${points.length} points, ${jobs.length} to run, ${outcome.skipped.length} skipped; workers ${Math.min(opts.workers, Math.max(1, jobs.length))}\n`);
  }
  if (opts.workers > 1 && opts.sweepPoint === undefined) {
    await runInChildren(jobs.map((j) => ({ index: j.point.index, label: sweepLabel(j.point.values) })), opts, outcome);
    return outcome;
  }
  for (const job of jobs) {
    if (opts.stop.requested) break;
    await runJob(job, loaded, opts, outcome);
  }
  return outcome;
}

async function planJobs(target: RunTarget, selected: SweepPoint[], opts: ExpOptions, outcome: ExpOutcome): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const point of selected) {
    const plan = planPoint(await target.reads.findRunBySpecHash(point.spec.name, point.hash));
    if (plan.action !== 'skip') {
      jobs.push({ point, resumeRunId: plan.action === 'resume' ? plan.runId : undefined });
      continue;
    }
    outcome.skipped.push({ label: sweepLabel(point.values), runId: plan.runId, reason: plan.reason });
    if (opts.sweepPoint === undefined) opts.stdout.write(`sweep ${sweepLabel(point.values)}: skipped, ${plan.reason} as run ${plan.runId}\n`);
  }
  return jobs;
}

/** One sweep point in this process; a failure is recorded and the sweep goes on (a child reports it by its exit code). */
async function runJob(job: Job, loaded: LoadedSpec, opts: ExpOptions, outcome: ExpOutcome): Promise<void> {
  const label = sweepLabel(job.point.values);
  opts.stdout.write(`sweep ${label}: ${job.resumeRunId ? `resuming run ${job.resumeRunId}` : 'starting'}\n`);
  try {
    const args: RunArgs = {
      specText: loaded.text,
      specHash: job.point.hash,
      specFile: opts.file!,
      resumeRunId: job.resumeRunId,
      sweepValues: { ...job.point.values },
      runName: job.point.name,
    };
    outcome.runs.push({ ...(await runInProcess(job.point.spec, args, opts)), label });
  } catch (err) {
    if (opts.sweepPoint !== undefined) throw err;
    outcome.failed.push({ label, message: (err as Error).message });
    opts.stderr.write(`sweep ${label}: failed: ${(err as Error).message}\n`);
  }
}
