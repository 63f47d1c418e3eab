/**
 * The VGG builder's options: their JSON Schema (for the experiment spec), their type derived from it, and the check that runs
 * before anything is built. Errors repeat what was received and name the model.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { suggest } from '@vgglab/core';
import type { InputShape, ModelBuildOptions, OptionsSchema } from '@vgglab/core';
import {
  DEFAULT_INPUT_SHAPE,
  DEFAULT_NUM_CLASSES,
  MIN_INPUT_SIZE,
  VGG_OPTION_DEFAULTS,
} from './defaults.ts';

/** Options after defaults and checks. */
export interface ResolvedVggOptions {
  numClasses: number;
  inputShape: InputShape;
  seed: number | undefined;
  batchNorm: boolean;
  widthMultiplier: number;
  classifierUnits: number[];
  dropout: number;
  includeTop: boolean;
  pooling: 'avg' | 'max' | undefined;
  avgPoolTo7: boolean;
  classifierActivation: 'softmax' | 'linear';
}

/** JSON Schema of `model.options` for every VGG entry (the base options come from the spec and the dataset). */
export const VGG_OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    batchNorm: {
      type: 'boolean',
      description: 'BatchNorm after every conv; defaults to true for *_bn names, false otherwise.',
    },
    widthMultiplier: {
      type: 'number',
      exclusiveMinimum: 0,
      default: VGG_OPTION_DEFAULTS.widthMultiplier,
      description: 'Scales every conv width (rounded, at least 1), for CPU-sized experiments.',
    },
    classifierUnits: {
      type: 'array',
      items: { type: 'integer', minimum: 1 },
      default: [...VGG_OPTION_DEFAULTS.classifierUnits],
      description: 'Units of the hidden fully connected layers fc1, fc2, …',
    },
    dropout: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      default: VGG_OPTION_DEFAULTS.dropout,
      description: 'Dropout rate after each hidden fully connected layer.',
    },
    includeTop: {
      type: 'boolean',
      default: VGG_OPTION_DEFAULTS.includeTop,
      description: 'Include the classifier head; false gives the feature extractor.',
    },
    pooling: {
      enum: ['avg', 'max'],
      description:
        'Global pooling of the last feature map: without the top it is the extractor output (Keras); with the top it replaces the 7x7 flatten by a light head of 512·width inputs.',
    },
    // No schema default: a filled-in `true` would collide with an explicit `pooling`, which replaces it.
    avgPoolTo7: {
      type: 'boolean',
      description:
        "torchvision's adaptive average pool to 7x7 before the flatten (defaults to true unless pooling is set); false flattens block5_pool directly.",
    },
    classifierActivation: {
      enum: ['softmax', 'linear'],
      default: VGG_OPTION_DEFAULTS.classifierActivation,
      description: "Activation of 'predictions': softmax (probabilities, Keras) or linear (logits, torchvision).",
    },
  },
} as const satisfies OptionsSchema;

/**
 * VGG-specific options (the `model.options` of a spec), derived from the schema above (its descriptions say
 * what each does; defaults in defaults.ts). Every field is optional.
 */
export type VggArchOptions = FromSchema<typeof VGG_OPTIONS_SCHEMA, { keepDefaultedPropertiesOptional: true }>;

/** Everything `createVgg` takes: the base options every model understands plus the VGG-specific ones. */
export type VggOptions = Partial<ModelBuildOptions> & VggArchOptions;

const BASE_KEYS = ['numClasses', 'inputShape', 'seed'] as const;
const KNOWN_KEYS = [...BASE_KEYS, ...Object.keys(VGG_OPTIONS_SCHEMA.properties as object)];

export class VggOptionsError extends Error {
  override name = 'VggOptionsError';
}

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Applies defaults and checks every option; throws one error listing every problem, each repeating the
 * value received. `batchNormFromName` is the variant's own setting (true for `*_bn`).
 */
export function resolveVggOptions(model: string, batchNormFromName: boolean, options: VggOptions = {}): ResolvedVggOptions {
  const problems: string[] = [];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new VggOptionsError(`${model}: options must be an object, received ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.includes(key)) {
      const close = suggest(key, KNOWN_KEYS);
      problems.push(`unknown option '${key}'${close.length ? `; did you mean '${close[0]}'?` : `; known: ${KNOWN_KEYS.join(', ')}`}`);
    }
  }
  const o = options as Record<string, unknown>;
  const numClasses = o.numClasses ?? DEFAULT_NUM_CLASSES;
  if (!isPositiveInt(numClasses)) problems.push(`numClasses must be a positive integer, received ${show(o.numClasses)}`);

  const inputShape = o.inputShape ?? DEFAULT_INPUT_SHAPE;
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every(isPositiveInt)) {
    problems.push(`inputShape must be [height, width, channels] of positive integers, received ${show(o.inputShape)}`);
  } else if (inputShape[0] < MIN_INPUT_SIZE || inputShape[1] < MIN_INPUT_SIZE) {
    problems.push(
      `inputShape height and width must be at least ${MIN_INPUT_SIZE} (five 2x2 max-pools), received ${show(o.inputShape)}`,
    );
  }
  if (o.seed !== undefined && !(typeof o.seed === 'number' && Number.isInteger(o.seed) && o.seed >= 0)) {
    problems.push(`seed must be a non-negative integer, received ${show(o.seed)}`);
  }

  const batchNorm = o.batchNorm ?? batchNormFromName;
  if (typeof batchNorm !== 'boolean') problems.push(`batchNorm must be a boolean, received ${show(o.batchNorm)}`);
  else if (batchNorm !== batchNormFromName) {
    problems.push(
      batchNormFromName
        ? `batchNorm false contradicts '${model}'; use '${model.replace(/_bn$/, '')}' instead`
        : `batchNorm true contradicts '${model}'; use '${model}_bn' instead`,
    );
  }

  const widthMultiplier = o.widthMultiplier ?? VGG_OPTION_DEFAULTS.widthMultiplier;
  if (typeof widthMultiplier !== 'number' || !Number.isFinite(widthMultiplier) || widthMultiplier <= 0) {
    problems.push(`widthMultiplier must be a number > 0, received ${show(o.widthMultiplier)}`);
  }
  const classifierUnits = o.classifierUnits ?? [...VGG_OPTION_DEFAULTS.classifierUnits];
  if (!Array.isArray(classifierUnits) || !classifierUnits.every(isPositiveInt)) {
    problems.push(`classifierUnits must be an array of positive integers, received ${show(o.classifierUnits)}`);
  }
  const dropout = o.dropout ?? VGG_OPTION_DEFAULTS.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    problems.push(`dropout must be a number in [0, 1), received ${show(o.dropout)}`);
  }
  const includeTop = o.includeTop ?? VGG_OPTION_DEFAULTS.includeTop;
  if (typeof includeTop !== 'boolean') problems.push(`includeTop must be a boolean, received ${show(o.includeTop)}`);
  const pooling = o.pooling ?? undefined;
  if (pooling !== undefined && pooling !== 'avg' && pooling !== 'max') {
    problems.push(`pooling must be 'avg', 'max' or absent, received ${show(o.pooling)}`);
  }
  const avgPoolTo7 = o.avgPoolTo7 ?? VGG_OPTION_DEFAULTS.avgPoolTo7;
  if (typeof avgPoolTo7 !== 'boolean') problems.push(`avgPoolTo7 must be a boolean, received ${show(o.avgPoolTo7)}`);
  if (o.avgPoolTo7 === true && pooling !== undefined) {
    problems.push(`avgPoolTo7 true and pooling ${show(pooling)} exclude each other; set only one`);
  }
  const classifierActivation = o.classifierActivation ?? VGG_OPTION_DEFAULTS.classifierActivation;
  if (classifierActivation !== 'softmax' && classifierActivation !== 'linear') {
    problems.push(`classifierActivation must be 'softmax' or 'linear', received ${show(o.classifierActivation)}`);
  }
  if (problems.length === 1) throw new VggOptionsError(`${model}: ${problems[0]}`);
  if (problems.length > 1) throw new VggOptionsError(`${model}: ${problems.length} invalid options:\n  - ${problems.join('\n  - ')}`);

  return {
    numClasses: numClasses as number,
    inputShape: [...(inputShape as number[])] as InputShape,
    seed: o.seed as number | undefined,
    batchNorm: batchNorm as boolean,
    widthMultiplier: widthMultiplier as number,
    classifierUnits: [...(classifierUnits as number[])],
    dropout: dropout as number,
    includeTop: includeTop as boolean,
    pooling: pooling as 'avg' | 'max' | undefined,
    avgPoolTo7: (avgPoolTo7 as boolean) && pooling === undefined,
    classifierActivation: classifierActivation as 'softmax' | 'linear',
  };
}
