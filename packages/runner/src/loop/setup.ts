/**
 * From a resolved spec and the registry to the loop's parts: the plugin entries the run uses (looked up once),
 * the dataset source, the model (pretrained weights, frozen layers), and the optimizer with its schedule.
 */
import * as tf from '@tensorflow/tfjs';
import {
  createTrainingOptimizer,
  freezeModel,
  Registry,
  SPEC_DEFAULTS,
  type DatasetEntry,
  type DatasetSource,
  type ExperimentSpec,
  type InputShape,
  type ModelEntry,
  type Preprocessing,
  type TrainingOptimizer,
  type TransformSpec,
} from '@vgglab/core';
import * as path from 'node:path';

/** The plugin entries a run uses, looked up in the registry once, and what follows from them. */
export interface RunEntries {
  model: ModelEntry;
  dataset: DatasetEntry;
  /** The spec's `model.inputShape`, else the model's own default. */
  inputShape: InputShape;
  /** The per-channel normalisation the model expects (its entry's). */
  preprocessing: Preprocessing;
}

export function runEntries(registry: Registry, spec: ExperimentSpec): RunEntries {
  const model = registry.model(spec.model.name);
  return {
    model,
    dataset: registry.dataset(spec.data.name),
    inputShape: (spec.model.inputShape as InputShape | undefined) ?? model.defaults.inputShape,
    preprocessing: model.defaults.preprocessing,
  };
}

export function transformsOf(spec: ExperimentSpec): { train: TransformSpec[]; val: TransformSpec[] } {
  const t = (spec.data.transforms ?? {}) as { train?: TransformSpec[]; val?: TransformSpec[] };
  return { train: t.train ?? [], val: t.val ?? [] };
}

/**
 * Opens the spec's dataset; a failure carries the dataset entry's hint on getting the data, if it has one.
 * `entries` may be the registry (looked up here) or a run's entries.
 */
export async function openDataset(
  entries: Registry | RunEntries,
  spec: ExperimentSpec,
  baseDir: string,
  warn: (message: string) => void,
  /** Where a disk cache of decoded images goes (`data.cache: disk`); defaults to `.vgglab-cache` beside the spec. */
  cacheDir: string = path.join(baseDir, '.vgglab-cache'),
): Promise<DatasetSource> {
  const { dataset, inputShape, preprocessing } = entries instanceof Registry ? runEntries(entries, spec) : entries;
  const options = (spec.data.options ?? {}) as Record<string, unknown>;
  try {
    return await dataset.open(options, {
      baseDir,
      seed: spec.seed ?? SPEC_DEFAULTS.seed,
      inputShape,
      preprocessing,
      transforms: transformsOf(spec),
      cache: spec.data.cache ?? SPEC_DEFAULTS.cache,
      cacheDir,
      strict: spec.data.strict ?? SPEC_DEFAULTS.strictData,
      warn,
    });
  } catch (err) {
    const hint = dataset.missingDataHint?.(options, baseDir);
    if (hint && err instanceof Error) err.message = `${err.message}; ${hint}`;
    throw err;
  }
}

/**
 * Builds the run's model: the entry's `build`, then pretrained weights (the entry's `loadWeights`) and the
 * spec's `freeze` ('features' are the entry's featureLayers). Returns the names of the frozen layers too.
 */
export async function buildModel(
  entries: RunEntries,
  spec: ExperimentSpec,
  numClasses: number,
  seed: number,
  log: (line: string) => void,
): Promise<{ model: tf.LayersModel; frozen: string[] }> {
  const entry = entries.model;
  const model = entry.build({ numClasses, inputShape: entries.inputShape, seed }, (spec.model.options ?? {}) as Record<string, unknown>);
  try {
    if (spec.model.pretrained) {
      if (!entry.loadWeights) throw new Error(`model '${spec.model.name}' cannot load pretrained weights (model.pretrained)`);
      const report = await entry.loadWeights(model, spec.model.pretrained, { strict: spec.model.strictWeights ?? SPEC_DEFAULTS.strictWeights });
      log(
        `pretrained weights ${report.file} (${report.format}): ${report.loaded.length} loaded, ` +
          `${report.skipped.length} skipped, ${report.missing.length} freshly initialised` +
          (report.skipped.length ? ` (skipped: ${report.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''),
      );
    }
    const freeze = spec.model.freeze ?? SPEC_DEFAULTS.freeze;
    // 'none' leaves the layers as the entry built them.
    const frozen = freeze === 'none' ? [] : freezeModel(entry, model, freeze);
    if (frozen.length) log(`frozen layers: ${frozen.length} (${frozen[0]} … ${frozen[frozen.length - 1]})`);
    return { model, frozen };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The run's optimizer with its schedule, for a run of `stepsPerEpoch` × `train.epochs` steps. */
export function createOptimizer(registry: Registry, spec: ExperimentSpec, stepsPerEpoch: number): TrainingOptimizer {
  return createTrainingOptimizer(registry, spec.optimizer, { stepsPerEpoch, totalSteps: stepsPerEpoch * spec.train.epochs });
}
