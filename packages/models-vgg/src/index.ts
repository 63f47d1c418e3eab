// Public surface of @vgglab/models-vgg.

// --- the plugin
export { vggPlugin, VGG_PLUGIN_NAME } from './plugin.ts';

// --- architecture
export { createVgg, buildVgg, countVggParams, parseVggName, planConvs, vggFeatureLayers } from './vgg.ts';
export {
  VGG_CFGS,
  VGG_NAMES,
  VGG_OPTION_DEFAULTS,
  IMAGENET_PREPROCESSING,
  DEFAULT_INPUT_SHAPE,
  DEFAULT_NUM_CLASSES,
  MIN_INPUT_SIZE,
} from './defaults.ts';
export type { VggCfgItem, VggDepthName, VggName } from './defaults.ts';
export { VGG_OPTIONS_SCHEMA, VggOptionsError, resolveVggOptions } from './options.ts';
export type { VggArchOptions, VggOptions, ResolvedVggOptions } from './options.ts';
export { AdaptiveAveragePooling2D, FreezableBatchNormalization, adaptivePoolMatrix } from './layers.ts';

// --- weights
export { loadWeights, readWeightsFile, WeightsMismatchError } from './weights/load.ts';
export { WeightsFileError } from './weights/source.ts';
export type { SourceTensor, WeightsSource } from './weights/source.ts';

// --- transfer learning
export { freezeLayers } from './freeze.ts';
export type { FreezeOptions, FreezeSpec } from './freeze.ts';
