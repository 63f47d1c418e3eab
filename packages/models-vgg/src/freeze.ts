/**
 * `model.freeze` of the spec: 'features', 'none', or a glob of layer names. Call it before compiling or
 * creating the optimizer's variable list: tfjs collects trainable weights at compile time.
 */
import type * as tf from '@tensorflow/tfjs';
import { globToRegExp } from '@vgglab/core';
import { vggFeatureLayers } from './vgg.ts';

export type FreezeSpec = 'features' | 'none' | (string & {});

export interface FreezeOptions {
  /** Layers `features` means; defaults to VGG's (`block*`). Other plugins pass their entry's featureLayers(model). */
  featureLayers?: string[];
}

/**
 * Sets the matched layers non-trainable and every other layer trainable, so the result depends only on `freeze`.
 * Frozen FreezableBatchNormalization layers also stop updating their moving statistics. Returns the names of
 * the frozen layers that hold weights, in model order. A glob matching no layer is an error listing the layers.
 */
export function freezeLayers(model: tf.LayersModel, freeze: FreezeSpec, options: FreezeOptions = {}): string[] {
  if (typeof freeze !== 'string' || freeze.length === 0) {
    throw new Error(`freeze must be 'features', 'none' or a glob of layer names, received ${JSON.stringify(freeze)}`);
  }
  let matches: (name: string) => boolean;
  if (freeze === 'none') matches = () => false;
  else if (freeze === 'features') {
    const names = new Set(options.featureLayers ?? vggFeatureLayers(model));
    if (names.size === 0) throw new Error(`freeze 'features': model '${model.name}' has no feature layers`);
    const unknown = [...names].filter((n) => !model.layers.some((l) => l.name === n));
    if (unknown.length) throw new Error(`freeze 'features': model '${model.name}' has no layer ${unknown.map((n) => `'${n}'`).join(', ')}`);
    matches = (n) => names.has(n);
  } else {
    const re = globToRegExp(freeze);
    if (!model.layers.some((l) => re.test(l.name))) {
      throw new Error(`freeze '${freeze}' matches no layer of model '${model.name}'; layers: ${model.layers.map((l) => l.name).join(', ')}`);
    }
    matches = (n) => re.test(n);
  }
  const frozen: string[] = [];
  for (const layer of model.layers) {
    const freezeIt = matches(layer.name);
    layer.trainable = !freezeIt;
    if (freezeIt && layer.weights.length > 0) frozen.push(layer.name);
  }
  return frozen;
}
