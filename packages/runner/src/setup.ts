/**
 * From a resolved spec and the registry to the loop's parts: the dataset source, the model (pretrained weights,
 * frozen layers), and the optimizer with its learning-rate schedule.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  globToRegExp,
  type DatasetSource,
  type ExperimentSpec,
  type InputShape,
  type LearningRateFn,
  type ModelEntry,
  type Preprocessing,
  type Registry,
  type ScheduledOptimizer,
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
): Promise<DatasetSource> {
  const entry = registry.dataset(spec.data.name);
  return entry.open((spec.data.options ?? {}) as Record<string, unknown>, {
    baseDir,
    seed: spec.seed ?? 0,
    inputShape: inputShapeOf(registry, spec),
    preprocessing: preprocessingOf(registry, spec),
    transforms: transformsOf(spec),
    cache: spec.data.cache ?? 'none',
    cacheDir: path.join(baseDir, '.vgglab-cache'),
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

/** Names of layers `freeze` selects: 'none', 'features' (the entry's feature layers) or a glob of layer names. */
export function layersToFreeze(model: tf.LayersModel, entry: ModelEntry, freeze: string, modelName: string): string[] {
  if (freeze === 'none') return [];
  if (freeze === 'features') {
    if (!entry.featureLayers) {
      throw new Error(`model.freeze: 'features' needs model '${modelName}' to name its feature layers; use a glob of layer names instead`);
    }
    return entry.featureLayers(model);
  }
  const re = globToRegExp(freeze);
  const names = model.layers.map((l) => l.name).filter((n) => re.test(n));
  if (names.length === 0) {
    throw new Error(`model.freeze: no layer of '${modelName}' matches '${freeze}' (layers: ${model.layers.map((l) => l.name).join(', ')})`);
  }
  return names;
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
    const frozen = layersToFreeze(model, entry, spec.model.freeze ?? 'none', spec.model.name);
    const frozenSet = new Set(frozen);
    for (const layer of model.layers) if (frozenSet.has(layer.name)) layer.trainable = false;
    if (frozen.length) log(`frozen layers: ${frozen.length} (${frozen[0]} … ${frozen[frozen.length - 1]})`);
    return { model, entry, inputShape, frozen };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

export interface LoopOptimizer {
  scheduled: ScheduledOptimizer;
  optimizer: tf.Optimizer;
  /** Learning rate at a global step (0-based): the schedule, with its linear warm-up. */
  learningRate: LearningRateFn;
}

export function createOptimizer(registry: Registry, spec: ExperimentSpec, stepsPerEpoch: number): LoopOptimizer {
  const o = spec.optimizer;
  const scheduled = registry.optimizer(o.name).create(o.lr, (o.options ?? {}) as Record<string, unknown>);
  const totalSteps = stepsPerEpoch * spec.train.epochs;
  let lrAt: LearningRateFn = () => o.lr;
  const warmup = o.schedule?.warmupSteps ?? 0;
  if (o.schedule) {
    lrAt = registry
      .schedule(o.schedule.name)
      .create((o.schedule.options ?? {}) as Record<string, unknown>, { baseLr: o.lr, stepsPerEpoch, totalSteps });
  }
  const base = lrAt;
  // Linear warm-up from lr/warmup to the schedule's value over the first `warmupSteps` steps.
  const learningRate: LearningRateFn = warmup > 0 ? (step) => (step < warmup ? (base(step) * (step + 1)) / warmup : base(step)) : base;
  return { scheduled, optimizer: scheduled.optimizer, learningRate };
}
