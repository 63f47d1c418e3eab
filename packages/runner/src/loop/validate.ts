/**
 * The end of an epoch's training: its metrics (train loss and accuracy from the running sums, validation loss
 * and accuracy over the val split, the epoch's duration), and whether the monitored one is the best so far.
 */
import { METRIC } from '../defaults.ts';
import type { LoopSettings, RunContext } from './context.ts';
import { yieldToEventLoop } from './epoch.ts';
import { evalStep } from './step.ts';

/** The metrics of the epoch that just trained, validation included. */
export async function epochMetrics(ctx: RunContext, epochStart: number): Promise<Record<string, number>> {
  const ep = ctx.state.epochProgress;
  const metrics: Record<string, number> = {
    [METRIC.trainEpochLoss]: ep.seen ? ep.lossSum / ep.seen : NaN,
    [METRIC.trainAccuracy]: ep.seen ? ep.correct / ep.seen : NaN,
  };
  if (ctx.valSize > 0) Object.assign(metrics, await validate(ctx));
  metrics[METRIC.epochSeconds] = (Date.now() - epochStart) / 1000;
  return metrics;
}

/** Loss and accuracy over the validation split. */
async function validate(ctx: RunContext): Promise<Record<string, number>> {
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  const { batchSize, prefetch } = ctx.settings;
  for await (const batch of ctx.data.batches('val', { batchSize, epoch: 0, shuffle: false, prefetch })) {
    const r = await evalStep(ctx.model, batch, ctx.probabilities);
    lossSum += r.lossSum;
    correct += r.correct;
    seen += batch.shape[0];
    // A turn of the event loop: a long validation pass still heartbeats (the metric queue's timer) and hears Ctrl-C.
    await yieldToEventLoop();
  }
  return { [METRIC.valLoss]: seen ? lossSum / seen : NaN, [METRIC.valAccuracy]: seen ? correct / seen : NaN };
}

/** Is `candidate` better than `best` by more than minDelta, in this mode? */
export function improves(candidate: number, best: number | null, { mode, minDelta }: Pick<LoopSettings, 'mode' | 'minDelta'>): boolean {
  if (!Number.isFinite(candidate) && !(mode === 'max' ? candidate === Infinity : candidate === -Infinity)) return false;
  if (best === null) return true;
  return mode === 'max' ? candidate > best + minDelta : candidate < best - minDelta;
}
