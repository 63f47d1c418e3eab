/**
 * From a resolved spec and the registry to the loop's parts: the dataset source, the model (pretrained weights,
 * frozen layers), and the optimizer with its learning-rate schedule.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { KNOWN_DATASETS } from '@vgglab/data';
import { freezeLayers, VGG_PLUGIN_NAME } from '@vgglab/models-vgg';
import {
  createTrainingOptimizer,
  type DatasetEntry,
  type DatasetSource,
  type ExperimentSpec,
  type InputShape,
  type ModelEntry,
  type Preprocessing,
  type Registry,
  type TrainingOptimizer,
  type TransformSpec,
} from '@vgglab/core';

export function modelEntry(registry: Registry, spec: ExperimentSpec): ModelEntry {
  return registry.model(spec.model.name);
}

export function inputShapeOf(registry: Registry, spec: ExperimentSpec): InputShape {
  return (spec.model.inputShape as InputShape | undefined) ?? modelEntry(registry, spec).defaults.inputShape;
}

export function preprocessingOf(registry: Registry, spec: ExperimentSpec): Preprocessing {
  return modelEntry(registry, spec).defaults.preprocessing;
}

export function transformsOf(spec: ExperimentSpec): { train: TransformSpec[]; val: TransformSpec[] } {
  const t = (spec.data.transforms ?? {}) as { train?: TransformSpec[]; val?: TransformSpec[] };
  return { train: t.train ?? [], val: t.val ?? [] };
}

export async function openDataset(
  registry: Registry,
  spec: ExperimentSpec,
  baseDir: string,
  warn: (message: string) => void,
  /** Where a disk cache of decoded images goes (`data.cache: disk`); defaults to `.vgglab-cache` beside the spec. */
  cacheDir: string = path.join(baseDir, '.vgglab-cache'),
): Promise<DatasetSource> {
  const entry = registry.dataset(spec.data.name);
  const options = (spec.data.options ?? {}) as Record<string, unknown>;
  try {
    return await openWith(entry, options, registry, spec, baseDir, warn, cacheDir);
  } catch (err) {
    const hint = fetchHint(options, baseDir);
    if (hint && err instanceof Error) err.message = `${err.message}; ${hint}`;
    throw err;
  }
}

/**
 * A missing folder of a dataset `vgglab data fetch` knows (flower_photos) gets the command that fetches it,
 * with `--dest` pointing where the spec expects it.
 */
export function fetchHint(options: Record<string, unknown>, baseDir: string): string | undefined {
  for (const key of ['root', 'trainRoot', 'valRoot']) {
    const value = options[key];
    if (typeof value !== 'string') continue;
    const abs = path.resolve(baseDir, value);
    if (fs.existsSync(abs)) continue;
    for (const [name, known] of Object.entries(KNOWN_DATASETS)) {
      const at = abs.split(path.sep).lastIndexOf(known.extractsTo);
      if (at < 0) continue;
      const dest = abs.split(path.sep).slice(0, at).join(path.sep) || path.sep;
      const shown = path.relative(process.cwd(), dest) || '.';
      return `get it with \`vgglab data fetch ${name} --dest ${shown.startsWith('..') ? dest : shown}\``;
    }
  }
  return undefined;
}

function openWith(
  entry: DatasetEntry,
  options: Record<string, unknown>,
  registry: Registry,
  spec: ExperimentSpec,
  baseDir: string,
  warn: (message: string) => void,
  cacheDir: string,
): Promise<DatasetSource> {
  return entry.open(options, {
    baseDir,
    seed: spec.seed ?? 0,
    inputShape: inputShapeOf(registry, spec),
    preprocessing: preprocessingOf(registry, spec),
    transforms: transformsOf(spec),
    cache: spec.data.cache ?? 'none',
    cacheDir,
    strict: spec.data.strict ?? false,
    warn,
  });
}

export interface BuiltModel {
  model: tf.LayersModel;
  entry: ModelEntry;
  inputShape: InputShape;
  frozen: string[];
}

export async function buildModel(
  registry: Registry,
  spec: ExperimentSpec,
  numClasses: number,
  seed: number,
  log: (line: string) => void,
): Promise<BuiltModel> {
  const entry = modelEntry(registry, spec);
  const inputShape = inputShapeOf(registry, spec);
  const model = entry.build({ numClasses, inputShape, seed }, (spec.model.options ?? {}) as Record<string, unknown>);
  try {
    if (spec.model.pretrained) {
      if (!entry.loadWeights) throw new Error(`model '${spec.model.name}' cannot load pretrained weights (model.pretrained)`);
      const report = await entry.loadWeights(model, spec.model.pretrained, { strict: spec.model.strictWeights ?? false });
      log(
        `pretrained weights ${report.file} (${report.format}): ${report.loaded.length} loaded, ` +
          `${report.skipped.length} skipped, ${report.missing.length} freshly initialised` +
          (report.skipped.length ? ` (skipped: ${report.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''),
      );
    }
    const freeze = spec.model.freeze ?? 'none';
    // models-vgg's freezeLayers also stops frozen batch-norm layers from updating their statistics; for other
    // plugins, 'features' means the entry's own feature layers.
    const frozen =
      freeze === 'none'
        ? []
        : freezeLayers(model, freeze, entry.featureLayers && registry.get('models', spec.model.name).plugin !== VGG_PLUGIN_NAME ? { featureLayers: entry.featureLayers(model) } : {});
    if (frozen.length) log(`frozen layers: ${frozen.length} (${frozen[0]} … ${frozen[frozen.length - 1]})`);
    return { model, entry, inputShape, frozen };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The run's optimizer with its schedule, for a run of `stepsPerEpoch` × `train.epochs` steps. */
export function createOptimizer(registry: Registry, spec: ExperimentSpec, stepsPerEpoch: number): TrainingOptimizer {
  return createTrainingOptimizer(registry, spec.optimizer, { stepsPerEpoch, totalSteps: stepsPerEpoch * spec.train.epochs });
}
