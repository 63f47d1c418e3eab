/**
 * The built-in optimizers (PyTorch's update rules) and learning-rate schedules as the 'core' plugin. Their
 * option schemas and types are in schemas.ts; a run's optimizer is made by `createTrainingOptimizer`
 * (training.ts).
 */
import type { LearningRateFn, OptimizerEntry, OptionsSchema, Plugin, ScheduleContext, ScheduledOptimizer, ScheduleEntry } from '../plugin.ts';
import { resolveEntryOptions } from '../spec-plugins.ts';
import { TorchAdam, TorchRmsprop, TorchSgd } from './optimizers.ts';
import { constantSchedule, cosineSchedule, stepSchedule } from './schedules.ts';
import {
  OPTIMIZER_SCHEMAS,
  SCHEDULE_SCHEMAS,
  type AdamOptions,
  type CosineScheduleOptions,
  type RmspropOptions,
  type SgdOptions,
  type StepScheduleOptions,
} from './schemas.ts';

export const CORE_PLUGIN_NAME = 'core';

type Options<O> = O & Record<string, unknown>;

/**
 * An entry's schema and the check of its options against it (defaults filled in): entries run it also when
 * called directly rather than from a spec, and `what` names the entry in the error.
 */
function optionsChecker<O>(what: string, schema: object) {
  const optionsSchema = schema as OptionsSchema;
  const check = (options: Partial<O> | undefined) => resolveEntryOptions(what, optionsSchema, options as Record<string, unknown>) as O;
  return { optionsSchema, check };
}

function optimizerEntry<O>(name: keyof typeof OPTIMIZER_SCHEMAS, description: string, make: (lr: number, options: O) => ScheduledOptimizer): OptimizerEntry<Options<O>> {
  const { optionsSchema, check } = optionsChecker<O>(`optimizer '${name}'`, OPTIMIZER_SCHEMAS[name]);
  return { description, optionsSchema, create: (lr, options) => make(lr, check(options)) };
}

function scheduleEntry<O>(name: keyof typeof SCHEDULE_SCHEMAS, description: string, make: (options: O, context: ScheduleContext) => LearningRateFn): ScheduleEntry<Options<O>> {
  const { optionsSchema, check } = optionsChecker<O>(`schedule '${name}'`, SCHEDULE_SCHEMAS[name]);
  return { description, optionsSchema, create: (options, context) => make(check(options), context) };
}

/** The built-in optimizers (PyTorch's update rules) and learning-rate schedules. */
export const coreOptimizersPlugin = (): Plugin => ({
  name: CORE_PLUGIN_NAME,
  optimizers: {
    sgd: optimizerEntry<SgdOptions>('sgd', 'SGD with momentum, dampening, nesterov, L2 (torch.optim.SGD)', (lr, o) => new TorchSgd(lr, o)),
    adam: optimizerEntry<AdamOptions>('adam', 'Adam with L2 weight decay, AMSGrad (torch.optim.Adam)', (lr, o) => new TorchAdam(lr, o, false)),
    adamw: optimizerEntry<AdamOptions>('adamw', 'Adam with decoupled weight decay (torch.optim.AdamW)', (lr, o) => new TorchAdam(lr, o, true)),
    rmsprop: optimizerEntry<RmspropOptions>('rmsprop', 'RMSprop, optionally centred, with momentum (torch.optim.RMSprop)', (lr, o) => new TorchRmsprop(lr, o)),
  },
  schedules: {
    constant: scheduleEntry('constant', 'The base learning rate throughout', (_o, context) => constantSchedule(context)),
    step: scheduleEntry<StepScheduleOptions>('step', 'Multiply by gamma every stepSize epochs or steps (StepLR)', stepSchedule),
    cosine: scheduleEntry<CosineScheduleOptions>('cosine', 'Cosine decay from the base lr to minLr over all steps', cosineSchedule),
  },
});
