/**
 * The one VGG builder: a config list (defaults.ts) plus options make a tf.LayersModel with Keras-compatible
 * layer names. Parameter counts are computed from the same walk, without building.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamCounts } from '@vgglab/core';
import {
  AVGPOOL_SIZE,
  BATCH_NORM_EPSILON,
  BATCH_NORM_MOMENTUM,
  LINEAR_INIT_STDDEV,
  VGG_CFGS,
  VGG_NAMES,
  type VggCfgItem,
  type VggDepthName,
  type VggName,
} from './defaults.ts';
import { AdaptiveAveragePooling2D, FreezableBatchNormalization } from './layers.ts';
import { resolveVggOptions, VggOptionsError, type ResolvedVggOptions, type VggOptions } from './options.ts';
import { suggest } from '@vgglab/core';

/** Splits 'vgg16_bn' into its config and batch-norm flag; unknown names are errors with suggestions. */
export function parseVggName(name: string): { depth: VggDepthName; batchNorm: boolean; cfg: readonly VggCfgItem[] } {
  if (!(VGG_NAMES as readonly string[]).includes(name)) {
    const close = suggest(String(name), VGG_NAMES);
    throw new VggOptionsError(
      `unknown VGG variant ${JSON.stringify(name)}${close.length ? `; did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : `; known: ${VGG_NAMES.join(', ')}`}`,
    );
  }
  const depth = name.replace(/_bn$/, '') as VggDepthName;
  return { depth, batchNorm: name.endsWith('_bn'), cfg: VGG_CFGS[depth] };
}

/** One conv stage as built: its Keras name and output width. */
interface ConvPlan {
  block: number;
  index: number;
  name: string;
  inChannels: number;
  filters: number;
}

/** Walks a config list: conv widths after the width multiplier, with their Keras names. */
export function planConvs(cfg: readonly VggCfgItem[], widthMultiplier: number, inChannels: number): ConvPlan[] {
  const plans: ConvPlan[] = [];
  let block = 1;
  let index = 1;
  let channels = inChannels;
  for (const item of cfg) {
    if (item === 'M') {
      block++;
      index = 1;
      continue;
    }
    const filters = Math.max(1, Math.round(item * widthMultiplier));
    plans.push({ block, index, name: `block${block}_conv${index}`, inChannels: channels, filters });
    channels = filters;
    index++;
  }
  return plans;
}

/** Spatial size after the five 2x2 / stride 2 'valid' max-pools. */
const pooledSize = (size: number, pools: number): number => {
  for (let i = 0; i < pools; i++) size = Math.floor(size / 2);
  return size;
};

/** Analytic parameter counts (total includes BatchNorm's moving statistics, as tfjs' countParams does). */
export function countVggParams(name: VggName | string, options: VggOptions = {}): ParamCounts {
  const { cfg, batchNorm } = parseVggName(name);
  const o = resolveVggOptions(name, batchNorm, options);
  const convs = planConvs(cfg, o.widthMultiplier, o.inputShape[2]);
  let trainable = 0;
  let frozenStats = 0;
  for (const c of convs) {
    trainable += 9 * c.inChannels * c.filters + c.filters;
    if (o.batchNorm) {
      trainable += 2 * c.filters;
      frozenStats += 2 * c.filters;
    }
  }
  if (o.includeTop) {
    const channels = convs[convs.length - 1]!.filters;
    const pools = cfg.filter((x) => x === 'M').length;
    let features: number;
    if (o.pooling) features = channels;
    else if (o.avgPoolTo7) features = AVGPOOL_SIZE * AVGPOOL_SIZE * channels;
    else features = pooledSize(o.inputShape[0], pools) * pooledSize(o.inputShape[1], pools) * channels;
    for (const units of [...o.classifierUnits, o.numClasses]) {
      trainable += features * units + units;
      features = units;
    }
  }
  return { total: trainable + frozenStats, trainable };
}

/** Per-layer seeds derived from one seed, so equal-shaped layers do not get equal weights. */
function seeder(seed: number | undefined): () => number | undefined {
  let layer = 0;
  return () => (seed === undefined ? undefined : seed * 1000 + layer++);
}

/** Builds a VGG from its config list; see VggOptions for every option and its default. */
export function buildVgg(name: string, cfg: readonly VggCfgItem[], o: ResolvedVggOptions): tf.LayersModel {
  const nextSeed = seeder(o.seed);
  const input = tf.input({ shape: o.inputShape, name: 'input' });
  let x: tf.SymbolicTensor = input;
  let convIndex = 0;
  const convs = planConvs(cfg, o.widthMultiplier, o.inputShape[2]);
  let block = 1;
  for (const item of cfg) {
    if (item === 'M') {
      x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${block}_pool` }).apply(x) as tf.SymbolicTensor;
      block++;
      continue;
    }
    const plan = convs[convIndex++]!;
    // torchvision: kaiming_normal_(mode='fan_out', nonlinearity='relu'), i.e. N(0, 2 / (k*k*out)), untruncated.
    const stddev = Math.sqrt(2 / (9 * plan.filters));
    x = tf.layers
      .conv2d({
        filters: plan.filters,
        kernelSize: 3,
        padding: 'same',
        activation: o.batchNorm ? 'linear' : 'relu',
        kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev, seed: nextSeed() }),
        biasInitializer: 'zeros',
        name: plan.name,
      })
      .apply(x) as tf.SymbolicTensor;
    if (o.batchNorm) {
      x = new FreezableBatchNormalization({
        axis: -1,
        epsilon: BATCH_NORM_EPSILON,
        momentum: BATCH_NORM_MOMENTUM,
        name: `${plan.name}_bn`,
      }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.activation({ activation: 'relu', name: `${plan.name}_relu` }).apply(x) as tf.SymbolicTensor;
    }
  }

  if (!o.includeTop) {
    if (o.pooling === 'avg') x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
    if (o.pooling === 'max') x = tf.layers.globalMaxPooling2d({ name: 'max_pool' }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: x, name });
  }

  if (o.pooling === 'avg') x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  else if (o.pooling === 'max') x = tf.layers.globalMaxPooling2d({ name: 'max_pool' }).apply(x) as tf.SymbolicTensor;
  else {
    if (o.avgPoolTo7) {
      x = new AdaptiveAveragePooling2D({ outputSize: [AVGPOOL_SIZE, AVGPOOL_SIZE], name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  }
  const dense = (units: number, activation: 'relu' | 'softmax' | 'linear', layerName: string) =>
    tf.layers.dense({
      units,
      activation,
      kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: LINEAR_INIT_STDDEV, seed: nextSeed() }),
      biasInitializer: 'zeros',
      name: layerName,
    });
  o.classifierUnits.forEach((units, i) => {
    x = dense(units, 'relu', `fc${i + 1}`).apply(x) as tf.SymbolicTensor;
    if (o.dropout > 0) {
      x = tf.layers.dropout({ rate: o.dropout, seed: nextSeed(), name: `fc${i + 1}_dropout` }).apply(x) as tf.SymbolicTensor;
    }
  });
  x = dense(o.numClasses, o.classifierActivation, 'predictions').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name });
}

/**
 * Builds a VGG variant by name ('vgg11' … 'vgg19_bn'). Options are checked first; an error repeats what was
 * received. Example: `createVgg('vgg16', { numClasses: 5, inputShape: [64, 64, 3], widthMultiplier: 0.25 })`.
 */
export function createVgg(name: VggName | string, options: VggOptions = {}): tf.LayersModel {
  const { cfg, batchNorm } = parseVggName(name);
  return buildVgg(name, cfg, resolveVggOptions(name, batchNorm, options));
}

/** Names of the feature-extractor layers (`block*`), in model order: what `freeze: features` freezes. */
export function vggFeatureLayers(model: tf.LayersModel): string[] {
  return model.layers.filter((l) => /^block\d+_/.test(l.name)).map((l) => l.name);
}
