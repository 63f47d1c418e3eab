/**
 * One epoch of training steps: batches from the data, one optimizer step each, the running sums a
 * checkpoint keeps, `train/loss`, `train/lr` and `train/images_per_sec` every `logEverySteps` steps, and the
 * progress line. Stops between steps when a stop is requested.
 */
import type { Batch } from '@vgglab/core';
import { METRIC } from '../defaults.ts';
import type { RunContext } from './context.ts';
import { trainStep } from './step.ts';

/** train/loss of the steps not yet logged (the epoch end logs the rest). */
export interface LossWindow {
  loss: number;
  steps: number;
}

export interface EpochOutcome {
  /** A stop was requested: the epoch ended early. */
  stopped: boolean;
  window: LossWindow;
}

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Seconds per step, averaged over the run so far (for the ETA); shared across epochs. */
export interface StepClock {
  average: number;
}

export async function trainEpoch(ctx: RunContext, clock: StepClock): Promise<EpochOutcome> {
  const { settings, state } = ctx;
  const epoch = state.epoch;
  const window = { loss: 0, steps: 0, images: 0, start: performance.now() };
  let lastStepEnd = performance.now();
  const batches = ctx.data.batches('train', {
    batchSize: settings.batchSize,
    epoch,
    shuffle: true,
    skipBatches: state.stepInEpoch,
    prefetch: settings.prefetch,
  });
  for await (const batch of batches) {
    if (ctx.opts.stop?.requested) return { stopped: true, window };
    const lr = ctx.optimizer.beginStep(state.globalStep);
    const loss = await step(ctx, batch);
    window.loss += loss;
    window.steps++;
    window.images += batch.shape[0];
    const now = performance.now();
    const stepSeconds = (now - lastStepEnd) / 1000;
    lastStepEnd = now;
    clock.average = clock.average === 0 ? stepSeconds : 0.9 * clock.average + 0.1 * stepSeconds;
    const imagesPerSecond = window.images / Math.max(1e-9, (now - window.start) / 1000);
    ctx.opts.progress.step({
      epoch,
      epochs: settings.epochs,
      step: state.stepInEpoch,
      stepsPerEpoch: ctx.stepsPerEpoch,
      loss,
      imagesPerSecond,
      etaSeconds: clock.average * (ctx.stepsPerEpoch * settings.epochs - state.globalStep),
    });
    if (state.globalStep % settings.logEvery === 0) {
      const at = { step: state.globalStep, epoch };
      ctx.queue.logBatch({
        metrics: [
          { key: METRIC.trainLoss, value: window.loss / window.steps, ...at },
          { key: METRIC.learningRate, value: lr, ...at },
          { key: METRIC.imagesPerSecond, value: imagesPerSecond, ...at },
        ],
      });
      Object.assign(window, { loss: 0, steps: 0, images: 0, start: performance.now() });
    }
    // Leaving the for-await closes the batch stream (and its prefetching).
    if (state.stepInEpoch >= ctx.stepsPerEpoch) break;
    // On wasm/cpu every await above can resolve as a microtask: without a turn of the event loop, a Ctrl-C
    // (signal handlers) and the metric queue's timed flushes would wait for the whole run.
    await yieldToEventLoop();
  }
  return { stopped: false, window };
}

/** One training step on `batch`; advances the step counters and the epoch's running sums. Returns the loss. */
async function step(ctx: RunContext, batch: Batch): Promise<number> {
  const { state } = ctx;
  const { loss, correct } = await trainStep(ctx.model, ctx.optimizer.optimizer, batch, ctx.probabilities);
  const n = batch.shape[0];
  ctx.sampler.countImages(n);
  state.globalStep++;
  state.stepInEpoch++;
  state.epochProgress = {
    lossSum: state.epochProgress.lossSum + loss * n,
    correct: state.epochProgress.correct + correct,
    seen: state.epochProgress.seen + n,
    steps: state.epochProgress.steps + 1,
  };
  return loss;
}
