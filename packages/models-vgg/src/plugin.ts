/**
 * The `models-vgg` plugin: one entry per variant, all made from the same builder and metadata.
 */
import type { ModelBuildOptions, ModelEntry, ModelPlugin } from '@vgglab/core';
import { DEFAULT_INPUT_SHAPE, DEFAULT_NUM_CLASSES, IMAGENET_PREPROCESSING, VGG_NAMES, type VggName } from './defaults.ts';
import { VGG_OPTIONS_SCHEMA, type VggArchOptions } from './options.ts';
import { countVggParams, createVgg, vggFeatureLayers } from './vgg.ts';
import { loadWeights } from './weights/load.ts';

export const VGG_PLUGIN_NAME = 'models-vgg';

const DESCRIPTIONS: Record<string, string> = {
  vgg11: 'VGG 11-layer (config A)',
  vgg13: 'VGG 13-layer (config B)',
  vgg16: 'VGG 16-layer (config D)',
  vgg19: 'VGG 19-layer (config E)',
};

/** Only the base fields: the runner may pass a wider object (e.g. an entry's `defaults`). */
const baseOf = ({ numClasses, inputShape, seed }: ModelBuildOptions): Partial<ModelBuildOptions> =>
  seed === undefined ? { numClasses, inputShape } : { numClasses, inputShape, seed };

function vggEntry(name: VggName): ModelEntry<VggArchOptions & Record<string, unknown>> {
  const depth = name.replace(/_bn$/, '');
  return {
    description: `${DESCRIPTIONS[depth]}${name.endsWith('_bn') ? ' with batch normalization' : ''}, torchvision layout`,
    defaults: { inputShape: [...DEFAULT_INPUT_SHAPE], numClasses: DEFAULT_NUM_CLASSES, preprocessing: IMAGENET_PREPROCESSING },
    optionsSchema: VGG_OPTIONS_SCHEMA,
    build: (base, options = {}) => createVgg(name, { ...options, ...baseOf(base) }),
    countParams: (base, options = {}) => countVggParams(name, { ...options, ...baseOf(base) }),
    loadWeights: (model, file, options) => loadWeights(model, file, options),
    featureLayers: (model) => vggFeatureLayers(model),
  };
}

/** The VGG family as a model plugin: vgg11, vgg11_bn, … vgg19_bn. Register it once: `registry.register(vggPlugin())`. */
export const vggPlugin = (): ModelPlugin => ({
  name: VGG_PLUGIN_NAME,
  models: Object.fromEntries(VGG_NAMES.map((n) => [n, vggEntry(n)])),
});
