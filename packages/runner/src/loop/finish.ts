/**
 * The end of a run: finished or killed (a stop was requested), its last points flushed and its status set;
 * or failed, with the error stored as a tag. Its parts are freed either way.
 */
import type { MetricQueue, RunWriter } from '@vgglab/store';
import { InterruptedError, messageOf } from '../errors.ts';
import type { RunContext, RunParts, RunResult } from './context.ts';

export async function finishRun(ctx: RunContext, stopped: boolean, lastMetrics: Record<string, number>): Promise<RunResult> {
  ctx.sampler.finish();
  await ctx.queue.close();
  const status = stopped ? 'killed' : 'finished';
  await ctx.opts.store.setRunStatus(ctx.runId, status);
  const { state, settings } = ctx;
  return {
    runId: ctx.runId,
    status,
    epochsCompleted: state.epoch,
    globalStep: state.globalStep,
    best: { metric: settings.monitor, value: state.best.value, epoch: state.best.epoch },
    lastMetrics,
  };
}

/** Records the error with the run (if it exists yet) and marks it failed, or killed when interrupted. */
export async function failRun(store: RunWriter, runId: string | undefined, queue: MetricQueue | undefined, err: unknown): Promise<void> {
  if (!runId) return;
  try {
    await queue?.close();
  } catch {
    // the original error matters more than a failed final flush
  }
  try {
    await store.logBatch(runId, { tags: [{ key: 'error', value: messageOf(err).slice(0, 8000) }] });
    await store.setRunStatus(runId, err instanceof InterruptedError ? 'killed' : 'failed');
  } catch {
    // the store itself may be what failed, or the run was taken over by another worker (its writes are refused)
  }
}

/** Frees what a run opened: the data source, the optimizer's slots (variables of their own) and the model. */
export async function releaseParts(parts: Partial<RunParts>): Promise<void> {
  await parts.data?.close?.();
  parts.optimizer?.dispose();
  parts.model?.dispose();
}
