/**
 * Freezing a VGG: core's freezeLayers, where 'features' defaults to VGG's feature layers (`block*`). Frozen
 * FreezableBatchNormalization layers also stop updating their moving statistics (they read `trainable`).
 */
import type * as tf from '@tensorflow/tfjs';
import { freezeLayers as freezeModelLayers, type FreezeOptions, type FreezeSpec } from '@vgglab/core';
import { vggFeatureLayers } from './vgg.ts';

export type { FreezeOptions, FreezeSpec };

/** `freeze` of a VGG (or, with `featureLayers`, of any model): see core's freezeLayers. */
export function freezeLayers(model: tf.LayersModel, freeze: FreezeSpec, options: FreezeOptions = {}): string[] {
  return freezeModelLayers(model, freeze, { featureLayers: options.featureLayers ?? vggFeatureLayers(model) });
}
