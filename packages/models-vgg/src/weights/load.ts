/**
 * Loads pretrained weights into a built model, from safetensors, PyTorch .pth/.pt, or tfjs model.json /
 * manifests. Two key schemes are understood:
 * - torchvision / timm (`features.0.weight`, `classifier.0.weight`, timm's `pre_logits.fc1.weight`, `head.fc.weight`):
 *   matched by walking the model's layers in torchvision's module order, converted OIHW -> HWIO and
 *   [out, in] -> [in, out], the first Linear after a flatten re-ordered from channel-first to channel-last;
 * - Keras / tfjs (`block1_conv1/kernel`): matched by layer name, used as is.
 * strict: one error listing every mismatch, nothing assigned. Otherwise layers whose shapes differ (a new head)
 * are skipped, reported, and keep their fresh initialisation.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { WeightsLoadOptions, WeightsLoadReport } from '@vgglab/core';
import { isZip, readPth } from './pth.ts';
import { readSafetensors } from './safetensors.ts';
import { numel, ochwToHwco, transpose2d, WeightsFileError, type SourceTensor, type WeightsSource } from './source.ts';
import { readTfjsManifest } from './tfjs-manifest.ts';

export class WeightsMismatchError extends Error {
  override name = 'WeightsMismatchError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} weight mismatch${problems.length === 1 ? '' : 'es'} (strict):\n  - ${problems.join('\n  - ')}`);
  }
}

/** Reads any supported weights file into named tensors (decoded lazily). */
export async function readWeightsFile(file: string): Promise<WeightsSource> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new WeightsFileError(`cannot read weights file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const ext = extname(file).toLowerCase();
  const first = bytes.subarray(0, 64).toString().trimStart()[0];
  if (ext === '.json' || (ext !== '.safetensors' && (first === '{' || first === '['))) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new WeightsFileError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    return readTfjsManifest(file, json);
  }
  if (isZip(bytes) || ext === '.pth' || ext === '.pt') return readPth(file, bytes);
  return readSafetensors(file, bytes);
}

/** One model weight and where its value comes from. */
interface Target {
  layer: tf.layers.Layer;
  /** 'kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'. */
  short: string;
  shape: number[];
  /** Candidate keys in the file, first match wins. */
  keys: string[];
  /** Shape of the file tensor after conversion to tfjs layout. */
  convertedShape(src: SourceTensor): number[];
  convert(src: SourceTensor): Float32Array;
}

const shortName = (v: tf.LayerVariable): string => v.originalName.split('/').pop()!;

const TORCH_SUFFIX: Record<string, string> = {
  kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

const asIs = { convertedShape: (s: SourceTensor) => s.shape, convert: (s: SourceTensor) => s.read() };

/** OIHW -> HWIO. */
const convKernel = {
  convertedShape: (s: SourceTensor) => (s.shape.length === 4 ? [s.shape[2]!, s.shape[3]!, s.shape[1]!, s.shape[0]!] : s.shape),
  convert: (s: SourceTensor) => (s.shape.length === 4 ? ochwToHwco(s.read(), ...(s.shape as [number, number, number, number])) : s.read()),
};

/**
 * Linear [out, in] -> [in, out]. After a flatten of an [h, w, c] map, PyTorch's input index is c*h*w-major
 * (channel-first) while tfjs' is (h, w, c): view the weight as [out, c, h, w] and permute to [h, w, c, out].
 * timm stores the same layer as a conv ([out, c, h, w]) or a 1x1 conv ([out, in, 1, 1]); both map here too.
 */
function denseKernel(spatial: [number, number, number] | undefined) {
  const asOCHW = (s: SourceTensor): number[] | undefined => {
    if (s.shape.length === 4) return s.shape;
    if (s.shape.length === 2 && spatial && spatial[0] * spatial[1] > 1 && s.shape[1] === numel(spatial)) {
      return [s.shape[0]!, spatial[2], spatial[0], spatial[1]];
    }
    return undefined;
  };
  return {
    convertedShape: (s: SourceTensor) => {
      const ochw = asOCHW(s);
      if (ochw) return [ochw[2]! * ochw[3]! * ochw[1]!, ochw[0]!];
      return s.shape.length === 2 ? [s.shape[1]!, s.shape[0]!] : s.shape;
    },
    convert: (s: SourceTensor) => {
      const ochw = asOCHW(s);
      if (ochw) return ochwToHwco(s.read(), ...(ochw as [number, number, number, number]));
      return s.shape.length === 2 ? transpose2d(s.read(), s.shape[0]!, s.shape[1]!) : s.read();
    },
  };
}

/** The [h, w, c] a Dense layer's flatten input had, when it directly follows a Flatten of a 4D map. */
function flattenedFrom(layer: tf.layers.Layer): [number, number, number] | undefined {
  const inbound = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes[0]?.inboundLayers[0];
  if (!inbound || inbound.getClassName() !== 'Flatten') return undefined;
  const shape = (inbound.input as tf.SymbolicTensor).shape;
  return shape.length === 4 ? [shape[1]!, shape[2]!, shape[3]!] : undefined;
}

/** Targets under torchvision's module numbering (and timm's names for the head). */
function torchTargets(model: tf.LayersModel): Target[] {
  const targets: Target[] = [];
  const denses = model.layers.filter((l) => l.getClassName() === 'Dense');
  let feature = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    let prefixes: string[] = [];
    let kernel: Pick<Target, 'convertedShape' | 'convert'> = asIs;
    if (cls === 'Conv2D') {
      prefixes = [`features.${feature++}`];
      kernel = convKernel;
      const activation = (layer.getConfig() as { activation?: string }).activation;
      if (activation && activation !== 'linear') feature++; // torchvision's separate ReLU module
    } else if (cls.endsWith('BatchNormalization')) {
      prefixes = [`features.${feature++}`];
    } else if (cls === 'Activation' || cls === 'MaxPooling2D') {
      if (denses.length === 0 || model.layers.indexOf(layer) < model.layers.indexOf(denses[0]!)) feature++;
    } else if (cls === 'Dense') {
      const i = denses.indexOf(layer);
      const isLast = i === denses.length - 1;
      // torchvision: Linear, ReLU, Dropout per hidden layer; timm: pre_logits.fc1 / fc2 and head.fc.
      prefixes = [`classifier.${3 * i}`, isLast ? 'head.fc' : `pre_logits.fc${i + 1}`];
      kernel = denseKernel(flattenedFrom(layer));
    }
    if (!prefixes.length) continue;
    for (const v of layer.weights) {
      const short = shortName(v);
      const suffix = TORCH_SUFFIX[short] ?? short;
      targets.push({
        layer,
        short,
        shape: [...v.shape] as number[],
        keys: prefixes.map((p) => `${p}.${suffix}`),
        ...(short === 'kernel' ? kernel : asIs),
      });
    }
  }
  return targets;
}

/** Keras / tfjs keys: 'layer/weight', possibly scoped ('vgg16/block1_conv1/kernel') or suffixed (':0', '_1'). */
function normaliseKerasKey(key: string): string {
  const parts = key.split('/');
  const weight = parts[parts.length - 1]!.replace(/:\d+$/, '').replace(/_\d+$/, '');
  return `${parts[parts.length - 2] ?? ''}/${weight}`;
}

function kerasTargets(model: tf.LayersModel, source: WeightsSource): Target[] {
  const byNormalName = new Map<string, string>();
  for (const key of source.tensors.keys()) {
    const n = normaliseKerasKey(key);
    if (!byNormalName.has(n)) byNormalName.set(n, key);
  }
  return model.layers.flatMap((layer) =>
    layer.weights.map((v) => {
      const short = shortName(v);
      const normal = `${layer.name}/${short}`;
      return { layer, short, shape: [...v.shape] as number[], keys: [byNormalName.get(normal) ?? normal], ...asIs };
    }),
  );
}

/** torch.nn.DataParallel saves every key under 'module.'; drop it when all keys have it. */
function withoutDataParallelPrefix(source: WeightsSource): WeightsSource {
  const keys = [...source.tensors.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return source;
  const tensors = new Map<string, SourceTensor>();
  for (const [k, t] of source.tensors) tensors.set(k.slice('module.'.length), { ...t, key: k.slice('module.'.length) });
  return { ...source, tensors };
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Loads `file` into `model`. Returns loaded layer names, skipped file keys (with the reason) and `missing`: the
 * model layers with weights that were not loaded (absent from the file, or skipped for their shape), which keep
 * their fresh initialisation. Throws WeightsMismatchError (strict) or WeightsFileError (unreadable file), naming
 * the file and the key.
 */
export async function loadWeights(model: tf.LayersModel, file: string, options: WeightsLoadOptions = {}): Promise<WeightsLoadReport> {
  const strict = options.strict ?? false;
  const source = withoutDataParallelPrefix(await readWeightsFile(file));
  const kerasNamed = [...source.tensors.keys()].some((k) => k.includes('/'));
  const targets = kerasNamed ? kerasTargets(model, source) : torchTargets(model);

  const problems: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const missing: string[] = [];
  const used = new Set<string>();
  const plan: { layer: tf.layers.Layer; parts: { target: Target; src: SourceTensor }[] }[] = [];

  const byLayer = new Map<tf.layers.Layer, Target[]>();
  for (const t of targets) byLayer.set(t.layer, [...(byLayer.get(t.layer) ?? []), t]);
  for (const [layer, layerTargets] of byLayer) {
    const found = layerTargets.map((target) => {
      const key = target.keys.find((k) => source.tensors.has(k));
      return { target, src: key === undefined ? undefined : source.tensors.get(key)! };
    });
    for (const f of found) if (f.src) used.add(f.src.key);
    const present = found.filter((f) => f.src) as { target: Target; src: SourceTensor }[];
    if (present.length === 0) {
      missing.push(layer.name);
      if (strict) problems.push(`layer '${layer.name}': not in the file (looked for ${layerTargets.map((t) => t.keys[0]).join(', ')})`);
      continue;
    }
    if (present.length < found.length) {
      const absent = found.filter((f) => !f.src).map((f) => f.target.keys[0]);
      const reason = `layer '${layer.name}' is incomplete in the file: ${absent.join(', ')} missing`;
      problems.push(reason);
      missing.push(layer.name);
      for (const p of present) skipped.push({ name: p.src.key, reason });
      continue;
    }
    const misfits = present.filter(({ target, src }) => fmt(target.convertedShape(src)) !== fmt(target.shape));
    if (misfits.length) {
      const detail = misfits
        .map(({ target, src }) => `${src.key} has ${fmt(src.shape)} (tfjs ${fmt(target.convertedShape(src))}), layer '${layer.name}' ${target.short} needs ${fmt(target.shape)}`)
        .join('; ');
      problems.push(detail);
      for (const p of present) {
        const own = misfits.includes(p)
          ? `shape ${fmt(p.src.shape)} (tfjs ${fmt(p.target.convertedShape(p.src))}) does not fit layer '${layer.name}' ${p.target.short} ${fmt(p.target.shape)}`
          : `layer '${layer.name}' not loaded: another of its weights does not fit`;
        skipped.push({ name: p.src.key, reason: `${own}; the layer keeps its fresh initialisation` });
      }
      missing.push(layer.name);
      continue;
    }
    plan.push({ layer, parts: present });
  }
  for (const key of source.tensors.keys()) {
    if (used.has(key)) continue;
    if (key.endsWith('num_batches_tracked')) {
      skipped.push({ name: key, reason: 'BatchNorm step counter, not needed in tfjs' });
      continue;
    }
    const reason = 'no layer of the model matches this key';
    skipped.push({ name: key, reason });
    if (strict) problems.push(`${key}: ${reason}`);
  }
  if (strict && problems.length) throw new WeightsMismatchError(file, problems);

  const loaded: string[] = [];
  for (const { layer, parts } of plan) {
    const order = layer.weights.map(shortName);
    const values = order.map((short) => {
      const part = parts.find((p) => p.target.short === short)!;
      return tf.tensor(part.target.convert(part.src), part.target.shape, 'float32');
    });
    try {
      layer.setWeights(values);
    } finally {
      tf.dispose(values);
    }
    loaded.push(layer.name);
  }
  return { file, format: source.format, loaded, skipped, missing };
}
