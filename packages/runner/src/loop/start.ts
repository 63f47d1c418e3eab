/**
 * The start of a run: its parts (data first, then model and optimizer, then the memory check), then its row
 * in the store, new, or the interrupted one resumed from its `last` checkpoint.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assertFits, formatBytes, type BackendName, type SeededRandom } from '@vgglab/core';
import { processStartOf } from '@vgglab/store';
import { ARTIFACT_LAST, LAST_CHECKPOINT } from '../defaults.ts';
import { checkpointDir } from '../paths.ts';
import { assignWeights, EMPTY_EPOCH_PROGRESS, loadCheckpoint, locateCheckpoint } from './checkpoint.ts';
import type { LoopSettings, LoopState, RunExperimentOptions, RunParts } from './context.ts';
import { runEnvironment } from './environment.ts';
import { buildModel, createOptimizer, openDataset, runEntries } from './setup.ts';
import { endsInSoftmax } from './step.ts';

/** Backends whose memory the estimate knows. */
const CHECKED_BACKENDS: ReadonlySet<string> = new Set<BackendName>(['wasm', 'cpu', 'tensorflow']);

/**
 * Opens the run's parts. What it opened before a failure is handed to `opened` as it goes, so the caller frees
 * it whatever happens.
 */
export async function openParts(opts: RunExperimentOptions, settings: LoopSettings, opened: Partial<RunParts>): Promise<RunParts> {
  const { spec, registry, progress } = opts;
  const entries = runEntries(registry, spec);
  // Data first: its class count sizes the model's head, and a missing folder should fail fast.
  const data = (opened.data = await openDataset(entries, spec, opts.specDir, (m) => progress.line(`warning: ${m}`), path.join(opts.runsDir, 'cache')));
  const trainSize = data.size('train');
  if (trainSize === 0) throw new Error(`data '${spec.data.name}' has no training images`);
  const stepsPerEpoch = Math.min(Math.ceil(trainSize / settings.batchSize), settings.maxStepsPerEpoch);

  const { model } = await buildModel(entries, spec, data.classNames.length, settings.seed, (m) => progress.line(m));
  opened.model = model;
  // Created before the memory check (it holds no state until its first step) so the estimate counts what this
  // optimizer keeps per weight, with its options (amsgrad, momentum, centred, …).
  const optimizer = (opened.optimizer = createOptimizer(registry, spec, stepsPerEpoch));
  // Refuse a run that cannot fit before its first step (wasm has 4 GB), with the estimate and what to change;
  // before the run exists in the store.
  if (CHECKED_BACKENDS.has(opts.backend)) {
    const estimate = assertFits({ model, batchSize: settings.batchSize, optimizer: optimizer.memory, backend: opts.backend as BackendName });
    progress.line(
      `memory: about ${formatBytes(estimate.bytes)} for training at batch ${settings.batchSize} with ${estimate.optimizer.name} (limit ${formatBytes(estimate.limitBytes)})`,
    );
  }
  return {
    entries,
    data,
    model,
    optimizer,
    probabilities: endsInSoftmax(model),
    classNames: data.classNames,
    trainSize,
    valSize: data.size('val'),
    stepsPerEpoch,
  };
}

/** The state of a run that has not taken a step. */
export function freshState(settings: LoopSettings): LoopState {
  return {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    best: { metric: settings.monitor, mode: settings.mode, value: null, epoch: null, badEpochs: 0 },
    epochProgress: { ...EMPTY_EPOCH_PROGRESS },
  };
}

/** Who runs it: this host, this process, and what tells this process from a later one with its pid (a tracking
 * server on another machine cannot read this machine's /proc). */
function thisProcess(): { host: string; pid: number; processStart: string | null } {
  return { host: os.hostname(), pid: process.pid, processStart: processStartOf(process.pid) };
}

/** Creates the run's row in the store; returns its id. */
export async function createRunRow(opts: RunExperimentOptions, parts: RunParts, seed: number): Promise<string> {
  const { spec } = opts;
  const env = runEnvironment(opts.specDir);
  const run = await opts.store.createRun({
    experiment: spec.name,
    ...(opts.runName ? { name: opts.runName } : {}),
    specText: opts.specText ?? null,
    resolvedSpec: spec,
    specHash: opts.specHash,
    seed,
    gitCommit: env.gitCommit,
    packageVersions: env.packageVersions,
    backend: opts.backend,
    ...thisProcess(),
    sweepValues: opts.sweepValues ?? null,
    tags: { ...((spec.tags ?? {}) as Record<string, string>), ...(opts.extraTags ?? {}) },
    command: opts.command ?? null,
    overrides: opts.overrides ?? [],
  });
  opts.progress.line(
    `run ${run.id} (${spec.name}): ${spec.model.name} on ${spec.data.name}, ${parts.classNames.length} classes, ${parts.trainSize} train / ${parts.valSize} val images`,
  );
  return run.id;
}

/**
 * Resumes run `runId` from its `last` checkpoint: weights, optimizer state, random state, epoch and step; the
 * store drops the points logged after it. A run killed before its first checkpoint starts over under its id. Each
 * resume is a new attempt of the run; with a tracking server the attempt starts first (so no older attempt can
 * upload another checkpoint after it), then the checkpoint it resumes from is downloaded.
 */
export async function resumeRunState(opts: RunExperimentOptions, parts: RunParts, rng: SeededRandom, runId: string, fresh: LoopState): Promise<LoopState> {
  const lastDir = checkpointDir(opts.runsDir, runId, LAST_CHECKPOINT);
  let fromStep: number | undefined;
  if (opts.remote) {
    const resumed = await opts.store.resumeRun(runId, { fromArtifact: ARTIFACT_LAST, ...thisProcess() });
    if (!resumed.resumedFrom) {
      opts.progress.line(`resuming run ${runId} from the start (attempt ${resumed.attempt}; it had no checkpoint yet)`);
      return fresh;
    }
    await opts.remote.downloadFolder(runId, ARTIFACT_LAST, lastDir, { expectSha256: resumed.resumedFrom.sha256 ?? undefined });
    fromStep = resumed.fromStep;
  } else if (!locateCheckpoint(lastDir)) {
    await opts.store.resumeRun(runId, { fromStep: -1, ...thisProcess() });
    opts.progress.line(`resuming run ${runId} from the start (it had no checkpoint yet)`);
    return fresh;
  }
  const ckpt = loadCheckpoint(lastDir);
  try {
    assignWeights(parts.model, ckpt.weights, ckpt.dir);
    // setWeights copies the slots into variables of the optimizer's own.
    if (ckpt.optimizerWeights.length) await parts.optimizer.optimizer.setWeights(ckpt.optimizerWeights);
  } finally {
    tf.dispose([...ckpt.weights, ...ckpt.optimizerWeights].map((w) => w.tensor));
  }
  const s = ckpt.state;
  if (fromStep !== undefined && fromStep !== s.globalStep) {
    throw new Error(`run ${runId}: the checkpoint downloaded is at step ${s.globalStep}, the server resumed the run from step ${fromStep}`);
  }
  rng.setState(s.rngState);
  if (fromStep === undefined) await opts.store.resumeRun(runId, { fromStep: s.globalStep, ...thisProcess() });
  opts.progress.line(`resuming run ${runId} at epoch ${s.epoch + 1}, step ${s.stepInEpoch} (global step ${s.globalStep})`);
  return { epoch: s.epoch, stepInEpoch: s.stepInEpoch, globalStep: s.globalStep, best: s.best, epochProgress: s.epochProgress };
}
