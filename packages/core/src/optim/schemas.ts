/**
 * The options of the built-in optimizers and schedules: one JSON Schema each (what a spec's `options` are
 * checked against, defaults filled in from defaults.ts), and their TypeScript types derived from it with
 * json-schema-to-ts, as the spec's own type is: the schema is the single source of both.
 */
import type { FromSchema } from 'json-schema-to-ts';
import {
  ADAM_DEFAULTS,
  ADAMW_DEFAULTS,
  COSINE_SCHEDULE_DEFAULTS,
  RMSPROP_DEFAULTS,
  SGD_DEFAULTS,
  STEP_SCHEDULE_DEFAULTS,
} from './defaults.ts';

const weightDecay = <D extends number, H extends string>(dflt: D, how: H) =>
  ({ type: 'number', minimum: 0, default: dflt, description: how }) as const;

const adamSchema = <D extends typeof ADAM_DEFAULTS | typeof ADAMW_DEFAULTS, H extends string>(defaults: D, decay: H) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: defaults.beta1, description: 'Decay of the first-moment average β1.' },
      beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: defaults.beta2, description: 'Decay of the second-moment average β2.' },
      epsilon: {
        type: 'number',
        exclusiveMinimum: 0,
        default: defaults.epsilon,
        description: 'ε, added to the bias-corrected root second moment (tfjs uses 1e-7).',
      },
      weightDecay: weightDecay(defaults.weightDecay, decay),
      amsgrad: { type: 'boolean', default: defaults.amsgrad, description: 'Use the running maximum of the second moment (AMSGrad).' },
    },
  }) as const;

export const OPTIMIZER_SCHEMAS = {
  sgd: {
    type: 'object',
    additionalProperties: false,
    properties: {
      momentum: { type: 'number', minimum: 0, default: SGD_DEFAULTS.momentum, description: 'Momentum factor μ.' },
      dampening: { type: 'number', minimum: 0, maximum: 1, default: SGD_DEFAULTS.dampening, description: 'Dampening τ for momentum.' },
      nesterov: { type: 'boolean', default: SGD_DEFAULTS.nesterov, description: 'Nesterov momentum (needs momentum > 0 and dampening 0).' },
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
      epsilon: {
        type: 'number',
        exclusiveMinimum: 0,
        default: RMSPROP_DEFAULTS.epsilon,
        description: 'ε, added to the root of the average (outside the square root, as PyTorch).',
      },
      momentum: { type: 'number', minimum: 0, default: RMSPROP_DEFAULTS.momentum, description: 'Momentum factor μ.' },
      centered: { type: 'boolean', default: RMSPROP_DEFAULTS.centered, description: 'Divide by the centred second moment (an estimate of the variance).' },
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
      unit: { enum: ['epoch', 'step'], default: STEP_SCHEDULE_DEFAULTS.unit, description: "'epoch' (StepLR stepped per epoch) or 'step'." },
      gamma: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: STEP_SCHEDULE_DEFAULTS.gamma, description: 'Multiplier per decay.' },
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

/** Options as a caller may write them: a field with a default may be left out. */
type Optional = { keepDefaultedPropertiesOptional: true };

export type SgdOptions = FromSchema<typeof OPTIMIZER_SCHEMAS.sgd, Optional>;
export type AdamOptions = FromSchema<typeof OPTIMIZER_SCHEMAS.adam, Optional>;
export type RmspropOptions = FromSchema<typeof OPTIMIZER_SCHEMAS.rmsprop, Optional>;
export type StepScheduleOptions = FromSchema<typeof SCHEDULE_SCHEMAS.step, Optional>;
export type CosineScheduleOptions = FromSchema<typeof SCHEDULE_SCHEMAS.cosine, Optional>;
