/**
 * `model.freeze` of a spec: 'features', 'none', or a glob of layer names, for any model entry: 'features'
 * means the layers the entry's `featureLayers(model)` names. Freezing sets `trainable`; a layer that must
 * behave differently when frozen reads its own `trainable` (models-vgg's batch norm stops updating its
 * statistics). Call it before compiling or collecting the optimizer's variables: tfjs collects trainable
 * weights then.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelEntry } from './plugin.ts';
import { globToRegExp } from './registry.ts';

export type FreezeSpec = 'features' | 'none' | (string & {});

export interface FreezeOptions {
  /** The layers `features` means (a model entry's featureLayers(model)); without them, 'features' is an error. */
  featureLayers?: string[];
}

/**
 * Sets the matched layers non-trainable and every other layer trainable, so the result depends only on
 * `freeze`. Returns the names of the frozen layers that hold weights, in model order. A glob matching no
 * layer is an error listing the layers.
 */
export function freezeLayers(model: tf.LayersModel, freeze: FreezeSpec, options: FreezeOptions = {}): string[] {
  if (typeof freeze !== 'string' || freeze.length === 0) {
    throw new Error(`freeze must be 'features', 'none' or a glob of layer names, received ${JSON.stringify(freeze)}`);
  }
  const matches = matcher(model, freeze, options);
  const frozen: string[] = [];
  for (const layer of model.layers) {
    const freezeIt = matches(layer.name);
    layer.trainable = !freezeIt;
    if (freezeIt && layer.weights.length > 0) frozen.push(layer.name);
  }
  return frozen;
}

function matcher(model: tf.LayersModel, freeze: FreezeSpec, options: FreezeOptions): (name: string) => boolean {
  if (freeze === 'none') return () => false;
  if (freeze === 'features') {
    if (!options.featureLayers) throw new Error(`freeze 'features': model '${model.name}' does not say which layers are its features (its entry has no featureLayers)`);
    const names = new Set(options.featureLayers);
    if (names.size === 0) throw new Error(`freeze 'features': model '${model.name}' has no feature layers`);
    const unknown = [...names].filter((n) => !model.layers.some((l) => l.name === n));
    if (unknown.length) throw new Error(`freeze 'features': model '${model.name}' has no layer ${unknown.map((n) => `'${n}'`).join(', ')}`);
    return (n) => names.has(n);
  }
  const re = globToRegExp(freeze);
  if (!model.layers.some((l) => re.test(l.name))) {
    throw new Error(`freeze '${freeze}' matches no layer of model '${model.name}'; layers: ${model.layers.map((l) => l.name).join(', ')}`);
  }
  return (n) => re.test(n);
}

/** Freezes a model built by `entry` as a spec's `model.freeze` says; 'features' are the entry's own. */
export function freezeModel(entry: Pick<ModelEntry, 'featureLayers'>, model: tf.LayersModel, freeze: FreezeSpec): string[] {
  return freezeLayers(model, freeze, entry.featureLayers ? { featureLayers: entry.featureLayers(model) } : {});
}
