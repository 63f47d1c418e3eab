// Public surface of @vgglab/core. Each area adds its named exports in its own section.

// --- plugin contracts
export type {
  Batch,
  BatchOptions,
  DatasetContext,
  DatasetEntry,
  DatasetPlugin,
  DatasetSource,
  InputShape,
  LearningRateFn,
  ModelBuildOptions,
  ModelEntry,
  ModelPlugin,
  OptimizerEntry,
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

// --- registry
export { Registry, RegistryError, createRegistry, globToRegExp, suggest } from './registry.ts';
export type { Registered } from './registry.ts';

// --- experiment spec
export { experimentSpecSchema } from './spec-schema.ts';
export type { ExperimentSpec } from './spec-schema.ts';

// --- optimizers and schedules

// --- engine
