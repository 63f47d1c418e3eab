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
import type { OptimizerMemorySpec } from '../plugin.ts';
import type { BackendName } from './backend.ts';

export type { OptimizerMemorySpec };

const BYTES_PER_FLOAT = 4;
/** wasm32 linear memory: tfjs's Emscripten heap maximum (just under 4 GiB). */
export const WASM_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;
/**
 * wasm only, an empirical factor on top of the counted tensors: dlmalloc inside one linear memory
 * fragments under tensors of hundreds of MB, XNNPACK keeps packed copies of weights, and reads copy data
 * out. What it rests on, full VGG16 (5 classes, 134.3M parameters) at 224x224 on wasm, 2 threads:
 * - measured 2026-11-28 with vgglab's TorchSgd (no momentum), batch 1: trains (15 s for the first step,
 *   6 s for the second); the tracked tensors peaked at 1.970 GB (tf.profile) while the wasm heap had
 *   grown to 2.97 GB after the first step and 3.38 GB after the second: 1.72x the tensors (longer runs
 *   not measured). This estimate counts 2.03 GB (x 1.7 = 3.46 GB): fits.
 * - measured 2026-11-28 with vgglab's TorchAdam, batch 1: aborted in the first step with the heap at
 *   4.20 GB. This estimate counts 3.52 GB (x 1.7 = 5.98 GB): refused.
 * - shared/notes/engine.md, with tfjs's own SGD (no state, updated variable by variable like TorchSgd):
 *   batch 1 trained, batch 8 ran out of memory; counted now 2.03 GB and 3.00 GB, so the factor lies
 *   between 1.43 and 2.11. (Its Adam batch-1 crash was tfjs's whole-model Adam update and is no anchor
 *   for vgglab's optimizers.)
 * Refusing a run at the edge is better than crashing it mid-epoch; the message gives the largest batch
 * that fits.
 */
const WASM_ALLOCATOR_OVERHEAD = 1.7;
/**
 * Backward working set, in multiples of the largest activation: dy and dx of the layer being
 * differentiated, the ReLU mask, and the padded/transposed copies our conv gradient kernels make.
 */
const BACKWARD_WORKSPACE_ACTIVATIONS = 6;

/** An optimizer that says how much state it keeps per weight (vgglab's TorchStyleOptimizer does). */
export interface MemoryReportingOptimizer {
  readonly stateSlotsPerWeight: number;
}

const PER_VARIABLE_TEMPORARIES = 4;
/** Plain SGD (no momentum, no decay): lr·g, then p − lr·g, as TorchSgd reports it; for the advice. */
const PLAIN_SGD_TEMPORARIES = 2;
const WHOLE_MODEL_TEMPORARIES = 11;

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
  /**
   * The optimizer the run will train with: the created optimizer itself (a tf.Optimizer or a plugin's
   * ScheduledOptimizer; read with `optimizerMemoryOf`) or its description.
   */
  optimizer: Parameters<typeof optimizerMemoryOf>[0];
  backend: BackendName;
  /** Overrides the backend's limit (bytes); defaults: wasm 4 GiB, native/cpu/tensorflow the machine's total memory. */
  limitBytes?: number;
}

export interface TrainingMemoryBreakdown {
  weights: number;
  gradients: number;
  optimizerState: number;
  /** Temporaries alive at the optimizer update's peak (per-variable: a few copies of the largest weight). */
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

function isSpec(o: unknown): o is OptimizerMemorySpec {
  const spec = o as OptimizerMemorySpec | undefined;
  return typeof spec?.slotsPerWeight === 'number' && (spec.updateTemporaries === 'per-variable' || spec.updateTemporaries === 'whole-model');
}

function className(o: object): string {
  return typeof (o as tf.Optimizer).getClassName === 'function' ? (o as tf.Optimizer).getClassName() : o.constructor.name;
}

/**
 * tfjs 4.22's own optimizers (a plugin may use them), as their applyGradients allocate: SGD, momentum and
 * RMSProp update variable by variable; Adam runs ONE tidy over all variables (~11 temporaries per parameter).
 */
function describeTfjsOptimizer(o: object): OptimizerMemorySpec | undefined {
  const x = o as { useNesterov?: boolean; centered?: boolean };
  switch (className(o)) {
    case 'SGD':
      return { name: "tfjs's sgd", slotsPerWeight: 0, updateTemporaries: 'per-variable', temporariesPerWeight: 2 };
    case 'Momentum':
      return { name: "tfjs's momentum", slotsPerWeight: 1, updateTemporaries: 'per-variable', temporariesPerWeight: x.useNesterov ? 4 : 2 };
    case 'RMSProp':
      return { name: "tfjs's rmsprop", slotsPerWeight: x.centered ? 3 : 2, updateTemporaries: 'per-variable', temporariesPerWeight: x.centered ? 9 : 6 };
    case 'Adam':
      return { name: "tfjs's adam", slotsPerWeight: 2, updateTemporaries: 'whole-model', temporariesPerWeight: WHOLE_MODEL_TEMPORARIES };
    default:
      return undefined;
  }
}

/**
 * The memory description of a created optimizer: its own (`memory`, the ScheduledOptimizer contract; vgglab's
 * optimizers give it); else its slots per weight if it reports them; tfjs's SGD, Momentum, RMSProp and Adam
 * are known. Any other optimizer is assumed to cost what tfjs's AdamOptimizer does (2 slots, ~11 temporaries
 * per parameter of the whole model): too much rather than a crash mid-epoch.
 */
export function optimizerMemoryOf(
  optimizer: OptimizerMemorySpec | MemoryReportingOptimizer | tf.Optimizer | { readonly optimizer: tf.Optimizer; readonly memory?: OptimizerMemorySpec },
): OptimizerMemorySpec {
  if (isSpec(optimizer)) return optimizer;
  const own = (optimizer as { memory?: unknown }).memory;
  if (isSpec(own)) return own;
  const reported = (optimizer as MemoryReportingOptimizer).stateSlotsPerWeight;
  // An optimizer that reports its slots but not its update: the bound our own optimizers keep.
  if (typeof reported === 'number') return { name: className(optimizer), slotsPerWeight: reported, updateTemporaries: 'per-variable' };
  const inner = (optimizer as { optimizer?: unknown }).optimizer;
  if (inner && inner !== optimizer && typeof inner === 'object') return optimizerMemoryOf(inner as tf.Optimizer);
  const tfjs = describeTfjsOptimizer(optimizer);
  if (tfjs) return tfjs;
  return {
    name: `${className(optimizer)} (its state size is not reported; counted as tfjs's Adam)`,
    slotsPerWeight: 2,
    updateTemporaries: 'whole-model',
  };
}

/** Persistent slots per parameter and the floats the update's temporaries take at their peak. */
function optimizerCost(spec: OptimizerMemorySpec, p: ModelMemoryProfile): { slots: number; updateFloats: number } {
  if (!(Number.isInteger(spec.slotsPerWeight) && spec.slotsPerWeight >= 0)) {
    throw new Error(`estimateTrainingMemory: optimizer slotsPerWeight must be an integer >= 0, received ${spec.slotsPerWeight}`);
  }
  if (spec.updateTemporaries === 'per-variable') {
    return { slots: spec.slotsPerWeight, updateFloats: (spec.temporariesPerWeight ?? PER_VARIABLE_TEMPORARIES) * p.largestTrainableTensor };
  }
  return { slots: spec.slotsPerWeight, updateFloats: (spec.temporariesPerWeight ?? WHOLE_MODEL_TEMPORARIES) * p.trainableParams };
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
  const spec = optimizerMemoryOf(request.optimizer);
  const limitBytes = request.limitBytes ?? defaultLimit(backend);
  const { breakdown, bytes, slots } = compute(p, batchSize, spec, backend);
  const fits = bytes <= limitBytes;
  const maxBatchSize = largestBatch(p, spec, backend, limitBytes);
  const advice = fits ? [] : adviseFit(p, batchSize, spec, backend, limitBytes, maxBatchSize);

  const b = breakdown;
  const limitText = `${backend === 'wasm' ? "wasm's 32-bit" : `${backend}'s`} limit of ${formatBytes(limitBytes)}${request.limitBytes === undefined && backend !== 'wasm' ? ' (machine memory)' : ''}`;
  const details =
    `weights ${formatBytes(b.weights)}, gradients ${formatBytes(b.gradients)}, optimizer state ${formatBytes(b.optimizerState)} (${slots} slot${slots === 1 ? '' : 's'}), ` +
    `optimizer update ${formatBytes(b.optimizerUpdate)}, activations ${formatBytes(b.activations)}, backward workspace ${formatBytes(b.backwardWorkspace)}` +
    (b.overhead > 0 ? `, wasm allocator overhead ${formatBytes(b.overhead)}` : '');
  const head = `training at batch ${batchSize} with ${spec.name} on ${backend} needs about ${formatBytes(bytes)} (${details})`;
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
  const verdict = (q: ModelMemoryProfile, b: BackendName, limitBytes: number, o: OptimizerMemorySpec = spec) => {
    const bytes = compute(q, batchSize, o, b).bytes;
    if (bytes <= limitBytes) return `${formatBytes(bytes)}, fits`;
    const largest = largestBatch(q, o, b, limitBytes);
    return largest >= 1
      ? `${formatBytes(bytes)}; fits at batch ${largest} or less`
      : `${formatBytes(bytes)}, too big even at batch 1`;
  };
  if (backend === 'wasm') {
    const machine = os.totalmem();
    advice.push(
      `use the native backend (apt-get install libdnnl-dev, then npm rebuild @vgglab/engine-native; VGGLAB_BACKEND=native), which is limited by this machine's ${formatBytes(machine)} instead of wasm's ${formatBytes(WASM_MEMORY_LIMIT_BYTES)} (${verdict(p, 'native', machine)})`,
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
  if (spec.slotsPerWeight > 0) {
    const stateless: OptimizerMemorySpec = { name: 'sgd', slotsPerWeight: 0, updateTemporaries: 'per-variable', temporariesPerWeight: PLAIN_SGD_TEMPORARIES };
    const state = compute(p, batchSize, spec, backend).breakdown.optimizerState;
    advice.push(
      `use sgd without momentum (no optimizer state instead of ${formatBytes(state)} for ${spec.name}'s ${spec.slotsPerWeight} slot${spec.slotsPerWeight === 1 ? '' : 's'}: ${verdict(p, backend, limit, stateless)})`,
    );
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
