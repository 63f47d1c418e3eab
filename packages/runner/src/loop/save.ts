/**
 * Checkpointing a run in progress: the `best` and `last` checkpoints (checkpoint.ts writes the files), each
 * recorded as an artifact (uploaded, with a tracking server). Points up to the checkpoint's step reach the store
 * (are acknowledged by the server) first, so a resume from it finds them.
 */
import { ARTIFACT_BEST, ARTIFACT_LAST, BEST_CHECKPOINT } from '../defaults.ts';
import { checkpointDir } from '../paths.ts';
import { saveCheckpoint } from './checkpoint.ts';
import type { RunContext } from './context.ts';

export async function saveRunCheckpoint(ctx: RunContext, which: string, epochMetrics: Record<string, number>): Promise<void> {
  const { state, runId, opts } = ctx;
  await ctx.queue.flush();
  const dir = checkpointDir(opts.runsDir, runId, which);
  await saveCheckpoint({
    dir,
    model: ctx.model,
    optimizer: ctx.optimizer.optimizer,
    state: {
      runId,
      epoch: state.epoch,
      stepInEpoch: state.stepInEpoch,
      globalStep: state.globalStep,
      rngState: ctx.rng.getState(),
      optimizerName: opts.spec.optimizer.name,
      best: state.best,
      epochProgress: state.epochProgress,
      classNames: ctx.classNames,
      inputShape: ctx.entries.inputShape,
      preprocessing: ctx.entries.preprocessing,
      spec: opts.spec as Record<string, unknown>,
      metrics: epochMetrics,
    },
  });
  const best = which === BEST_CHECKPOINT;
  const artifact = {
    kind: best ? ARTIFACT_BEST : ARTIFACT_LAST,
    step: state.globalStep,
    // The 0-based epoch the checkpoint belongs to, as metric points count epochs.
    epoch: state.stepInEpoch > 0 ? state.epoch : Math.max(0, state.epoch - 1),
    metadata: best ? { monitor: ctx.settings.monitor, mode: ctx.settings.mode, value: state.best.value } : { stepInEpoch: state.stepInEpoch },
  };
  // With a tracking server the folder goes there (queued after the points, fenced by the run's attempt); the
  // server records it once it has it whole.
  if (opts.remote) await opts.remote.uploadFolder(runId, artifact, dir);
  else await opts.store.logArtifact(runId, { ...artifact, path: dir });
}
