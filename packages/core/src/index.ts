// Public surface of @vgglab/core. Each area adds its named exports in its own section.

// --- plugin contracts
export type {
  Batch,
  BatchOptions,
  DatasetContext,
  DatasetEntry,
  DatasetPlugin,
  DatasetSource,
  ImageInput,
  InputShape,
  LearningRateFn,
  ModelBuildOptions,
  ModelEntry,
  ModelPlugin,
  OptimizerEntry,
  OptimizerMemorySpec,
  OptimizerPlugin,
  OptionsSchema,
  ParamCounts,
  Plugin,
  PluginKind,
  PluginSections,
  Preprocessing,
  ScheduleContext,
  ScheduledOptimizer,
  ScheduleEntry,
  Split,
  TransformSpec,
  WeightsLoadOptions,
  WeightsLoadReport,
} from './plugin.ts';

// --- seeded randomness (also `@vgglab/core/random`: no dependencies, for the data path)
export { SeededRandom } from './random.ts';

// --- freezing layers (`model.freeze`)
export { freezeLayers, freezeModel } from './freeze.ts';
export type { FreezeOptions, FreezeSpec } from './freeze.ts';

// --- registry
export { Registry, RegistryError, createRegistry, globToRegExp, suggest } from './registry.ts';
export type { Registered } from './registry.ts';

// --- experiment spec
export { experimentSpecSchema, SPEC_DEFAULTS, ABSENT_FIELD_DEFAULTS } from './spec-schema.ts';
export type { ExperimentSpec } from './spec-schema.ts';
export { canonicalJson, isSpecField, loadSpec, parseFieldPath, parseSpec, specHash } from './spec.ts';
export type { LoadedSpec, SpecLoadOptions } from './spec.ts';
export { formatIssue, SpecError } from './spec-issues.ts';
export type { FieldPath, SpecIssue, SpecLocation } from './spec-issues.ts';
export type { SpecLocator } from './spec-source.ts';
export { experimentJsonSchema, resolveEntryOptions, resolveExperiment, validatePluginOptions } from './spec-plugins.ts';
export { expandSweep, formatSweepValue, MAX_SWEEP_POINTS } from './spec-sweep.ts';
export { sweepPointName, shortSweepValue, shortNumber, SWEEP_NAME_SEPARATOR } from './sweep-name.ts';
export type { SweepPoint } from './spec-sweep.ts';

// --- optimizers and schedules
export { CORE_PLUGIN_NAME, coreOptimizersPlugin } from './optim/plugin.ts';
export { createTrainingOptimizer } from './optim/training.ts';
export type { RunLength, TrainingOptimizer } from './optim/training.ts';
export { OPTIMIZER_SCHEMAS, SCHEDULE_SCHEMAS } from './optim/schemas.ts';
export type { AdamOptions, CosineScheduleOptions, RmspropOptions, SgdOptions, StepScheduleOptions } from './optim/schemas.ts';
export { TorchAdam, TorchRmsprop, TorchSgd } from './optim/optimizers.ts';
export { OptimizerStateError, TorchStyleOptimizer } from './optim/torch-style.ts';
export { FUSED_UPDATE_KERNELS } from './optim/fused.ts';
export type { FusedUpdate } from './optim/fused.ts';
export { constantSchedule, cosineSchedule, stepSchedule, withWarmup } from './optim/schedules.ts';
export {
  ADAM_DEFAULTS,
  ADAMW_DEFAULTS,
  COSINE_SCHEDULE_DEFAULTS,
  RMSPROP_DEFAULTS,
  SGD_DEFAULTS,
  STEP_SCHEDULE_DEFAULTS,
} from './optim/defaults.ts';

// --- engine
export { EngineError, getEngineInfo, initEngine, shutdownEngine } from './engine/backend.ts';
export type { BackendName, BackendRequest, EngineInfo, EngineOptions } from './engine/backend.ts';
export { NATIVE_ENGINE_PACKAGES } from './engine/native.ts';
export type { NativeEngineProvider, NativeEngineStart } from './engine/native.ts';
export {
  listTrainingKernels,
  registerTrainingKernels,
  useStockKernels,
  withStockKernels,
} from './engine/training-kernels.ts';
export {
  CapacityError,
  WASM_MEMORY_LIMIT_BYTES,
  assertFits,
  estimateTrainingMemory,
  formatBytes,
  optimizerMemoryOf,
  profileModel,
} from './engine/capacity.ts';
export type {
  MemoryReportingOptimizer,
  ModelMemoryProfile,
  TrainingMemoryBreakdown,
  TrainingMemoryEstimate,
  TrainingMemoryRequest,
} from './engine/capacity.ts';
