/**
 * The evaluation a run gets when its training ends (unless its spec says `train.evaluate: false`): its best
 * checkpoint's weights put into the run's own model (no second copy in memory), then accuracy, per-class
 * precision/recall, the confusion matrix and the misclassified images over the validation split, stored with the
 * run as `vgglab evaluate` stores it. exp hands this to the training loop as its `onTrained`.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainedRun } from '../loop/context.ts';
import { assignWeights, loadCheckpoint, readCheckpointState } from '../loop/checkpoint.ts';
import { formatNumber } from '../loop/progress.ts';
import { evaluateModel } from './evaluate.ts';

export async function evaluateAfterTraining(run: TrainedRun): Promise<void> {
  const ckpt = loadCheckpoint(run.bestCheckpoint);
  try {
    assignWeights(run.model, ckpt.weights, ckpt.dir);
  } finally {
    tf.dispose([...ckpt.weights, ...ckpt.optimizerWeights].map((w) => w.tensor));
  }
  const state = readCheckpointState(run.bestCheckpoint);
  const model = { model: run.model, classNames: run.classNames, probabilities: run.probabilities, checkpoint: run.bestCheckpoint, state };
  const result = await evaluateModel(model, run.data, { split: 'val' }, { batchSize: run.batchSize, dataset: 'val' });
  const { samples, loss: _loss, skipped, ...evaluation } = result;
  await run.store.logEvaluation(run.runId, { ...evaluation, extra: { ...evaluation.extra, skipped, after: 'training' } });
  const wrong = evaluation.misclassified?.items.length ?? 0;
  run.progress.line(
    `evaluated the best checkpoint (after epoch ${state.epoch}) on ${samples} validation images: accuracy ${formatNumber(result.accuracy)}` +
      (wrong ? `, ${wrong} misclassified images kept for the dashboard` : ''),
  );
}
