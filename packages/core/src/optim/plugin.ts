/**
 * The built-in optimizers and schedules as the 'core' plugin, and the two calls the runner makes with a
 * spec's `optimizer` section: `createOptimizerFromSpec` and `createScheduleFromSpec`.
 */
import type { LearningRateFn, OptimizerEntry, Plugin, ScheduleContext, ScheduledOptimizer, ScheduleEntry } from '../plugin.ts';
import type { Registry } from '../registry.ts';
import type { ExperimentSpec } from '../spec-schema.ts';
import { resolveEntryOptions } from '../spec-plugins.ts';
import {
  ADAM_DEFAULTS,
  ADAMW_DEFAULTS,
  COSINE_SCHEDULE_DEFAULTS,
  RMSPROP_DEFAULTS,
  SGD_DEFAULTS,
  STEP_SCHEDULE_DEFAULTS,
} from './defaults.ts';
import { TorchAdam, TorchRmsprop, TorchSgd, type AdamOptions, type RmspropOptions, type SgdOptions } from './optimizers.ts';
import {
  constantSchedule,
  cosineSchedule,
  stepSchedule,
  withWarmup,
  type CosineScheduleOptions,
  type StepScheduleOptions,
} from './schedules.ts';

export const CORE_PLUGIN_NAME = 'core';

const weightDecay = (dflt: number, how: string) => ({ type: 'number', minimum: 0, default: dflt, description: how });

const adamSchema = (defaults: typeof ADAM_DEFAULTS | typeof ADAMW_DEFAULTS, decay: string) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: defaults.beta1 },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: defaults.beta2 },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: defaults.epsilon },
    weightDecay: weightDecay(defaults.weightDecay, decay),
    amsgrad: { type: 'boolean', default: defaults.amsgrad },
  },
});

export const OPTIMIZER_SCHEMAS = {
  sgd: {
    type: 'object',
    additionalProperties: false,
    properties: {
      momentum: { type: 'number', minimum: 0, default: SGD_DEFAULTS.momentum },
      dampening: { type: 'number', minimum: 0, maximum: 1, default: SGD_DEFAULTS.dampening },
      nesterov: { type: 'boolean', default: SGD_DEFAULTS.nesterov },
      weightDecay: weightDecay(SGD_DEFAULTS.weightDecay, 'L2 penalty added to the gradient.'),
    },
    if: { properties: { nesterov: { const: true } }, required: ['nesterov'] },
    // ajv runs if/then before `properties` fills defaults, so momentum is required here, not defaulted.
    then: {
      description: 'nesterov needs momentum > 0 and dampening 0',
      required: ['momentum'],
      properties: { momentum: { exclusiveMinimum: 0 }, dampening: { const: 0 } },
    },
  },
  adam: adamSchema(ADAM_DEFAULTS, 'L2 penalty added to the gradient (torch.optim.Adam).'),
  adamw: adamSchema(ADAMW_DEFAULTS, 'Decoupled weight decay: p -= lr * weightDecay * p (torch.optim.AdamW).'),
  rmsprop: {
    type: 'object',
    additionalProperties: false,
    properties: {
      alpha: {
        type: 'number',
        minimum: 0,
        exclusiveMaximum: 1,
        default: RMSPROP_DEFAULTS.alpha,
        description: 'Decay of the squared-gradient average (rho in Keras and TF).',
      },
      epsilon: { type: 'number', exclusiveMinimum: 0, default: RMSPROP_DEFAULTS.epsilon },
      momentum: { type: 'number', minimum: 0, default: RMSPROP_DEFAULTS.momentum },
      centered: { type: 'boolean', default: RMSPROP_DEFAULTS.centered },
      weightDecay: weightDecay(RMSPROP_DEFAULTS.weightDecay, 'L2 penalty added to the gradient.'),
    },
  },
} as const;

export const SCHEDULE_SCHEMAS = {
  constant: { type: 'object', additionalProperties: false, properties: {} },
  step: {
    type: 'object',
    additionalProperties: false,
    required: ['stepSize'],
    properties: {
      stepSize: { type: 'integer', minimum: 1, description: 'Decay every stepSize epochs (or steps, see unit).' },
      unit: { enum: ['epoch', 'step'], default: STEP_SCHEDULE_DEFAULTS.unit },
      gamma: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: STEP_SCHEDULE_DEFAULTS.gamma },
    },
  },
  cosine: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minLr: { type: 'number', minimum: 0, default: COSINE_SCHEDULE_DEFAULTS.minLr, description: 'lr at the last step.' },
    },
  },
} as const;

function optimizerEntry<O extends Record<string, unknown>>(
  name: keyof typeof OPTIMIZER_SCHEMAS,
  description: string,
  make: (lr: number, options: O) => ScheduledOptimizer,
): OptimizerEntry<O> {
  const optionsSchema = OPTIMIZER_SCHEMAS[name] as unknown as Record<string, unknown>;
  return {
    description,
    optionsSchema,
    create: (lr, options) => make(lr, resolveEntryOptions(`optimizer '${name}'`, optionsSchema, options) as O),
  };
}

function scheduleEntry<O extends Record<string, unknown>>(
  name: keyof typeof SCHEDULE_SCHEMAS,
  description: string,
  make: (options: O, context: ScheduleContext) => LearningRateFn,
): ScheduleEntry<O> {
  const optionsSchema = SCHEDULE_SCHEMAS[name] as unknown as Record<string, unknown>;
  return {
    description,
    optionsSchema,
    create: (options, context) => make(resolveEntryOptions(`schedule '${name}'`, optionsSchema, options) as O, context),
  };
}

/** The built-in optimizers (PyTorch's update rules) and learning-rate schedules. */
export const coreOptimizersPlugin = (): Plugin => ({
  name: CORE_PLUGIN_NAME,
  optimizers: {
    sgd: optimizerEntry<SgdOptions & Record<string, unknown>>('sgd', 'SGD with momentum, dampening, nesterov, L2 (torch.optim.SGD)', (lr, o) => new TorchSgd(lr, o)),
    adam: optimizerEntry<AdamOptions & Record<string, unknown>>('adam', 'Adam with L2 weight decay, AMSGrad (torch.optim.Adam)', (lr, o) => new TorchAdam(lr, o, false)),
    adamw: optimizerEntry<AdamOptions & Record<string, unknown>>('adamw', 'Adam with decoupled weight decay (torch.optim.AdamW)', (lr, o) => new TorchAdam(lr, o, true)),
    rmsprop: optimizerEntry<RmspropOptions & Record<string, unknown>>('rmsprop', 'RMSprop, optionally centred, with momentum (torch.optim.RMSprop)', (lr, o) => new TorchRmsprop(lr, o)),
  },
  schedules: {
    constant: scheduleEntry('constant', 'The base learning rate throughout', (_o, context) => constantSchedule(context)),
    step: scheduleEntry<StepScheduleOptions & Record<string, unknown>>('step', 'Multiply by gamma every stepSize epochs or steps (StepLR)', stepSchedule),
    cosine: scheduleEntry<CosineScheduleOptions & Record<string, unknown>>('cosine', 'Cosine decay from the base lr to minLr over all steps', cosineSchedule),
  },
});

type OptimizerSpec = ExperimentSpec['optimizer'];

/** The optimizer a spec's `optimizer` section names, made through the registry, at the base lr. */
export function createOptimizerFromSpec(registry: Registry, optimizer: OptimizerSpec): ScheduledOptimizer {
  const entry = registry.optimizer(optimizer.name);
  return entry.create(optimizer.lr, (optimizer.options ?? {}) as Record<string, unknown>);
}

/**
 * The learning rate per global step (0-based) for a spec's `optimizer` section: its schedule (constant when
 * none) with the schedule's warm-up applied. `totalSteps` is the whole run's (epochs × steps per epoch).
 */
export function createScheduleFromSpec(
  registry: Registry,
  optimizer: OptimizerSpec,
  run: { stepsPerEpoch: number; totalSteps: number },
): LearningRateFn {
  const context: ScheduleContext = { baseLr: optimizer.lr, stepsPerEpoch: run.stepsPerEpoch, totalSteps: run.totalSteps };
  const schedule = optimizer.schedule;
  if (!schedule) return constantSchedule(context);
  const fn = registry.schedule(schedule.name).create((schedule.options ?? {}) as Record<string, unknown>, context);
  return withWarmup(fn, schedule.warmupSteps ?? 0);
}
