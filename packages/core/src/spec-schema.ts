/**
 * The experiment spec's JSON Schema: the single source of the spec's TypeScript types (derived below with
 * json-schema-to-ts). Plugin-specific `options` objects are checked against each plugin entry's own
 * `optionsSchema` once the registry is known (see spec.ts).
 */
import type { FromSchema } from 'json-schema-to-ts';

const pluginOptions = {
  type: 'object',
  description: 'Options of the chosen plugin entry; checked against that entry\'s own schema.',
  additionalProperties: true,
} as const;

const transformList = {
  type: 'array',
  description: 'Transforms applied in order, each written as a one-key object: `- randomResizedCrop: { size: 224 }`.',
  items: {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: { anyOf: [{ type: 'object' }, { type: 'null' }] },
  },
} as const;

export const experimentSpecSchema = {
  $id: 'https://vgglab.dev/schemas/experiment.json',
  description: 'An experiment. Top-level x-… fields are free (holders of YAML anchors) and are dropped before validation.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'model', 'data', 'optimizer', 'train'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      patternHint: "made of letters, digits, '.', '_' and '-', starting with a letter or digit",
      description: 'Experiment name; runs are grouped under it.',
    },
    description: { type: 'string' },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Seeds weights, shuffling and augmentation.' },
    tags: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Free-form key/value tags stored with each run.',
    },
    plugins: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
      description:
        "Modules with more plugins (models, datasets, optimizers), loaded before the spec's names are resolved: " +
        "paths relative to the spec file's folder, or package names. --plugin and VGGLAB_PLUGINS add more.",
    },
    engine: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        backend: { enum: ['auto', 'tensorflow', 'native', 'wasm', 'cpu'], default: 'auto', description: 'VGGLAB_BACKEND overrides it.' },
        threads: { type: 'integer', minimum: 1, maximum: 64, description: 'native and wasm threads (wasm: at most 8); defaults to the number of cores. VGGLAB_THREADS overrides it.' },
      },
    },
    model: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        inputShape: {
          type: 'array',
          items: { type: 'integer', minimum: 1 },
          minItems: 3,
          maxItems: 3,
          description: '[height, width, channels]; defaults to the model\'s own.',
        },
        options: pluginOptions,
        pretrained: { type: 'string', minLength: 1, description: 'Local weights file (.safetensors, .pth, model.json).' },
        strictWeights: { type: 'boolean', default: false },
        freeze: {
          type: 'string',
          minLength: 1,
          default: 'none',
          description: "'features', 'none', or a glob of layer names.",
        },
      },
    },
    data: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        options: pluginOptions,
        batchSize: { type: 'integer', minimum: 1, maximum: 65536, default: 32 },
        transforms: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { train: transformList, val: transformList },
        },
        cache: { enum: ['none', 'memory', 'disk'], default: 'none' },
        prefetch: { type: 'integer', minimum: 0, maximum: 64, default: 2 },
        strict: { type: 'boolean', default: false, description: 'Stop before training on any unreadable file.' },
      },
    },
    optimizer: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'lr'],
      properties: {
        name: { type: 'string', minLength: 1 },
        lr: { type: 'number', exclusiveMinimum: 0 },
        options: pluginOptions,
        schedule: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1 },
            options: pluginOptions,
            warmupSteps: { type: 'integer', minimum: 0, default: 0, description: 'Linear warm-up from 0 to lr.' },
          },
        },
      },
    },
    train: {
      type: 'object',
      additionalProperties: false,
      required: ['epochs'],
      properties: {
        epochs: { type: 'integer', minimum: 1 },
        monitor: { type: 'string', minLength: 1, default: 'val/accuracy', description: 'Metric that picks the best checkpoint.' },
        mode: { enum: ['max', 'min'], default: 'max' },
        earlyStopping: {
          type: 'object',
          additionalProperties: false,
          required: ['patience'],
          properties: {
            patience: { type: 'integer', minimum: 1 },
            minDelta: { type: 'number', minimum: 0, default: 0 },
          },
        },
        logEverySteps: { type: 'integer', minimum: 1, default: 10 },
        maxStepsPerEpoch: { type: 'integer', minimum: 1, description: 'Cap on training steps per epoch (smoke runs).' },
        // No schema defaults for the next two: a default would enter every resolved spec and change the hash of
        // specs written before them (a sweep would re-run its finished points). The runner reads absent as stated.
        evaluate: {
          type: 'boolean',
          description:
            'Evaluate the best checkpoint on the validation split when training ends (confusion matrix, per-class ' +
            'precision/recall, the misclassified images). Absent means true; false turns it off.',
        },
        systemMetricsSeconds: {
          type: 'number',
          minimum: 0,
          description: 'Log process CPU %, RSS, JS heap, tfjs bytes and img/s (sys/*) every this many seconds. Absent means 10; 0 turns it off.',
        },
      },
    },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        db: { type: 'string', minLength: 1, description: 'SQLite file; default runs/vgglab.db; --db and VGGLAB_DB override.' },
        dir: { type: 'string', minLength: 1, description: 'Folder for checkpoints; default: the db file\'s folder.' },
      },
    },
    sweep: {
      type: 'object',
      description: 'Grid: each key is a dotted field path, each value the list of values to try.',
      minProperties: 1,
      additionalProperties: { type: 'array', minItems: 1 },
    },
  },
} as const;

/** The spec as written (defaults filled by ajv's useDefaults). */
export type ExperimentSpec = FromSchema<typeof experimentSpecSchema>;

const fields = experimentSpecSchema.properties;
/**
 * The schema's defaults of the fields the runner reads, taken from the schema above (not written twice): a
 * spec object that did not go through the schema (a test's, a benchmark's) falls back on them.
 */
export const SPEC_DEFAULTS = {
  seed: fields.seed.default,
  freeze: fields.model.properties.freeze.default,
  strictWeights: fields.model.properties.strictWeights.default,
  batchSize: fields.data.properties.batchSize.default,
  cache: fields.data.properties.cache.default,
  prefetch: fields.data.properties.prefetch.default,
  strictData: fields.data.properties.strict.default,
  monitor: fields.train.properties.monitor.default,
  mode: fields.train.properties.mode.default,
  logEverySteps: fields.train.properties.logEverySteps.default,
  minDelta: fields.train.properties.earlyStopping.properties.minDelta.default,
  warmupSteps: fields.optimizer.properties.schedule.properties.warmupSteps.default,
} as const;

/**
 * What the runner reads when these fields are absent. Not schema defaults: a default would enter every resolved spec
 * and change the hash of every spec written before the field existed (a sweep would re-run its finished points).
 */
export const ABSENT_FIELD_DEFAULTS = {
  /** `train.evaluate` */
  evaluate: true,
  /** `train.systemMetricsSeconds` */
  systemMetricsSeconds: 10,
} as const;
