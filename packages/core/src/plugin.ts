/**
 * Plugin contracts. A plugin is a plain object with a `name` and one or more sections of named entries
 * (models, datasets, optimizers, schedules), made by a factory and registered in one explicit place
 * (see registry.ts). The plugin's `name` appears in every error that comes from it.
 */
import type * as tf from '@tensorflow/tfjs';

/** A JSON Schema (draft 2020-12 subset understood by ajv) describing an entry's `options` object. */
export type OptionsSchema = Record<string, unknown>;

/** Height, width, channels: tfjs is channels-last. */
export type InputShape = [number, number, number];

/** Per-channel preprocessing the model (or its pretrained weights) expects, on pixels scaled to [0, 1]. */
export interface Preprocessing {
  mean: [number, number, number];
  std: [number, number, number];
}

/** Options every model factory understands; factory-specific ones come in `options`. */
export interface ModelBuildOptions {
  /** Number of output classes; the dataset's class count when built by the runner. */
  numClasses: number;
  /** [height, width, channels] of the input images. */
  inputShape: InputShape;
  /** Seeds the weight initialisation (the spec's `seed`); absent means unseeded. */
  seed?: number;
}

export interface ParamCounts {
  total: number;
  trainable: number;
}

export interface WeightsLoadOptions {
  /** When true, any name or shape that does not match is an error listing them all. */
  strict?: boolean;
}

export interface WeightsLoadReport {
  file: string;
  format: string;
  /** Layer (or weight) names whose values were loaded. */
  loaded: string[];
  /** Names present in the file but not used (unknown, or shape differs when not strict), with the reason. */
  skipped: { name: string; reason: string }[];
  /** Model weights the file did not provide; they keep their fresh initialisation. */
  missing: string[];
}

export interface ModelEntry<O extends Record<string, unknown> = Record<string, unknown>> {
  /** One line for listings. */
  description?: string;
  /** Defaults: input size and the preprocessing the model expects. */
  defaults: { inputShape: InputShape; numClasses: number; preprocessing: Preprocessing };
  /** JSON Schema of the factory-specific `options` (validated with the spec; unknown fields are errors). */
  optionsSchema?: OptionsSchema;
  /** Builds a fresh model. Options are checked by the factory; errors repeat what was received. */
  build(base: ModelBuildOptions, options?: Partial<O>): tf.LayersModel;
  /** Parameter counts without building (cheap for big models); the runner falls back to building. */
  countParams?(base: ModelBuildOptions, options?: Partial<O>): ParamCounts;
  /** Loads pretrained weights from a local file into a built model. */
  loadWeights?(model: tf.LayersModel, file: string, options?: WeightsLoadOptions): Promise<WeightsLoadReport>;
  /**
   * Names of the layers that make up the feature extractor: what a spec's `freeze: features` freezes (core's
   * freezeModel; without it, 'features' is an error). Freezing sets `trainable`: a layer that must behave
   * differently when frozen reads its own `trainable`, as models-vgg's batch norm does.
   */
  featureLayers?(model: tf.LayersModel): string[];
}

/** A batch as plain data: the data path never holds tensors, so prefetching cannot leak them. */
export interface Batch {
  /** Float32 pixels, channels-last, already normalised: length = size * h * w * c. */
  x: Float32Array;
  /** [size, height, width, channels]. */
  shape: [number, number, number, number];
  /** Class indices, length = size. */
  labels: Int32Array;
  /** Source of each sample (file path or synthetic id), for evaluation reports. */
  ids?: string[];
  /**
   * Hands `x` back to the source once the consumer no longer reads it (e.g. the tensor made from it was
   * disposed), so a later batch can be written into the same memory instead of a fresh allocation. Optional
   * on both sides: a source may omit it, and a consumer that keeps `x` must not call it.
   */
  release?(): void;
}

export type Split = 'train' | 'val';

/** One transform step, as written in the spec: `{ randomResizedCrop: { size: 224 } }`. */
export type TransformSpec = Record<string, Record<string, unknown> | null>;

export interface DatasetContext {
  /** Directory relative paths in options are resolved against (the spec file's folder or the cwd). */
  baseDir: string;
  seed: number;
  /** Image size the model takes; transforms must produce it. */
  inputShape: InputShape;
  preprocessing: Preprocessing;
  transforms: { train: TransformSpec[]; val: TransformSpec[] };
  /** 'none' | 'memory' | 'disk'; a cache of decoded, resized images. */
  cache: 'none' | 'memory' | 'disk';
  /** Where a disk cache lives. */
  cacheDir: string;
  /** Skip-with-warning (false) or stop before the first step (true) on bad files. */
  strict: boolean;
  /** Warnings go here (the runner prints them once). */
  warn(message: string): void;
}

export interface BatchOptions {
  batchSize: number;
  /** Epoch index; with the context seed it fixes the shuffle order and augmentation draws. */
  epoch: number;
  shuffle: boolean;
  /** Skip this many batches first (resuming mid-epoch). */
  skipBatches?: number;
  /** Batches decoded ahead of the consumer. */
  prefetch?: number;
  /**
   * A sample whose file proves unreadable while loading: 'replace' (the default, for training) puts the next
   * good image in its slot so batches stay full; 'drop' leaves it out (that batch is shorter), so an
   * evaluation counts real images only. Either way the file is listed by `DatasetSource.unreadable`.
   */
  unreadable?: 'replace' | 'drop';
}

export interface DatasetSource {
  classNames: string[];
  size(split: Split): number;
  batches(split: Split, options: BatchOptions): AsyncIterable<Batch>;
  /** Files of a split left out as unreadable so far (when it opened, and while loading), each once. */
  unreadable?(split: Split): { file: string; reason: string }[];
  close?(): Promise<void>;
}

export interface DatasetEntry<O extends Record<string, unknown> = Record<string, unknown>> {
  description?: string;
  optionsSchema?: OptionsSchema;
  open(options: Partial<O>, context: DatasetContext): Promise<DatasetSource>;
  /**
   * When `open` fails: how to get the data these options point at, if the entry knows (e.g. "get it with
   * `vgglab data fetch flowers --dest data`"). The runner appends it to the error.
   */
  missingDataHint?(options: Partial<O>, baseDir: string): string | undefined;
  /**
   * One image file as a model input, preprocessed exactly as validation batches are (for predict): [h, w, c]
   * float32 values of `input.inputShape`. Predict uses the run's own dataset entry's, else the first
   * registered entry that has one.
   */
  loadImage?(file: string, input: ImageInput): Promise<Float32Array>;
}

/** How a trained model's input is made from an image: the run's validation transforms, size and normalisation. */
export interface ImageInput {
  transforms: TransformSpec[];
  inputShape: InputShape;
  preprocessing: Preprocessing;
}

export interface OptimizerEntry<O extends Record<string, unknown> = Record<string, unknown>> {
  description?: string;
  optionsSchema?: OptionsSchema;
  /** `lr` is the base learning rate; a schedule changes it through `setLearningRate`. */
  create(lr: number, options?: Partial<O>): ScheduledOptimizer;
}

/** A tf.Optimizer whose learning rate can be changed between steps (for schedules). */
export interface ScheduledOptimizer {
  readonly optimizer: tf.Optimizer;
  setLearningRate(lr: number): void;
  getLearningRate(): number;
  /**
   * What this optimizer, with its options, costs in memory: read by the check before a run's first step.
   * Without it, tfjs's own SGD, Momentum, RMSProp and Adam are recognised and any other optimizer is counted
   * as tfjs's Adam (2 slots, temporaries over the whole model): too much rather than a crash mid-epoch.
   */
  readonly memory?: OptimizerMemorySpec;
}

/** What the memory check needs to know about an optimizer: the weight-sized state it keeps and how its update allocates. */
export interface OptimizerMemorySpec {
  /** For messages: 'adam', 'adamw (amsgrad)', 'sgd (momentum)', … */
  name: string;
  /** Weight-sized state tensors kept per trainable weight (Adam 2, 3 with amsgrad; SGD 0, 1 with momentum). */
  slotsPerWeight: number;
  /**
   * 'per-variable': the update runs one variable at a time in its own tidy (vgglab's optimizers), so its
   * temporaries peak at a few copies of the LARGEST trainable weight. 'whole-model': one tidy over all
   * variables (tfjs's AdamOptimizer), so they scale with every trainable parameter.
   */
  updateTemporaries: 'per-variable' | 'whole-model';
  /**
   * Weight-sized temporaries alive at the update's peak, per weight. Defaults: per-variable 4 (the bound
   * optim/optimizers.test.ts enforces for TorchAdam with amsgrad + weight decay, centred RMSprop with
   * momentum and nesterov SGD); whole-model 11 (tfjs 4.22's AdamOptimizer).
   */
  temporariesPerWeight?: number;
}

export interface ScheduleContext {
  baseLr: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

/** Maps a global step (0-based) to a learning rate. */
export type LearningRateFn = (step: number) => number;

export interface ScheduleEntry<O extends Record<string, unknown> = Record<string, unknown>> {
  description?: string;
  optionsSchema?: OptionsSchema;
  create(options: Partial<O>, context: ScheduleContext): LearningRateFn;
}

/** The kinds of entries a plugin can contribute; the key is the section name in a plugin object. */
export interface PluginSections {
  models: ModelEntry<any>;
  datasets: DatasetEntry<any>;
  optimizers: OptimizerEntry<any>;
  schedules: ScheduleEntry<any>;
}
export type PluginKind = keyof PluginSections;

/**
 * The one table of kinds: how messages name an entry of each kind, and where a spec names it (`model.name`,
 * `optimizer.schedule.name`). The registry and the spec's plugin checks both read it.
 */
export const PLUGIN_KINDS = {
  models: { label: 'model', specPath: ['model'] },
  datasets: { label: 'dataset', specPath: ['data'] },
  optimizers: { label: 'optimizer', specPath: ['optimizer'] },
  schedules: { label: 'schedule', specPath: ['optimizer', 'schedule'] },
} as const satisfies Record<PluginKind, { label: string; specPath: readonly string[] }>;
export const KINDS = Object.keys(PLUGIN_KINDS) as PluginKind[];

export type Plugin = { name: string } & { [K in PluginKind]?: Record<string, PluginSections[K]> };
export type ModelPlugin = Plugin & { models: Record<string, ModelEntry<any>> };
export type DatasetPlugin = Plugin & { datasets: Record<string, DatasetEntry<any>> };
export type OptimizerPlugin = Plugin & { optimizers: Record<string, OptimizerEntry<any>> };
