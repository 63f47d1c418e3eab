/**
 * A complete model plugin in one file: a tiny CNN (conv-relu-pool blocks, global average pool, softmax head).
 * It is the example of the root README's "Writing a model plugin", kept working by tiny-cnn.test.ts. Copy it to start your own plugin.
 *
 *   vgglab exp experiment.yaml --plugin ./tiny-cnn.ts    # the runner loads the module's default export
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelBuildOptions, ModelEntry, ModelPlugin, OptionsSchema, ParamCounts } from '@vgglab/core';

/** The entry's own options (the spec's `model.options`). Defaults live in TINY_CNN_DEFAULTS. */
export interface TinyCnnOptions extends Record<string, unknown> {
  /** Filters of the first block; each next block doubles them. Defaults to 8. */
  filters?: number;
  /** Conv-relu-pool blocks. Defaults to 2. */
  blocks?: number;
  /** Dropout before the classifier. Defaults to 0. */
  dropout?: number;
}

export const TINY_CNN_DEFAULTS = { filters: 8, blocks: 2, dropout: 0 } as const;

/** JSON Schema of the options: the spec is checked against it before anything runs; `default`s are filled in. */
const optionsSchema: OptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    filters: { type: 'integer', minimum: 1, default: TINY_CNN_DEFAULTS.filters, description: 'Filters of the first block; doubled per block.' },
    blocks: { type: 'integer', minimum: 1, maximum: 6, default: TINY_CNN_DEFAULTS.blocks, description: 'Conv-relu-pool blocks.' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: TINY_CNN_DEFAULTS.dropout, description: 'Dropout before the classifier.' },
  },
};

/** Options with defaults applied, checked; the error repeats what was received (factories can be called directly). */
function resolve(base: ModelBuildOptions, options: TinyCnnOptions = {}) {
  const o = { ...TINY_CNN_DEFAULTS, ...options };
  if (!Number.isInteger(o.filters) || o.filters < 1) throw new Error(`tiny_cnn: filters must be a positive integer, received ${JSON.stringify(options.filters)}`);
  if (!Number.isInteger(o.blocks) || o.blocks < 1) throw new Error(`tiny_cnn: blocks must be a positive integer, received ${JSON.stringify(options.blocks)}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new Error(`tiny_cnn: dropout must be in [0, 1), received ${JSON.stringify(options.dropout)}`);
  if (!Number.isInteger(base.numClasses) || base.numClasses < 1) throw new Error(`tiny_cnn: numClasses must be a positive integer, received ${JSON.stringify(base.numClasses)}`);
  const [h, w] = base.inputShape;
  if (h >> o.blocks < 1 || w >> o.blocks < 1) {
    throw new Error(`tiny_cnn: inputShape ${JSON.stringify(base.inputShape)} is too small for ${o.blocks} 2x2 pools (needs ${2 ** o.blocks}px)`);
  }
  return o;
}

function build(base: ModelBuildOptions, options?: TinyCnnOptions): tf.LayersModel {
  const o = resolve(base, options);
  const seed = (i: number) => (base.seed === undefined ? undefined : base.seed * 100 + i);
  const input = tf.input({ shape: base.inputShape, name: 'input' });
  let x = input;
  for (let b = 1; b <= o.blocks; b++) {
    x = tf.layers
      .conv2d({ filters: o.filters * 2 ** (b - 1), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed(b) }), name: `block${b}_conv` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `block${b}_pool` }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, seed: seed(0), name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({ units: base.numClasses, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed(99) }), name: 'predictions' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'tiny_cnn' });
}

/** Counted from the options alone, so `vgglab models` lists the entry without building it. */
function countParams(base: ModelBuildOptions, options?: TinyCnnOptions): ParamCounts {
  const o = resolve(base, options);
  let channels = base.inputShape[2];
  let total = 0;
  for (let b = 1; b <= o.blocks; b++) {
    const filters = o.filters * 2 ** (b - 1);
    total += 9 * channels * filters + filters;
    channels = filters;
  }
  total += channels * base.numClasses + base.numClasses;
  return { total, trainable: total };
}

const tinyCnn: ModelEntry<TinyCnnOptions> = {
  description: 'A tiny CNN: conv-relu-pool blocks, global average pool, softmax (the plugin example)',
  defaults: { inputShape: [32, 32, 3], numClasses: 10, preprocessing: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
  optionsSchema,
  build,
  countParams,
  featureLayers: (model) => model.layers.filter((l) => l.name.startsWith('block')).map((l) => l.name),
};

/** The plugin factory: a plain object with a unique `name` and its model entries. */
export const tinyCnnPlugin = (): ModelPlugin => ({ name: 'tiny-cnn', models: { tiny_cnn: tinyCnn } });

export default tinyCnnPlugin;
