/**
 * Reading image files as a trained model's input: the `loadImage` of the dataset entry the run trained on, or,
 * when that entry has none (a synthetic test dataset), of the first registered dataset entry that has one.
 */
import type { ExperimentSpec, ImageInput, Registry } from '@vgglab/core';
import { CliError } from '../errors.ts';

export type ImageLoader = (file: string) => Promise<Float32Array>;

export function imageLoaderFor(registry: Registry, spec: ExperimentSpec, input: ImageInput): ImageLoader {
  const own = registry.has('datasets', spec.data.name) ? registry.dataset(spec.data.name) : undefined;
  const entry = own?.loadImage ? own : registry.list('datasets').find((d) => d.entry.loadImage)?.entry;
  if (!entry?.loadImage) {
    return () => Promise.reject(new CliError(`no registered dataset can read image files (none has loadImage); the run's is '${spec.data.name}'`));
  }
  const loadImage = entry.loadImage.bind(entry);
  return (file) => loadImage(file, input);
}
