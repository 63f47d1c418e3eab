/**
 * Evaluating a trained run: accuracy, per-class precision and recall, and the confusion matrix, over the run's
 * own validation split or another image folder whose classes are matched to the run's by name.
 */
import type { DatasetSource, NewEvaluationLike, Split } from './evaluate-types.ts';
import { evalStep } from '../loop/step.ts';
import type { RunModel } from './predict.ts';
import { CliError } from '../errors.ts';
import { misclassifiedSamples, type WrongSample } from './misclassified.ts';

/** What an evaluation reads of a model: a loaded run (predict.ts), or a training run's own model at its end. */
export type EvaluatedModel = Pick<RunModel, 'model' | 'classNames' | 'probabilities' | 'checkpoint'> & { state: Pick<RunModel['state'], 'globalStep' | 'epoch'> };

export type { NewEvaluationLike };

export interface EvaluationResult extends NewEvaluationLike {
  /** Images evaluated: readable ones only, each once. */
  samples: number;
  loss: number;
  /** Files of the data left out as unreadable, each once, with the reason (stored in the evaluation's extra). */
  skipped: { file: string; reason: string }[];
}

/** Precision and recall from a confusion matrix (rows: true class, columns: predicted class). */
export function perClassMetrics(confusion: number[][], classNames: string[]) {
  return classNames.map((className, k) => {
    const tp = confusion[k]![k]!;
    const support = confusion[k]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[k]!, 0);
    return { className, precision: predicted ? tp / predicted : 0, recall: support ? tp / support : 0, support };
  });
}

/**
 * Maps the evaluated data's labels to the run's class indices by class name; a class the run never saw is an
 * error naming it.
 */
export function labelMapping(dataClasses: string[], runClasses: string[]): Int32Array {
  const index = new Map(runClasses.map((c, i) => [c, i]));
  const unknown = dataClasses.filter((c) => !index.has(c));
  if (unknown.length) {
    throw new CliError(`the data has classes the run was not trained on: ${unknown.join(', ')} (the run knows: ${runClasses.join(', ')})`);
  }
  return Int32Array.from(dataClasses.map((c) => index.get(c)!));
}

/** What is evaluated: a split of the run's own data, or a folder of images given with `--data`. */
export type EvaluationData = { split: Split } | { folder: string };

/**
 * Evaluates over every readable image of the data, once each: a file that proves unreadable while loading
 * is left out (not replaced by another image, as training does) and listed in `skipped` with the files the
 * dataset left out when it opened. The images it gets wrong are kept (a few per confusion-matrix cell) by their
 * sample ids, so the dashboard can show them.
 */
export async function evaluateModel(
  run: EvaluatedModel,
  source: DatasetSource,
  data: EvaluationData,
  options: { batchSize: number; dataset: string },
): Promise<EvaluationResult> {
  const n = run.classNames.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const mapping = labelMapping(source.classNames, run.classNames);
  const split: Split = 'split' in data ? data.split : 'val';
  let lossSum = 0;
  let seen = 0;
  const evaluated: string[] = [];
  const wrong: WrongSample[] = [];
  for await (const batch of source.batches(split, { batchSize: options.batchSize, epoch: 0, shuffle: false, unreadable: 'drop' })) {
    const labels = Int32Array.from(batch.labels, (l) => mapping[l]!);
    const r = await evalStep(run.model, { ...batch, labels }, run.probabilities);
    lossSum += r.lossSum;
    seen += labels.length;
    labels.forEach((t, i) => {
      const predicted = r.predicted[i]!;
      confusion[t]![predicted]!++;
      const id = batch.ids?.[i];
      if (id === undefined) return;
      evaluated.push(id);
      if (predicted !== t) wrong.push({ id, true: t, predicted });
    });
  }
  const skipped = source.unreadable?.(split) ?? [];
  if (seen === 0) {
    const where = 'split' in data ? `${options.dataset} (${data.split} split)` : data.folder;
    throw new CliError(`no readable images to evaluate in ${where}${skipped.length ? ` (${skipped.length} unreadable)` : ''}`);
  }
  const correct = confusion.reduce((a, row, k) => a + row[k]!, 0);
  return {
    dataset: options.dataset,
    checkpoint: run.checkpoint,
    step: run.state.globalStep,
    epoch: run.state.epoch,
    accuracy: correct / seen,
    classNames: run.classNames,
    perClass: perClassMetrics(confusion, run.classNames),
    confusionMatrix: confusion,
    extra: { loss: lossSum / seen, samples: seen, ...data },
    // Sources that name their samples only (ids); without ids there is nothing to show.
    misclassified: evaluated.length === seen ? misclassifiedSamples(wrong, evaluated) : null,
    samples: seen,
    loss: lossSum / seen,
    skipped,
  };
}
