/**
 * Running experiments as the `exp` command does: one spec, a resumed run, or a sweep (in this process, or
 * `workers` child processes sharing the store). Sweeps skip points already finished (by spec hash) and resume
 * interrupted ones.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandSweep, loadSpec, validatePluginOptions, type ExperimentSpec, type LoadedSpec, type Registry } from '@vgglab/core';
import type { RunStore } from '@vgglab/store';
import { EXIT } from '../defaults.ts';
import { CliError } from '../errors.ts';
import { startEngine } from '../engine.ts';
import { resolveDbFile, resolveRunsDir } from '../paths.ts';
import type { Output } from '../loop/progress.ts';
import { Progress } from '../loop/progress.ts';
import { registerSpecPlugins } from '../plugins.ts';
import { openStoreForWriting } from '../store.ts';
import { runExperiment, type RunResult, type StopFlag } from '../loop/train.ts';

/** Tag holding the spec file's absolute path: a resumed run resolves relative paths against its folder. */
export const SPEC_FILE_TAG = 'spec_file';

/**
 * Registers the plugin modules a stored run's spec names (`plugins:`), resolved against the folder of the spec
 * file it was started from: what predict, evaluate and serve need to rebuild its model or open its dataset.
 */
export async function registerRunPlugins(registry: Registry, run: { id: string; resolvedSpec: unknown; tags: Record<string, string> }): Promise<void> {
  const spec = run.resolvedSpec as { plugins?: string[] };
  if (!spec?.plugins?.length) return;
  const specFile = run.tags[SPEC_FILE_TAG];
  await registerSpecPlugins(registry, spec, specFile ? path.dirname(specFile) : process.cwd(), `run ${run.id}'s spec`);
}

export interface ExpOptions {
  /** Spec file (absolute, or relative to the process's cwd), as the user named it. */
  file?: string;
  overrides: string[];
  dbFlag?: string;
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
}

export interface ExpOutcome {
  runs: (RunResult & { label?: string })[];
  skipped: { label: string; runId: string; reason: string }[];
  failed: { label: string; message: string }[];
}

/**
 * A sweep point's short name for run names and output: `model.name=vgg11,optimizer=sgd(lr=0.02)`. A whole
 * block swept as an object shows its `name` and its other scalar fields.
 */
export function sweepLabel(values: Readonly<Record<string, unknown>>): string {
  const show = (v: unknown): string => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const { name, ...rest } = v as Record<string, unknown>;
      const scalars = Object.entries(rest)
        .filter(([, x]) => x === null || typeof x !== 'object')
        .map(([k, x]) => `${k}=${String(x)}`);
      if (typeof name === 'string') return scalars.length ? `${name}(${scalars.join(',')})` : name;
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  return Object.entries(values)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(',');
}

function specDirOf(file: string): string {
  return path.dirname(path.resolve(file));
}

/** Loads, validates (plugin options too) and expands a spec file into its sweep points (one when no sweep). */
export async function loadExperiment(file: string, overrides: string[], registry: Registry): Promise<{ loaded: LoadedSpec; points: ReturnType<typeof expandSweep> }> {
  const parsed = loadSpec(file, { overrides });
  await registerSpecPlugins(registry, parsed.spec, specDirOf(file), file);
  const loaded = validatePluginOptions(parsed, registry);
  const points = expandSweep(loaded).map((p) => validatePluginOptions(p, registry));
  return { loaded, points };
}

function storeFor(spec: ExperimentSpec, specDir: string, opts: ExpOptions): { store: RunStore; runsDir: string; dbFile: string } {
  const dbFile = resolveDbFile({ flag: opts.dbFlag, specDb: spec.store?.db, specDir }, opts.env);
  const store = openStoreForWriting(dbFile);
  return { store, dbFile, runsDir: resolveRunsDir(dbFile, specDir, spec.store?.dir) };
}

async function runInProcess(
  spec: ExperimentSpec,
  args: { specText: string | null; specHash: string; specFile: string; resumeRunId?: string; sweepValues?: Record<string, unknown> | null },
  opts: ExpOptions,
): Promise<RunResult> {
  const specDir = specDirOf(args.specFile);
  const progress = new Progress(opts.stdout);
  const engine = await startEngine(spec.engine, (line) => progress.line(line));
  const { store, runsDir } = storeFor(spec, specDir, opts);
  try {
    const result = await runExperiment({
      spec,
      extraTags: { [SPEC_FILE_TAG]: path.resolve(args.specFile) },
      specText: args.specText,
      specDir,
      specHash: args.specHash,
      registry: opts.registry,
      store,
      runsDir,
      resumeRunId: args.resumeRunId,
      sweepValues: args.sweepValues ?? null,
      runName: args.sweepValues && Object.keys(args.sweepValues).length ? sweepLabel(args.sweepValues) : undefined,
      backend: engine.backend,
      progress,
      stop: opts.stop,
    });
    const best = result.best.value === null ? '' : `; best ${result.best.metric} ${result.best.value.toFixed(4)} at epoch ${(result.best.epoch ?? 0) + 1}`;
    progress.line(`run ${result.runId} ${result.status} after ${result.epochsCompleted} epoch(s)${best}; checkpoints in ${path.join(runsDir, result.runId)}`);
    return result;
  } finally {
    store.close();
  }
}

/** `--resume <run-id>`: continue a run from its last checkpoint with its own stored spec. */
async function resumeRun(opts: ExpOptions): Promise<ExpOutcome> {
  const dbFile = resolveDbFile({ flag: opts.dbFlag }, opts.env);
  let spec: ExperimentSpec;
  let runId: string;
  let specFile: string;
  let hash: string;
  let specText: string | null;
  let sweepValues: Record<string, unknown> | null;
  {
    const store = openStoreForWriting(dbFile);
    try {
      runId = store.resolveRunId(opts.resume!);
      const run = store.getRun(runId)!;
      if (run.status === 'finished') throw new CliError(`run ${runId} already finished; nothing to resume`);
      spec = run.resolvedSpec as ExperimentSpec;
      specFile = run.tags[SPEC_FILE_TAG] ?? opts.file ?? path.join(process.cwd(), 'spec.yaml');
      hash = run.specHash;
      specText = run.specText;
      sweepValues = run.sweepValues;
    } finally {
      store.close();
    }
  }
  if (opts.overrides.length || opts.file) {
    // Continuing exactly means continuing with the spec the run started with.
    opts.stderr.write(`note: --resume continues run ${runId} with its own stored spec; the spec file and -o overrides given are not used\n`);
  }
  await registerSpecPlugins(opts.registry, spec, specDirOf(specFile), `run ${runId}'s spec`);
  const result = await runInProcess(spec, { specText, specHash: hash, specFile, resumeRunId: runId, sweepValues }, { ...opts, dbFlag: opts.dbFlag ?? dbFile });
  return { runs: [result], skipped: [], failed: [] };
}

/** Decides what to do with a sweep point given the store: run it fresh, resume a run, or skip it. */
function planPoint(store: RunStore, experiment: string, hash: string): { action: 'new' } | { action: 'resume' | 'skip'; runId: string; reason: string } {
  const existing = store.findRunBySpecHash(experiment, hash);
  if (!existing) return { action: 'new' };
  if (existing.status === 'finished') return { action: 'skip', runId: existing.id, reason: 'already finished' };
  if (existing.status === 'running') return { action: 'skip', runId: existing.id, reason: `running (pid ${existing.pid} on ${existing.host})` };
  if (existing.status === 'killed') return { action: 'resume', runId: existing.id, reason: 'interrupted' };
  return { action: 'new' }; // failed: start over with a new run; the failed one stays for its error message
}

export async function runExp(opts: ExpOptions): Promise<ExpOutcome> {
  if (opts.resume) return resumeRun(opts);
  if (!opts.file) throw new CliError('exp needs a spec file (or --resume <run-id>)');
  const { loaded, points } = await loadExperiment(opts.file, opts.overrides, opts.registry);
  const specDir = specDirOf(opts.file);
  const isSweep = points.length > 1 || Object.keys(points[0]!.values).length > 0;

  if (!isSweep) {
    const r = await runInProcess(loaded.spec, { specText: loaded.text, specHash: loaded.hash, specFile: opts.file }, opts);
    return { runs: [r], skipped: [], failed: [] };
  }

  // --- a sweep (or one point of it, in a child process)
  const selected = opts.sweepPoint === undefined ? points : points.filter((p) => p.index === opts.sweepPoint);
  if (selected.length === 0) throw new CliError(`--sweep-point ${opts.sweepPoint} is out of range (the sweep has ${points.length} points)`);
  const outcome: ExpOutcome = { runs: [], skipped: [], failed: [] };
  const { store } = storeFor(loaded.spec, specDir, opts);
  type Job = { point: (typeof points)[number]; resumeRunId?: string };
  const jobs: Job[] = [];
  try {
    // Runs whose process died (kill -9) are still 'running': mark them killed so they are resumed.
    store.gcRuns();
    for (const point of selected) {
      const plan = planPoint(store, point.spec.name, point.hash);
      if (plan.action === 'skip') {
        outcome.skipped.push({ label: sweepLabel(point.values), runId: plan.runId, reason: plan.reason });
        if (opts.sweepPoint === undefined) opts.stdout.write(`sweep ${sweepLabel(point.values)}: skipped, ${plan.reason} as run ${plan.runId}\n`);
      } else jobs.push({ point, resumeRunId: plan.action === 'resume' ? plan.runId : undefined });
    }
  } finally {
    store.close();
  }
  if (opts.sweepPoint === undefined) {
    opts.stdout.write(`sweep ${loaded.spec.name}: ${points.length} points, ${jobs.length} to run, ${outcome.skipped.length} skipped; workers ${Math.min(opts.workers, Math.max(1, jobs.length))}\n`);
  }

  if (opts.workers <= 1 || opts.sweepPoint !== undefined) {
    for (const job of jobs) {
      if (opts.stop.requested) break;
      opts.stdout.write(`sweep ${sweepLabel(job.point.values)}: ${job.resumeRunId ? `resuming run ${job.resumeRunId}` : 'starting'}\n`);
      try {
        const r = await runInProcess(
          job.point.spec,
          { specText: loaded.text, specHash: job.point.hash, specFile: opts.file, resumeRunId: job.resumeRunId, sweepValues: { ...job.point.values } },
          opts,
        );
        outcome.runs.push({ ...r, label: sweepLabel(job.point.values) });
      } catch (err) {
        if (opts.sweepPoint !== undefined) throw err;
        outcome.failed.push({ label: sweepLabel(job.point.values), message: (err as Error).message });
        opts.stderr.write(`sweep ${sweepLabel(job.point.values)}: failed: ${(err as Error).message}\n`);
      }
    }
    return outcome;
  }

  await runInChildren(jobs.map((j) => j.point.index), jobs.map((j) => sweepLabel(j.point.values)), opts, outcome);
  return outcome;
}

const BIN = fileURLToPath(new URL('../../bin/vgglab.js', import.meta.url));

/** Runs sweep points in child processes, `opts.workers` at a time, prefixing their output with the point. */
async function runInChildren(indices: number[], labels: string[], opts: ExpOptions, outcome: ExpOutcome): Promise<void> {
  let next = 0;
  const dbFile = opts.dbFlag ? path.resolve(opts.dbFlag) : undefined;
  const runOne = (k: number) =>
    new Promise<void>((resolve) => {
      const label = labels[k]!;
      const args = [BIN, 'exp', path.resolve(opts.file!), ...opts.overrides.flatMap((o) => ['-o', o]), '--sweep-point', String(indices[k]), ...(opts.childArgs ?? [])];
      if (dbFile) args.push('--db', dbFile);
      const child = spawn(process.execPath, args, {
        env: {
          ...opts.env,
          INIT_CWD: process.cwd(),
          // N workers share the cores: each gets its share of wasm threads unless the user chose.
          VGGLAB_THREADS: opts.env.VGGLAB_THREADS || String(Math.max(1, Math.floor(os.availableParallelism() / opts.workers))),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const prefix = (out: Output) => {
        let buf = '';
        return (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) out.write(`[${label}] ${l}\n`);
        };
      };
      child.stdout.on('data', prefix(opts.stdout));
      child.stderr.on('data', prefix(opts.stderr));
      child.on('close', (code, signal) => {
        if (code === EXIT.ok) outcome.runs.push({ label, status: 'finished' } as ExpOutcome['runs'][number]);
        // Ctrl-C reaches the children too: each checkpoints its run and exits 130; a re-run resumes them.
        else if (code === EXIT.interrupted) outcome.runs.push({ label, status: 'killed' } as ExpOutcome['runs'][number]);
        else outcome.failed.push({ label, message: signal ? `killed by ${signal}` : `exit code ${code}` });
        resolve();
      });
    });
  const worker = async () => {
    while (next < indices.length && !opts.stop.requested) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(opts.workers, indices.length) }, worker));
}
