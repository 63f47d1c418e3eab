/**
 * Capacity: will a training run fit in the backend's memory? Estimated before the first step, so a run
 * that cannot fit is refused with the estimate and what would make it fit, instead of crashing mid-epoch
 * (wasm memory is 32-bit: 4 GB for weights, gradients, optimizer state and activations together).
 *
 * The model is described by counts (a ModelMemoryProfile), which `profileModel` reads from a built
 * tf.LayersModel without running it; big models can be described by counts without building them.
 */
import os from 'node:os';
import type * as tf from '@tensorflow/tfjs';
import type { BackendName } from './backend.ts';

const BYTES_PER_FLOAT = 4;
/** wasm32 linear memory: tfjs's Emscripten heap maximum (just under 4 GiB). */
export const WASM_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;
/**
 * wasm only, an empirical factor on top of the counted tensors: dlmalloc inside one linear memory
 * fragments under tensors of hundreds of MB, XNNPACK keeps packed copies of weights, and reads copy data
 * out. Calibrated on what was measured for full VGG16 on wasm (shared/notes/engine.md): SGD at batch 1
 * trained while SGD at batch 8 and Adam at batch 1 ran out of memory; the counted tensors of the SGD
 * batch-8 run come to ~2.6 GB, so at least ~1.65x was really in use. Refusing a run at the edge is
 * better than crashing it mid-epoch; the message gives the largest batch that fits.
 */
const WASM_ALLOCATOR_OVERHEAD = 1.7;
/**
 * Backward working set, in multiples of the largest activation: dy and dx of the layer being
 * differentiated, the ReLU mask, and the padded/transposed copies our conv gradient kernels make.
 */
const BACKWARD_WORKSPACE_ACTIVATIONS = 6;

export type OptimizerKind = 'adam' | 'sgd' | 'rmsprop';

export interface OptimizerMemorySpec {
  kind: OptimizerKind;
  /** sgd: > 0 adds the momentum slot; rmsprop keeps its moments slot in tfjs whatever the value. */
  momentum?: number;
  nesterov?: boolean;
  /** rmsprop: centered adds a mean-gradient slot. */
  centered?: boolean;
}

/** What memory planning needs to know about a model, per sample where it says so. Counts are floats. */
export interface ModelMemoryProfile {
  trainableParams: number;
  frozenParams: number;
  /** Largest single trainable weight tensor (optimizers that update per variable peak on it). */
  largestTrainableTensor: number;
  /** Floats per sample the gradient tape keeps from the forward pass (every layer output, the input included). */
  activationsPerSample: number;
  /** Largest single layer output per sample. */
  largestActivationPerSample: number;
  /** Parameters of the feature extractor (layers up to the last conv/pool), for the "frozen features" advice. */
  featureParams?: number;
  /** Channels of the feature extractor's output and the class count, for the "pooled head" advice. */
  featureChannels?: number;
  numClasses?: number;
}

export interface TrainingMemoryRequest {
  model: tf.LayersModel | ModelMemoryProfile;
  batchSize: number;
  optimizer: OptimizerKind | OptimizerMemorySpec;
  backend: BackendName;
  /** Overrides the backend's limit (bytes); defaults: wasm 4 GiB, cpu/tensorflow the machine's total memory. */
  limitBytes?: number;
}

export interface TrainingMemoryBreakdown {
  weights: number;
  gradients: number;
  optimizerState: number;
  /** Temporaries alive during the optimizer update (tfjs's Adam updates all variables inside one tidy). */
  optimizerUpdate: number;
  activations: number;
  backwardWorkspace: number;
  /** wasm allocator and XNNPACK overhead on top of the rest. */
  overhead: number;
}

export interface TrainingMemoryEstimate {
  bytes: number;
  breakdown: TrainingMemoryBreakdown;
  backend: BackendName;
  batchSize: number;
  optimizer: OptimizerMemorySpec;
  optimizerSlots: number;
  limitBytes: number;
  fits: boolean;
  /** Largest batch size that fits with this model, optimizer and backend (0: not even batch 1). */
  maxBatchSize: number;
  /** What would make it fit (empty when it fits). */
  advice: string[];
  /** One paragraph: the estimate, the breakdown, and (when it does not fit) the advice. */
  message: string;
}

export class CapacityError extends Error {
  override name = 'CapacityError';
  constructor(readonly estimate: TrainingMemoryEstimate) {
    super(estimate.message);
  }
}

const size = (shape: readonly (number | null)[]) => shape.reduce<number>((a, d) => a * (d ?? 1), 1);
/** Layers whose output shares its input's data in tfjs (no new memory) or keeps nothing for the backward pass. */
const VIEW_LAYERS = new Set(['Flatten', 'Reshape', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'Activation']);
const FEATURE_LAYERS = /^(Conv|DepthwiseConv|SeparableConv|MaxPooling|AveragePooling|BatchNormalization|ZeroPadding)/;

/** Reads a ModelMemoryProfile from a built model (shapes and weight counts only; nothing runs). */
export function profileModel(model: tf.LayersModel): ModelMemoryProfile {
  let activations = 0;
  let largestActivation = 0;
  let lastFeatureIndex = -1;
  let featureChannels: number | undefined;
  // A model used as a layer (e.g. a features sub-model) contributes its own layers.
  const flatten = (layers: tf.layers.Layer[]): tf.layers.Layer[] =>
    layers.flatMap((layer) => {
      const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      return Array.isArray(inner) ? flatten(inner) : [layer];
    });
  const layers = flatten(model.layers);
  layers.forEach((layer, index) => {
    const className = layer.getClassName();
    if (FEATURE_LAYERS.test(className)) {
      lastFeatureIndex = index;
      const shape = layer.outputShape as (number | null)[];
      featureChannels = shape[shape.length - 1] ?? undefined;
    }
    if (VIEW_LAYERS.has(className)) return;
    const shapes = (Array.isArray(layer.outputShape[0]) || layer.outputShape.length === 0
      ? layer.outputShape
      : [layer.outputShape]) as (number | null)[][];
    for (const shape of shapes) {
      const floats = size(shape.slice(1));
      activations += floats;
      largestActivation = Math.max(largestActivation, floats);
    }
  });
  const count = (weights: tf.LayerVariable[]) => weights.reduce((a, w) => a + size(w.shape), 0);
  const featureParams = layers
    .slice(0, lastFeatureIndex + 1)
    .reduce((a, layer) => a + count(layer.weights), 0);
  const outputShape = model.outputs[0]?.shape ?? [];
  return {
    trainableParams: count(model.trainableWeights),
    frozenParams: count(model.nonTrainableWeights),
    largestTrainableTensor: model.trainableWeights.reduce((a, w) => Math.max(a, size(w.shape)), 0),
    activationsPerSample: activations,
    largestActivationPerSample: largestActivation,
    featureParams: lastFeatureIndex >= 0 ? featureParams : undefined,
    featureChannels,
    numClasses: outputShape[outputShape.length - 1] ?? undefined,
  };
}

function optimizerSpec(optimizer: OptimizerKind | OptimizerMemorySpec): OptimizerMemorySpec {
  return typeof optimizer === 'string' ? { kind: optimizer } : optimizer;
}

/**
 * Persistent slots per parameter and update temporaries, as tfjs 4.22's optimizers allocate them:
 * Adam keeps m and v and creates ~11 temporaries per parameter inside ONE tidy over all variables;
 * SGD and momentum and RMSProp update variable by variable (temporaries of the largest tensor only).
 */
function optimizerCost(spec: OptimizerMemorySpec, p: ModelMemoryProfile): { slots: number; updateFloats: number } {
  switch (spec.kind) {
    case 'adam':
      return { slots: 2, updateFloats: 11 * p.trainableParams };
    case 'sgd':
      if ((spec.momentum ?? 0) > 0) return { slots: 1, updateFloats: (spec.nesterov ? 4 : 2) * p.largestTrainableTensor };
      return { slots: 0, updateFloats: 1 * p.largestTrainableTensor };
    case 'rmsprop':
      return { slots: spec.centered ? 3 : 2, updateFloats: (spec.centered ? 9 : 6) * p.largestTrainableTensor };
    default:
      throw new Error(`estimateTrainingMemory: unknown optimizer kind '${(spec as { kind: string }).kind}' (adam, sgd, rmsprop)`);
  }
}

function isProfile(model: TrainingMemoryRequest['model']): model is ModelMemoryProfile {
  return typeof (model as ModelMemoryProfile).trainableParams === 'number';
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(0)} MB`;
  return `${(bytes / 1e3).toFixed(0)} kB`;
}

function defaultLimit(backend: BackendName): number {
  return backend === 'wasm' ? WASM_MEMORY_LIMIT_BYTES : os.totalmem();
}

function compute(p: ModelMemoryProfile, batchSize: number, spec: OptimizerMemorySpec, backend: BackendName) {
  const { slots, updateFloats } = optimizerCost(spec, p);
  const parts = {
    weights: (p.trainableParams + p.frozenParams) * BYTES_PER_FLOAT,
    gradients: p.trainableParams * BYTES_PER_FLOAT,
    optimizerState: slots * p.trainableParams * BYTES_PER_FLOAT,
    optimizerUpdate: updateFloats * BYTES_PER_FLOAT,
    activations: batchSize * p.activationsPerSample * BYTES_PER_FLOAT,
    backwardWorkspace: batchSize * BACKWARD_WORKSPACE_ACTIVATIONS * p.largestActivationPerSample * BYTES_PER_FLOAT,
  };
  const subtotal = Object.values(parts).reduce((a, b) => a + b, 0);
  const overhead = backend === 'wasm' ? subtotal * (WASM_ALLOCATOR_OVERHEAD - 1) : 0;
  return { breakdown: { ...parts, overhead } as TrainingMemoryBreakdown, bytes: subtotal + overhead, slots };
}

function largestBatch(p: ModelMemoryProfile, spec: OptimizerMemorySpec, backend: BackendName, limit: number): number {
  const fixed = compute(p, 0, spec, backend).bytes;
  const perSample = compute(p, 1, spec, backend).bytes - fixed;
  if (fixed + perSample > limit) return 0;
  return Math.floor((limit - fixed) / perSample);
}

/** Estimates the peak memory of a training step and whether it fits; never throws for "does not fit". */
export function estimateTrainingMemory(request: TrainingMemoryRequest): TrainingMemoryEstimate {
  const { batchSize, backend } = request;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`estimateTrainingMemory: batchSize must be a positive integer, received ${batchSize}`);
  }
  const p = isProfile(request.model) ? request.model : profileModel(request.model);
  const spec = optimizerSpec(request.optimizer);
  const limitBytes = request.limitBytes ?? defaultLimit(backend);
  const { breakdown, bytes, slots } = compute(p, batchSize, spec, backend);
  const fits = bytes <= limitBytes;
  const maxBatchSize = largestBatch(p, spec, backend, limitBytes);
  const advice = fits ? [] : adviseFit(p, batchSize, spec, backend, limitBytes, maxBatchSize);

  const b = breakdown;
  const limitText = `${backend === 'wasm' ? "wasm's 32-bit" : `${backend}'s`} limit of ${formatBytes(limitBytes)}${request.limitBytes === undefined && backend !== 'wasm' ? ' (machine memory)' : ''}`;
  const optimizerText = `${spec.kind}${spec.kind === 'sgd' && (spec.momentum ?? 0) > 0 ? ' with momentum' : ''}`;
  const details =
    `weights ${formatBytes(b.weights)}, gradients ${formatBytes(b.gradients)}, optimizer state ${formatBytes(b.optimizerState)} (${slots} slot${slots === 1 ? '' : 's'}), ` +
    `optimizer update ${formatBytes(b.optimizerUpdate)}, activations ${formatBytes(b.activations)}, backward workspace ${formatBytes(b.backwardWorkspace)}` +
    (b.overhead > 0 ? `, wasm allocator overhead ${formatBytes(b.overhead)}` : '');
  const head = `training at batch ${batchSize} with ${optimizerText} on ${backend} needs about ${formatBytes(bytes)} (${details})`;
  const message = fits
    ? `${head}: fits within ${limitText}`
    : `${head}: more than ${limitText}. To make it fit: ${advice.join('; ')}.`;
  return { bytes, breakdown, backend, batchSize, optimizer: spec, optimizerSlots: slots, limitBytes, fits, maxBatchSize, advice, message };
}

function adviseFit(
  p: ModelMemoryProfile,
  batchSize: number,
  spec: OptimizerMemorySpec,
  backend: BackendName,
  limit: number,
  maxBatchSize: number,
): string[] {
  const advice: string[] = [];
  // "X GB, fits" / "X GB; fits at batch N or less" / "X GB, too big even at batch 1", for one alternative.
  const verdict = (q: ModelMemoryProfile, b: BackendName, limitBytes: number) => {
    const bytes = compute(q, batchSize, spec, b).bytes;
    if (bytes <= limitBytes) return `${formatBytes(bytes)}, fits`;
    const largest = largestBatch(q, spec, b, limitBytes);
    return largest >= 1
      ? `${formatBytes(bytes)}; fits at batch ${largest} or less`
      : `${formatBytes(bytes)}, too big even at batch 1`;
  };
  if (backend === 'wasm') {
    const machine = os.totalmem();
    advice.push(
      `use the native backend (npm install @tensorflow/tfjs-node, or @tensorflow/tfjs-node-gpu with CUDA; VGGLAB_BACKEND=tensorflow), which is limited by this machine's ${formatBytes(machine)} instead of wasm's ${formatBytes(WASM_MEMORY_LIMIT_BYTES)} (${verdict(p, 'tensorflow', machine)})`,
    );
  }
  if (maxBatchSize >= 1) advice.push(`reduce the batch size to ${maxBatchSize} or less (the largest that fits)`);
  else advice.push('a smaller batch alone is not enough (batch 1 does not fit)');
  if (p.featureParams !== undefined && p.featureParams > 0 && p.featureParams <= p.trainableParams) {
    const frozen: ModelMemoryProfile = {
      ...p,
      trainableParams: p.trainableParams - p.featureParams,
      frozenParams: p.frozenParams + p.featureParams,
      largestTrainableTensor: Math.min(p.largestTrainableTensor, p.trainableParams - p.featureParams),
    };
    advice.push(
      `freeze the feature layers (freeze: features; trainable parameters ${formatCount(p.trainableParams)} -> ${formatCount(frozen.trainableParams)}: ${verdict(frozen, backend, limit)})`,
    );
  }
  if (p.featureParams !== undefined && p.featureChannels && p.numClasses) {
    const head = p.featureChannels * p.numClasses + p.numClasses;
    const headParams = p.trainableParams - p.featureParams;
    if (headParams > head) {
      const pooled: ModelMemoryProfile = {
        ...p,
        trainableParams: p.featureParams + head,
        largestTrainableTensor: Math.min(p.largestTrainableTensor, Math.max(head, p.featureParams / 4)),
      };
      advice.push(
        `use a pooled head (global average pooling + a ${p.featureChannels}x${p.numClasses} classifier instead of ${formatCount(headParams)} head parameters: ${verdict(pooled, backend, limit)})`,
      );
    }
  }
  if (spec.kind === 'adam') {
    advice.push(`use sgd (Adam's update alone needs ${formatBytes(compute(p, batchSize, spec, backend).breakdown.optimizerUpdate)} in tfjs)`);
  }
  return advice;
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Throws a CapacityError (message = the estimate and the advice) when the run cannot fit; else returns the estimate. */
export function assertFits(request: TrainingMemoryRequest): TrainingMemoryEstimate {
  const estimate = estimateTrainingMemory(request);
  if (!estimate.fits) throw new CapacityError(estimate);
  return estimate;
}
