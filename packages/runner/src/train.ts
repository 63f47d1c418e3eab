/**
 * The training loop of one run: spec -> registry -> model + data + optimizer -> epochs -> store.
 *
 * A run is a row in the store and a folder `<runsDir>/<run-id>/` holding its `best` and `last` checkpoints.
 * Resuming reloads `last` (weights, optimizer state, epoch, step, random state, the epoch's running sums),
 * deletes metric points logged after it, and continues: the resumed run ends with the same epochs and the
 * same metric rows as an uninterrupted one.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assertFits, formatBytes, type DatasetSource, type ExperimentSpec, type Registry, type ScheduledOptimizer, type TrainingMemoryEstimate } from '@vgglab/core';
import { createMetricQueue, type MetricInput, type MetricQueue, type RunStore } from '@vgglab/store';
import {
  assignWeights,
  EMPTY_EPOCH_PROGRESS,
  loadCheckpoint,
  locateCheckpoint,
  saveCheckpoint,
  type CheckpointState,
} from './checkpoint.ts';
import {
  ARTIFACT_BEST,
  ARTIFACT_LAST,
  BEST_CHECKPOINT,
  EPOCH_METRICS,
  LAST_CHECKPOINT,
  METRIC,
  TRAIN_DEFAULTS,
} from './defaults.ts';
import { InterruptedError, messageOf } from './errors.ts';
import { checkpointDir } from './paths.ts';
import { Progress, formatDuration, formatNumber } from './progress.ts';
import { SeededRandom, installAsMathRandom } from './rng.ts';
import { buildModel, createOptimizer, openDataset, preprocessingOf, type BuiltModel } from './setup.ts';
import { endsInSoftmax, evalStep, trainStep } from './step.ts';
import { runEnvironment } from './environment.ts';

/** Set by the SIGINT handler; the loop checks it between steps. */
export interface StopFlag {
  requested: boolean;
}

export interface RunExperimentOptions {
  /** The resolved spec (validated, defaults applied). */
  spec: ExperimentSpec;
  /** The spec file as written, stored with the run. */
  specText?: string | null;
  /** Folder relative paths in the spec resolve against (the spec file's folder). */
  specDir: string;
  specHash: string;
  registry: Registry;
  store: RunStore;
  runsDir: string;
  /** Continue this run (its `last` checkpoint) instead of starting a new one. */
  resumeRunId?: string;
  sweepValues?: Record<string, unknown> | null;
  /** Tags stored with a new run besides the spec's own (e.g. where the spec file is). */
  extraTags?: Record<string, string>;
  /** Human name of a new run (a sweep point's label); the store's default otherwise. */
  runName?: string;
  /** Where the engine ran: printed once by the caller, stored with the run. */
  backend: string;
  progress: Progress;
  stop?: StopFlag;
  /** Called with the run id as soon as the run exists (sweeps and tests use it). */
  onRunCreated?(runId: string): void;
  /** Called after each epoch's checkpoints are written (tests check the tensor count here). */
  onEpochEnd?(epoch: number, metrics: Record<string, number>): void;
}

export interface RunResult {
  runId: string;
  status: 'finished' | 'killed';
  epochsCompleted: number;
  globalStep: number;
  best: { metric: string; value: number | null; epoch: number | null };
  lastMetrics: Record<string, number>;
}

/** The run's memory estimate with the optimizer it will train with (its own slot count and update model). */
function checkCapacity(model: tf.LayersModel, optimizer: ScheduledOptimizer, batchSize: number, backend: string): TrainingMemoryEstimate | null {
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'tensorflow' && backend !== 'native') return null;
  return assertFits({ model, batchSize, optimizer, backend });
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Is `candidate` better than `best` by more than minDelta, in this mode? */
function improves(candidate: number, best: number | null, mode: 'max' | 'min', minDelta: number): boolean {
  if (!Number.isFinite(candidate) && !(mode === 'max' ? candidate === Infinity : candidate === -Infinity)) return false;
  if (best === null) return true;
  return mode === 'max' ? candidate > best + minDelta : candidate < best - minDelta;
}

export async function runExperiment(opts: RunExperimentOptions): Promise<RunResult> {
  const { spec, store, registry, progress } = opts;
  const seed = spec.seed ?? TRAIN_DEFAULTS.seed;
  const train = spec.train;
  const monitor = train.monitor ?? TRAIN_DEFAULTS.monitor;
  const mode = train.mode ?? TRAIN_DEFAULTS.mode;
  if (!EPOCH_METRICS.includes(monitor)) {
    throw new Error(`train.monitor must be one of ${EPOCH_METRICS.join(', ')}, received '${monitor}'`);
  }
  const batchSize = spec.data.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const logEvery = train.logEverySteps ?? TRAIN_DEFAULTS.logEverySteps;

  // Everything random in the run (weight init, dropout) draws from this stream; data uses `seed` directly.
  const rng = new SeededRandom(seed);
  const restoreRandom = installAsMathRandom(rng);
  let built: BuiltModel | undefined;
  let optimizer: tf.Optimizer | undefined;
  let data: DatasetSource | undefined;
  let queue: MetricQueue | undefined;
  let runId: string | undefined;
  try {
    // --- data first: its class count sizes the model's head, and a missing folder should fail fast.
    data = await openDataset(registry, spec, opts.specDir, (m) => progress.line(`warning: ${m}`), path.join(opts.runsDir, 'cache'));
    const classNames = data.classNames;
    const trainSize = data.size('train');
    const valSize = data.size('val');
    if (trainSize === 0) throw new Error(`data '${spec.data.name}' has no training images`);
    const batchesPerEpoch = Math.ceil(trainSize / batchSize);
    const stepsPerEpoch = Math.min(batchesPerEpoch, train.maxStepsPerEpoch ?? Infinity);

    built = await buildModel(registry, spec, classNames.length, seed, (m) => progress.line(m));
    const { model } = built;
    const probabilities = endsInSoftmax(model);
    // Created before the capacity check (it holds no state until its first step) so the estimate counts
    // what this optimizer keeps per weight, with its options (amsgrad, momentum, centred, …).
    const opt = createOptimizer(registry, spec, stepsPerEpoch);
    optimizer = opt.optimizer;
    // Refuse a run that cannot fit before its first step (wasm has 4 GB), with the estimate and what to
    // change; before the run exists in the store.
    const estimate = checkCapacity(model, opt.scheduled, batchSize, opts.backend);
    if (estimate) progress.line(`memory: about ${formatBytes(estimate.bytes)} for training at batch ${batchSize} with ${estimate.optimizer.name} (limit ${formatBytes(estimate.limitBytes)})`);

    // --- the run row: new, or the interrupted one being resumed.
    let state: Pick<CheckpointState, 'epoch' | 'stepInEpoch' | 'globalStep' | 'best' | 'epochProgress'> = {
      epoch: 0,
      stepInEpoch: 0,
      globalStep: 0,
      best: { metric: monitor, mode, value: null, epoch: null, badEpochs: 0 },
      epochProgress: { ...EMPTY_EPOCH_PROGRESS },
    };
    if (opts.resumeRunId) {
      runId = opts.resumeRunId;
      const lastDir = checkpointDir(opts.runsDir, runId, LAST_CHECKPOINT);
      if (locateCheckpoint(lastDir)) {
        const ckpt = loadCheckpoint(lastDir);
        try {
          assignWeights(model, ckpt.weights, ckpt.dir);
          // setWeights copies the slots into variables of the optimizer's own.
          if (ckpt.optimizerWeights.length) await opt.optimizer.setWeights(ckpt.optimizerWeights);
        } finally {
          tf.dispose([...ckpt.weights, ...ckpt.optimizerWeights].map((w) => w.tensor));
        }
        const s = ckpt.state;
        state = { epoch: s.epoch, stepInEpoch: s.stepInEpoch, globalStep: s.globalStep, best: s.best, epochProgress: s.epochProgress };
        rng.setState(s.rngState);
        store.resumeRun(runId, { fromStep: s.globalStep });
        progress.line(`resuming run ${runId} at epoch ${s.epoch + 1}, step ${s.stepInEpoch} (global step ${s.globalStep})`);
      } else {
        // Killed before its first checkpoint: start over under the same id, dropping every point it logged.
        store.resumeRun(runId, { fromStep: -1 });
        progress.line(`resuming run ${runId} from the start (it had no checkpoint yet)`);
      }
    } else {
      const env = runEnvironment(opts.specDir);
      const run = store.createRun({
        experiment: spec.name,
        ...(opts.runName ? { name: opts.runName } : {}),
        specText: opts.specText ?? null,
        resolvedSpec: spec,
        specHash: opts.specHash,
        seed,
        gitCommit: env.gitCommit,
        packageVersions: env.packageVersions,
        backend: opts.backend,
        host: os.hostname(),
        pid: process.pid,
        sweepValues: opts.sweepValues ?? null,
        tags: { ...((spec.tags ?? {}) as Record<string, string>), ...(opts.extraTags ?? {}) },
      });
      runId = run.id;
      progress.line(`run ${runId} (${spec.name}): ${spec.model.name} on ${spec.data.name}, ${classNames.length} classes, ${trainSize} train / ${valSize} val images`);
    }
    opts.onRunCreated?.(runId);
    queue = createMetricQueue(store, runId);
    const id = runId;

    const saveState = async (which: string, epochMetrics: Record<string, number>) => {
      // Points up to this step must be in the store before the checkpoint that a resume starts from.
      await queue!.flush();
      const dir = checkpointDir(opts.runsDir, id, which);
      await saveCheckpoint({
        dir,
        model,
        optimizer: opt.optimizer,
        state: {
          runId: id,
          epoch: state.epoch,
          stepInEpoch: state.stepInEpoch,
          globalStep: state.globalStep,
          rngState: rng.getState(),
          optimizerName: spec.optimizer.name,
          best: state.best,
          epochProgress: state.epochProgress,
          classNames,
          inputShape: built!.inputShape,
          preprocessing: preprocessingOf(registry, spec),
          spec: spec as Record<string, unknown>,
          metrics: epochMetrics,
        },
      });
      store.logArtifact(id, {
        kind: which === BEST_CHECKPOINT ? ARTIFACT_BEST : ARTIFACT_LAST,
        path: dir,
        step: state.globalStep,
        // The 0-based epoch the checkpoint belongs to, as metric points count epochs.
        epoch: state.stepInEpoch > 0 ? state.epoch : Math.max(0, state.epoch - 1),
        metadata: which === BEST_CHECKPOINT ? { monitor, mode, value: state.best.value } : { stepInEpoch: state.stepInEpoch },
      });
    };

    const totalSteps = stepsPerEpoch * train.epochs;
    const lastMetrics: Record<string, number> = {};
    let stepTimeAvg = 0; // seconds, exponential moving average
    let stopped = false;

    while (state.epoch < train.epochs && !stopped) {
      const epoch = state.epoch;
      const epochStart = Date.now();
      let windowLoss = 0;
      let windowSteps = 0;
      let windowImages = 0;
      let windowStart = performance.now();
      let lastStepEnd = performance.now();

      const batches = data.batches('train', {
        batchSize,
        epoch,
        shuffle: true,
        skipBatches: state.stepInEpoch,
        prefetch: spec.data.prefetch ?? TRAIN_DEFAULTS.prefetch,
      });
      for await (const batch of batches) {
        if (opts.stop?.requested) {
          stopped = true;
          break;
        }
        const lr = opt.learningRate(state.globalStep);
        opt.scheduled.setLearningRate(lr);
        const { loss, correct } = await trainStep(model, opt.optimizer, batch, probabilities);
        const n = batch.shape[0];
        state.globalStep++;
        state.stepInEpoch++;
        state.epochProgress = {
          lossSum: state.epochProgress.lossSum + loss * n,
          correct: state.epochProgress.correct + correct,
          seen: state.epochProgress.seen + n,
          steps: state.epochProgress.steps + 1,
        };
        windowLoss += loss;
        windowSteps++;
        windowImages += n;
        const now = performance.now();
        const stepSeconds = (now - lastStepEnd) / 1000;
        lastStepEnd = now;
        stepTimeAvg = stepTimeAvg === 0 ? stepSeconds : 0.9 * stepTimeAvg + 0.1 * stepSeconds;
        const imagesPerSecond = windowImages / Math.max(1e-9, (now - windowStart) / 1000);
        progress.step({
          epoch,
          epochs: train.epochs,
          step: state.stepInEpoch,
          stepsPerEpoch,
          loss,
          imagesPerSecond,
          etaSeconds: stepTimeAvg * (totalSteps - state.globalStep),
        });
        if (state.globalStep % logEvery === 0) {
          const at = { step: state.globalStep, epoch };
          queue.logBatch({
            metrics: [
              { key: METRIC.trainLoss, value: windowLoss / windowSteps, ...at },
              { key: METRIC.learningRate, value: lr, ...at },
              { key: METRIC.imagesPerSecond, value: imagesPerSecond, ...at },
            ],
          });
          windowLoss = 0;
          windowSteps = 0;
          windowImages = 0;
          windowStart = performance.now();
        }
        // Leaving the for-await closes the batch stream (and its prefetching).
        if (state.stepInEpoch >= stepsPerEpoch) break;
        // On wasm/cpu every await above can resolve as a microtask: without a turn of the event loop, a
        // Ctrl-C (signal handlers) and the metric queue's timed flushes would wait for the whole run.
        await yieldToEventLoop();
      }

      if (stopped) {
        progress.end();
        await saveState(LAST_CHECKPOINT, {});
        progress.line(`stopped at epoch ${epoch + 1}, step ${state.stepInEpoch}: checkpoint written; continue with \`vgglab exp --resume ${id}\``);
        break;
      }

      // --- end of epoch: validation, epoch metrics, checkpoints, early stopping.
      const ep = state.epochProgress;
      const metrics: Record<string, number> = {
        [METRIC.trainEpochLoss]: ep.seen ? ep.lossSum / ep.seen : NaN,
        [METRIC.trainAccuracy]: ep.seen ? ep.correct / ep.seen : NaN,
      };
      if (valSize > 0) {
        let lossSum = 0;
        let correct = 0;
        let seen = 0;
        for await (const batch of data.batches('val', { batchSize, epoch: 0, shuffle: false, prefetch: spec.data.prefetch ?? TRAIN_DEFAULTS.prefetch })) {
          const r = await evalStep(model, batch, probabilities);
          lossSum += r.lossSum;
          correct += r.correct;
          seen += batch.shape[0];
        }
        metrics[METRIC.valLoss] = seen ? lossSum / seen : NaN;
        metrics[METRIC.valAccuracy] = seen ? correct / seen : NaN;
      }
      metrics[METRIC.epochSeconds] = (Date.now() - epochStart) / 1000;
      const at = { step: state.globalStep, epoch };
      const points: MetricInput[] = Object.entries(metrics).map(([key, value]) => ({ key, value, ...at }));
      // A window of train/loss not yet logged (steps per epoch not a multiple of logEverySteps).
      if (windowSteps > 0) points.push({ key: METRIC.trainLoss, value: windowLoss / windowSteps, ...at });
      queue.logBatch({ metrics: points });
      Object.assign(lastMetrics, metrics);

      const monitored = metrics[monitor];
      if (monitored === undefined) {
        throw new Error(`train.monitor '${monitor}' was not computed (the data has no validation split?)`);
      }
      const minDelta = train.earlyStopping?.minDelta ?? 0;
      const isBest = improves(monitored, state.best.value, mode, minDelta);
      state.epoch++;
      state.stepInEpoch = 0;
      state.epochProgress = { ...EMPTY_EPOCH_PROGRESS };
      if (isBest) state.best = { ...state.best, value: monitored, epoch, badEpochs: 0 };
      else state.best = { ...state.best, badEpochs: state.best.badEpochs + 1 };

      progress.end();
      progress.line(
        `epoch ${epoch + 1}/${train.epochs}: ` +
          Object.entries(metrics)
            .filter(([k]) => k !== METRIC.epochSeconds)
            .map(([k, v]) => `${k} ${formatNumber(v)}`)
            .join(', ') +
          ` (${formatDuration(metrics[METRIC.epochSeconds]!)})${isBest ? ' *best' : ''}`,
      );
      if (isBest) await saveState(BEST_CHECKPOINT, metrics);
      await saveState(LAST_CHECKPOINT, metrics);
      opts.onEpochEnd?.(epoch, metrics);

      const patience = train.earlyStopping?.patience;
      if (patience !== undefined && state.best.badEpochs >= patience && state.epoch < train.epochs) {
        progress.line(`early stopping: ${monitor} has not improved for ${patience} epochs (best ${formatNumber(state.best.value ?? NaN)} at epoch ${(state.best.epoch ?? 0) + 1})`);
        queue.setTag('early_stopped_at_epoch', String(state.epoch));
        break;
      }
    }

    await queue.close();
    queue = undefined;
    const status = stopped ? 'killed' : 'finished';
    store.setRunStatus(id, status);
    return {
      runId: id,
      status,
      epochsCompleted: state.epoch,
      globalStep: state.globalStep,
      best: { metric: monitor, value: state.best.value, epoch: state.best.epoch },
      lastMetrics,
    };
  } catch (err) {
    progress.end();
    if (runId) {
      try {
        await queue?.close();
      } catch {
        // the original error matters more than a failed final flush
      }
      queue = undefined;
      try {
        store.logBatch(runId, { tags: [{ key: 'error', value: messageOf(err).slice(0, 8000) }] });
        store.setRunStatus(runId, err instanceof InterruptedError ? 'killed' : 'failed');
      } catch {
        // the store itself may be what failed
      }
    }
    throw err;
  } finally {
    await queue?.close().catch(() => undefined);
    await data?.close?.();
    // The optimizer's slots (Adam's moments) are variables of their own: free them with the model.
    optimizer?.dispose();
    built?.model.dispose();
    restoreRandom();
  }
}
