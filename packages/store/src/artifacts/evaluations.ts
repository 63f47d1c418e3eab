/** Evaluation results (accuracy, per-class precision/recall/support, confusion matrix), listed newest first. */
import type { Connection } from '../storage/connection.ts';
import { type EvaluationRow, toEvaluation } from '../storage/rows.ts';
import { isAbsolute } from 'node:path';
import type { Evaluation, MisclassifiedSamples, NewEvaluation } from '../types.ts';
import { checkKey, checkOptionalFinite, checkSafeInteger, invalid, show } from '../validate.ts';

const EVALUATION_SELECT = `SELECT v.id, r.id AS run_id, v.created_at, v.dataset, v.checkpoint, v.step, v.epoch, v.accuracy,
  v.class_names, v.per_class, v.confusion_matrix, v.extra FROM evaluations v JOIN runs r ON r.pk = v.run_pk`;

export function logEvaluation(c: Connection, runId: string, evaluation: NewEvaluation): Evaluation {
  checkEvaluation(evaluation);
  const now = Date.now();
  return c.write(() => {
    const pk = c.runPk(runId);
    const { id } = c
      .sql(
        `INSERT INTO evaluations(run_pk, created_at, dataset, checkpoint, step, epoch, accuracy, class_names, per_class,
           confusion_matrix, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(
        pk,
        now,
        evaluation.dataset,
        evaluation.checkpoint ?? null,
        evaluation.step ?? null,
        evaluation.epoch ?? null,
        evaluation.accuracy,
        JSON.stringify(evaluation.classNames),
        JSON.stringify(evaluation.perClass),
        JSON.stringify(evaluation.confusionMatrix),
        JSON.stringify(evaluation.misclassified ? { ...evaluation.extra, misclassified: evaluation.misclassified } : (evaluation.extra ?? {})),
      ) as { id: number };
    return toEvaluation(c.sql(`${EVALUATION_SELECT} WHERE v.id = ?`).get(id) as EvaluationRow);
  });
}

export function listEvaluations(c: Connection, runId: string): Evaluation[] {
  const pk = c.runPk(runId);
  return (c.sql(`${EVALUATION_SELECT} WHERE v.run_pk = ? ORDER BY v.created_at DESC, v.id DESC`).all(pk) as EvaluationRow[]).map(toEvaluation);
}

function checkEvaluation(e: NewEvaluation): void {
  if (e === null || typeof e !== 'object') throw invalid(`logEvaluation expects an evaluation object, received ${show(e)}`);
  checkKey(e.dataset, 'evaluation dataset');
  if (typeof e.accuracy !== 'number' || !(e.accuracy >= 0 && e.accuracy <= 1)) {
    throw invalid(`evaluation accuracy must be a number in [0, 1], received ${show(e.accuracy)}`);
  }
  if (!Array.isArray(e.classNames) || e.classNames.some((c) => typeof c !== 'string')) {
    throw invalid(`evaluation classNames must be an array of strings, received ${show(e.classNames)}`);
  }
  const n = e.classNames.length;
  const m = e.confusionMatrix;
  if (!Array.isArray(m) || m.length !== n || m.some((row) => !Array.isArray(row) || row.length !== n || row.some((c) => !Number.isInteger(c) || c < 0))) {
    throw invalid(`evaluation confusionMatrix must be ${n}x${n} (one row and column per class name) of non-negative integers, received ${show(m)}`);
  }
  if (!Array.isArray(e.perClass) || e.perClass.length !== n) {
    throw invalid(`evaluation perClass must have one entry per class (${n}), received ${show(e.perClass)}`);
  }
  e.perClass.forEach((c, i) => {
    if (c === null || typeof c !== 'object' || typeof c.className !== 'string') throw invalid(`evaluation perClass[${i}].className must be a string, received ${show(c)}`);
    for (const field of ['precision', 'recall'] as const) {
      // NaN (a class never predicted) is not allowed: JSON cannot carry it; report 0 as scikit-learn does.
      if (typeof c[field] !== 'number' || !(c[field] >= 0 && c[field] <= 1)) {
        throw invalid(`evaluation perClass[${i}].${field} (${c.className}) must be a number in [0, 1], received ${show(c[field])}`);
      }
    }
    if (!Number.isInteger(c.support) || c.support < 0) throw invalid(`evaluation perClass[${i}].support (${c.className}) must be a non-negative integer, received ${show(c.support)}`);
  });
  if (e.step !== undefined && e.step !== null) checkSafeInteger(e.step, 'evaluation step');
  if (e.extra !== undefined && e.extra !== null && 'misclassified' in e.extra) {
    throw invalid('evaluation extra.misclassified is reserved: pass the samples as misclassified');
  }
  if (e.misclassified !== undefined && e.misclassified !== null) checkMisclassified(e.misclassified, n);
  checkOptionalFinite(e.epoch, 'evaluation epoch');
}

/** Most misclassified images one evaluation keeps. */
export const MAX_MISCLASSIFIED = 10_000;

/** Paths stay below the dataset's folder: relative, no `..` segment, no NUL. */
function checkMisclassified(samples: MisclassifiedSamples, classes: number): void {
  if (samples === null || typeof samples !== 'object') throw invalid(`evaluation misclassified must be { root, items }, received ${show(samples)}`);
  if (samples.root !== null && (typeof samples.root !== 'string' || !isAbsolute(samples.root))) {
    throw invalid(`evaluation misclassified.root must be an absolute folder or null, received ${show(samples.root)}`);
  }
  if (!Array.isArray(samples.items) || samples.items.length > MAX_MISCLASSIFIED) {
    throw invalid(`evaluation misclassified.items must be an array of at most ${MAX_MISCLASSIFIED} items, received ${show(samples.items)}`);
  }
  samples.items.forEach((item, i) => {
    const where = `evaluation misclassified.items[${i}]`;
    if (item === null || typeof item !== 'object') throw invalid(`${where} must be { path, true, predicted }, received ${show(item)}`);
    const { path } = item;
    if (typeof path !== 'string' || path === '' || path.includes('\0') || isAbsolute(path) || path.split(/[\\/]/).includes('..')) {
      throw invalid(`${where}.path must be a path relative to the dataset folder (no '..'), received ${show(path)}`);
    }
    for (const field of ['true', 'predicted'] as const) {
      if (!Number.isInteger(item[field]) || item[field] < 0 || item[field] >= classes) {
        throw invalid(`${where}.${field} must be a class index in 0..${classes - 1}, received ${show(item[field])}`);
      }
    }
  });
}
