/**
 * Every default of @vgglab/models-vgg lives here: the architecture tables, the option defaults and the
 * preprocessing the pretrained (torchvision / timm) weights expect.
 */
import type { InputShape, Preprocessing } from '@vgglab/core';

/** One entry of a config list: a 3x3 conv with that many output channels, or 'M' for a 2x2 max-pool. */
export type VggCfgItem = number | 'M';

/**
 * torchvision's `cfgs` A, B, D and E (Simonyan & Zisserman, table 1), keyed by the plain variant they build.
 * Architecture is data: one builder (vgg.ts) turns any of these lists into a model.
 */
export const VGG_CFGS = {
  /** cfg A */
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  /** cfg B */
  vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  /** cfg D */
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  /** cfg E */
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const satisfies Record<string, readonly VggCfgItem[]>;

export type VggDepthName = keyof typeof VGG_CFGS;
export type VggName = VggDepthName | `${VggDepthName}_bn`;

/** The eight registered variants, in listing order. */
export const VGG_NAMES: readonly VggName[] = (Object.keys(VGG_CFGS) as VggDepthName[]).flatMap((n) => [
  n,
  `${n}_bn` as const,
]);

/** ImageNet statistics on pixels in [0, 1], as torchvision's and timm's VGG weights expect. */
export const IMAGENET_PREPROCESSING: Preprocessing = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

export const DEFAULT_INPUT_SHAPE: InputShape = [224, 224, 3];
export const DEFAULT_NUM_CLASSES = 1000;

/** Smallest height/width: five 2x2 max-pools must leave at least one pixel. */
export const MIN_INPUT_SIZE = 32;

/** Side of torchvision's adaptive average pool before the classifier. */
export const AVGPOOL_SIZE = 7;

/** torchvision's BatchNorm2d: eps 1e-5, momentum 0.1 (Keras/tfjs momentum is 1 - PyTorch's). */
export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.9;

/** Standard deviation of the normal init of Linear weights (torchvision: normal_(0, 0.01)). */
export const LINEAR_INIT_STDDEV = 0.01;

/** Defaults of the VGG-specific options (see options.ts for their meaning). */
export const VGG_OPTION_DEFAULTS = {
  widthMultiplier: 1,
  classifierUnits: [4096, 4096] as readonly number[],
  dropout: 0.5,
  includeTop: true,
  avgPoolTo7: true,
  classifierActivation: 'softmax' as 'softmax' | 'linear',
} as const;
