/**
 * The images an evaluation got wrong, as the store keeps them (`misclassified`): paths relative to the dataset's
 * folder when the samples are files (a sample id that is an absolute path; the folder is the deepest one holding
 * every evaluated file), else the ids as they are with no folder (a dataset made in memory has nothing to show).
 * Plugin-agnostic: it reads only the batches' `ids`.
 */
import * as path from 'node:path';
import type { MisclassifiedSamples } from '@vgglab/store';

/** Most images kept per confusion-matrix cell: enough to look at, small in the store. */
export const MAX_IMAGES_PER_CELL = 24;

export interface WrongSample {
  id: string;
  true: number;
  predicted: number;
}

/** The deepest folder that holds every one of these absolute file paths. */
export function commonFolder(files: readonly string[]): string {
  let folder = path.dirname(files[0]!);
  for (const file of files) {
    while (path.relative(folder, file).startsWith('..')) folder = path.dirname(folder);
  }
  return folder;
}

/** A sample id that is not a file, as a relative path the store accepts (no `..`, no leading slash). */
const safeId = (id: string) => id.replace(/\.\./g, '__').replace(/^[/\\]+/, '') || '_';

/**
 * `wrong`: the misclassified samples (at most MAX_IMAGES_PER_CELL kept per cell, in the order given); `evaluated`: the
 * ids of every sample evaluated (they decide the dataset's folder).
 */
export function misclassifiedSamples(wrong: readonly WrongSample[], evaluated: readonly string[]): MisclassifiedSamples {
  const perCell = new Map<string, number>();
  const kept = wrong.filter((w) => {
    const cell = `${w.true},${w.predicted}`;
    const n = perCell.get(cell) ?? 0;
    perCell.set(cell, n + 1);
    return n < MAX_IMAGES_PER_CELL;
  });
  const files = evaluated.length > 0 && evaluated.every((id) => path.isAbsolute(id));
  if (!files) return { root: null, items: kept.map((w) => ({ path: safeId(w.id), true: w.true, predicted: w.predicted })) };
  const root = commonFolder(evaluated);
  return { root, items: kept.map((w) => ({ path: path.relative(root, w.id).split(path.sep).join('/'), true: w.true, predicted: w.predicted })) };
}
