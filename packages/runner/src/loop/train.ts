/**
 * The training loop of one run: spec -> registry -> model + data + optimizer -> epochs -> store.
 *
 * A run is a row in the store and a folder `<runsDir>/<run-id>/` holding its `best` and `last` checkpoints.
 * Resuming reloads `last` (weights, optimizer state, epoch, step, random state, the epoch's running sums),
 * deletes metric points logged after it, and continues: the resumed run ends with the same epochs and the
 * same metric rows as an uninterrupted one.
 *
 * The parts: start.ts (parts, run row, resume), epoch.ts (training steps), validate.ts (epoch metrics),
 * save.ts (checkpoints), finish.ts (status, failure, freeing).
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@vgglab/core';
import { createMetricQueue, type MetricInput, type MetricQueue } from '@vgglab/store';
import { BEST_CHECKPOINT, EPOCH_METRICS, LAST_CHECKPOINT, METRIC } from '../defaults.ts';
import {
  loopSettings,
  type RunContext,
  type RunExperimentOptions,
  type RunParts,
  type RunResult,
} from './context.ts';
import { trainEpoch, type LossWindow, type StepClock } from './epoch.ts';
import { failRun, finishRun, releaseParts } from './finish.ts';
import { formatDuration, formatNumber } from './progress.ts';
import { EMPTY_EPOCH_PROGRESS, locateCheckpoint } from './checkpoint.ts';
import { installAsMathRandom } from './rng.ts';
import { saveRunCheckpoint } from './save.ts';
import { SystemSampler } from './system-metrics.ts';
import { checkpointDir } from '../paths.ts';
import { messageOf } from '../errors.ts';
import { createRunRow, freshState, openParts, resumeRunState } from './start.ts';
import { epochMetrics, improves } from './validate.ts';

export type { RunExperimentOptions, RunResult, StopFlag } from './context.ts';

export async function runExperiment(opts: RunExperimentOptions): Promise<RunResult> {
  const settings = loopSettings(opts.spec);
  if (!EPOCH_METRICS.includes(settings.monitor)) {
    throw new Error(`train.monitor must be one of ${EPOCH_METRICS.join(', ')}, received '${settings.monitor}'`);
  }
  // Everything random in the run (weight init, dropout) draws from this stream; data uses `seed` directly.
  const rng = new SeededRandom(settings.seed);
  const restoreRandom = installAsMathRandom(rng);
  const opened: Partial<RunParts> = {};
  let runId: string | undefined;
  let queue: MetricQueue | undefined;
  let sampler: SystemSampler | undefined;
  try {
    const parts = await openParts(opts, settings, opened);
    const fresh = freshState(settings);
    runId = opts.resumeRunId ?? (await createRunRow(opts, parts, settings.seed));
    const state = opts.resumeRunId ? await resumeRunState(opts, parts, rng, runId, fresh) : fresh;
    opts.onRunCreated?.(runId);
    const runQueue = (queue = createMetricQueue(opts.store, runId));
    sampler = new SystemSampler({
      everySeconds: settings.systemMetricsSeconds,
      log: (metrics) => runQueue.logBatch({ metrics }),
      step: () => state.globalStep,
      tensorBytes: () => tf.memory().numBytes,
    });
    sampler.start();
    const result = await trainEpochs({ ...parts, opts, settings, rng, runId, queue, state, sampler });
    queue = undefined; // closed by finishRun
    return result;
  } catch (err) {
    sampler?.stop();
    opts.progress.end();
    await failRun(opts.store, runId, queue, err);
    queue = undefined;
    throw err;
  } finally {
    sampler?.stop();
    await queue?.close().catch(() => undefined);
    await releaseParts(opened);
    restoreRandom();
  }
}

/** Epochs until the last one, early stopping, or a stop request; then the run's status. */
async function trainEpochs(ctx: RunContext): Promise<RunResult> {
  const { state, settings, opts } = ctx;
  const clock: StepClock = { average: 0 };
  const lastMetrics: Record<string, number> = {};
  while (state.epoch < settings.epochs) {
    const epoch = state.epoch;
    const epochStart = Date.now();
    const { stopped, window } = await trainEpoch(ctx, clock);
    if (stopped) {
      opts.progress.end();
      await saveRunCheckpoint(ctx, LAST_CHECKPOINT, {});
      opts.progress.line(`stopped at epoch ${epoch + 1}, step ${state.stepInEpoch}: checkpoint written; continue with \`vgglab exp --resume ${ctx.runId}\``);
      return finishRun(ctx, true, lastMetrics);
    }
    const metrics = await epochMetrics(ctx, epochStart);
    logEpoch(ctx, metrics, window);
    Object.assign(lastMetrics, metrics);
    if (await closeEpoch(ctx, metrics)) break;
  }
  await afterTraining(ctx);
  return finishRun(ctx, false, lastMetrics);
}

/**
 * Training ended normally: hands the run's best checkpoint to `onTrained` (exp evaluates it) unless the spec turned
 * evaluation off. A failure there is told and stored as a tag; the run still finished.
 */
async function afterTraining(ctx: RunContext): Promise<void> {
  const { opts, settings } = ctx;
  const bestCheckpoint = checkpointDir(opts.runsDir, ctx.runId, BEST_CHECKPOINT);
  if (!settings.evaluate || !opts.onTrained || !locateCheckpoint(bestCheckpoint)) return;
  try {
    await opts.onTrained({
      runId: ctx.runId,
      model: ctx.model,
      data: ctx.data,
      classNames: ctx.classNames,
      probabilities: ctx.probabilities,
      bestCheckpoint,
      batchSize: settings.batchSize,
      store: opts.store,
      progress: opts.progress,
    });
  } catch (err) {
    opts.progress.line(`warning: evaluating the best checkpoint failed: ${messageOf(err)}`);
    ctx.queue.setTag('evaluation_error', messageOf(err).slice(0, 2000));
  }
}

/** The epoch's metrics as points at its last step, with the train/loss window not yet logged. */
function logEpoch(ctx: RunContext, metrics: Record<string, number>, window: LossWindow): void {
  const at = { step: ctx.state.globalStep, epoch: ctx.state.epoch };
  const points: MetricInput[] = Object.entries(metrics).map(([key, value]) => ({ key, value, ...at }));
  // Steps per epoch not a multiple of logEverySteps leave a window of train/loss.
  if (window.steps > 0) points.push({ key: METRIC.trainLoss, value: window.loss / window.steps, ...at });
  ctx.queue.logBatch({ metrics: points });
}

/**
 * Moves the state to the next epoch, tracks the best value of the monitored metric, writes the checkpoints
 * and prints the epoch's line. Returns true when early stopping ends the run.
 */
async function closeEpoch(ctx: RunContext, metrics: Record<string, number>): Promise<boolean> {
  const { state, settings, opts } = ctx;
  const epoch = state.epoch;
  const monitored = metrics[settings.monitor];
  if (monitored === undefined) {
    throw new Error(`train.monitor '${settings.monitor}' was not computed (the data has no validation split?)`);
  }
  const isBest = improves(monitored, state.best.value, settings);
  state.epoch++;
  state.stepInEpoch = 0;
  state.epochProgress = { ...EMPTY_EPOCH_PROGRESS };
  state.best = isBest ? { ...state.best, value: monitored, epoch, badEpochs: 0 } : { ...state.best, badEpochs: state.best.badEpochs + 1 };

  opts.progress.end();
  opts.progress.line(epochLine(ctx, epoch, metrics, isBest));
  if (isBest) await saveRunCheckpoint(ctx, BEST_CHECKPOINT, metrics);
  await saveRunCheckpoint(ctx, LAST_CHECKPOINT, metrics);
  opts.onEpochEnd?.(epoch, metrics, { globalStep: state.globalStep });

  const { patience } = settings;
  if (patience === undefined || state.best.badEpochs < patience || state.epoch >= settings.epochs) return false;
  opts.progress.line(
    `early stopping: ${settings.monitor} has not improved for ${patience} epochs (best ${formatNumber(state.best.value ?? NaN)} at epoch ${(state.best.epoch ?? 0) + 1})`,
  );
  ctx.queue.setTag('early_stopped_at_epoch', String(state.epoch));
  return true;
}

function epochLine(ctx: RunContext, epoch: number, metrics: Record<string, number>, isBest: boolean): string {
  const shown = Object.entries(metrics)
    .filter(([k]) => k !== METRIC.epochSeconds)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(', ');
  return `epoch ${epoch + 1}/${ctx.settings.epochs}: ${shown} (${formatDuration(metrics[METRIC.epochSeconds]!)})${isBest ? ' *best' : ''}`;
}
