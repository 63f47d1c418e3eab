import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVgg } from '../vgg.ts';
import { loadWeights, readWeightsFile, WeightsMismatchError } from './load.ts';
import type { SourceTensor } from './source.ts';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const CASES = ['vgg11_w32_64px', 'vgg16_bn_w32_32px'] as const;
const tmp = mkdtempSync(join(tmpdir(), 'vgglab-weights-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The PyTorch fixture: build options, input (NHWC) and eval-mode logits. */
async function fixture(name: string) {
  const io = await readWeightsFile(join(FIXTURES, `${name}.io.safetensors`));
  const { name: model, ...options } = JSON.parse(io.metadata!.options!) as { name: string } & Record<string, unknown>;
  const input = io.tensors.get('input')!;
  return { model, options, input: () => tf.tensor(input.read(), input.shape), expected: io.tensors.get('output')!.read() };
}

function maxAbsDiff(model: tf.LayersModel, x: tf.Tensor, expected: Float32Array): number {
  const y = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()) as Float32Array;
  let max = 0;
  expect(y.length).toBe(expected.length);
  y.forEach((v, i) => (max = Math.max(max, Math.abs(v - expected[i]!))));
  return max;
}

/** A float32 safetensors file, written the way the format's spec says. */
function writeSafetensors(file: string, tensors: Record<string, { shape: number[]; data: Float32Array; dtype?: string }>) {
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [key, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[key] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  writeFileSync(file, Buffer.concat([length, json, ...chunks]));
}

const readAll = async (file: string) =>
  Object.fromEntries([...(await readWeightsFile(file)).tensors].map(([k, t]: [string, SourceTensor]) => [k, { shape: t.shape, data: t.dtype.startsWith('I') ? new Float32Array(0) : t.read(), dtype: t.dtype }]));

async function savedArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts!;
}

describe('parity with PyTorch (torchvision VGG, eval mode, same weights and input)', () => {
  for (const name of CASES) {
    for (const ext of ['safetensors', 'pth']) {
      it(`${name}.${ext}: strict load, max |tfjs - PyTorch| < 1e-4`, async () => {
        const f = await fixture(name);
        const model = createVgg(f.model, f.options);
        const tensorsBefore = tf.memory().numTensors;
        const report = await loadWeights(model, join(FIXTURES, `${name}.${ext}`), { strict: true });
        expect(tf.memory().numTensors).toBe(tensorsBefore); // every temporary tensor freed
        expect(report.format).toBe(ext === 'pth' ? 'pytorch' : 'safetensors');
        expect(report.missing).toEqual([]);
        expect(report.loaded).toEqual(model.layers.filter((l) => l.weights.length > 0).map((l) => l.name));
        expect(report.skipped.every((s) => s.name.endsWith('num_batches_tracked'))).toBe(true);
        const x = f.input();
        const diff = maxAbsDiff(model, x, f.expected);
        console.log(`parity ${name}.${ext}: max abs diff ${diff.toExponential(2)} over ${f.expected.length} logits`);
        expect(diff).toBeLessThan(1e-4);
        // Not a vacuous pass: a freshly initialised model is far off.
        expect(maxAbsDiff(createVgg(f.model, f.options), x, f.expected)).toBeGreaterThan(1e-2);
        tf.dispose(x);
      });
    }
  }

  it("a training-script checkpoint ({epoch, state_dict}, 'module.' keys, a non-contiguous tensor) loads too", async () => {
    const f = await fixture('vgg11_w32_64px');
    const model = createVgg(f.model, f.options);
    const report = await loadWeights(model, join(FIXTURES, 'vgg11_w32_64px.checkpoint.pth'), { strict: true });
    expect(report.loaded).toContain('predictions');
    const x = f.input();
    expect(maxAbsDiff(model, x, f.expected)).toBeLessThan(1e-4);
    tf.dispose(x);
  });

  it("a safetensors file saved from a DataParallel model ('module.' on every key) loads", async () => {
    const f = await fixture('vgg16_bn_w32_32px');
    const tensors = await readAll(join(FIXTURES, 'vgg16_bn_w32_32px.safetensors'));
    const file = join(tmp, 'data-parallel.safetensors');
    writeSafetensors(file, Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.endsWith('num_batches_tracked')).map(([k, t]) => [`module.${k}`, { ...t, dtype: 'F32' }])));
    const model = createVgg(f.model, f.options);
    await loadWeights(model, file, { strict: true });
    const x = f.input();
    expect(maxAbsDiff(model, x, f.expected)).toBeLessThan(1e-4);
    tf.dispose(x);
  });

  it("timm's key names (pre_logits.fc1 as a 7x7 conv, pre_logits.fc2 as 1x1, head.fc) load to the same outputs", async () => {
    const f = await fixture('vgg11_w32_64px');
    const tensors = await readAll(join(FIXTURES, 'vgg11_w32_64px.safetensors'));
    const rename: Record<string, [string, (s: number[]) => number[]]> = {
      'classifier.0.weight': ['pre_logits.fc1.weight', ([o, i]) => [o!, i! / 49, 7, 7]],
      'classifier.0.bias': ['pre_logits.fc1.bias', (s) => s],
      'classifier.3.weight': ['pre_logits.fc2.weight', (s) => [...s, 1, 1]],
      'classifier.3.bias': ['pre_logits.fc2.bias', (s) => s],
      'classifier.6.weight': ['head.fc.weight', (s) => s],
      'classifier.6.bias': ['head.fc.bias', (s) => s],
    };
    const timm = Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => (rename[k] ? [rename[k][0], { ...t, dtype: 'F32', shape: rename[k][1](t.shape) }] : [k, { ...t, dtype: 'F32' }])),
    );
    const file = join(tmp, 'timm.safetensors');
    writeSafetensors(file, timm);
    const model = createVgg(f.model, f.options);
    await loadWeights(model, file, { strict: true });
    const x = f.input();
    expect(maxAbsDiff(model, x, f.expected)).toBeLessThan(1e-4);
    tf.dispose(x);
  });
});

describe('tfjs model.json and weights manifests, matched by layer name', () => {
  const options = { widthMultiplier: 1 / 16, inputShape: [32, 32, 3] as [number, number, number], numClasses: 4, classifierUnits: [8, 8] };

  it('a saved model.json + shard loads by name into a differently initialised model', async () => {
    const source = createVgg('vgg11_bn', { ...options, seed: 1 });
    const artifacts = await savedArtifacts(source);
    const dir = mkdtempSync(join(tmp, 'tfjs-'));
    writeFileSync(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
    const target = createVgg('vgg11_bn', { ...options, seed: 2 });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
    const expected = (source.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const kernel = (m: tf.LayersModel) => Array.from(m.getLayer('block3_conv2').getWeights()[0]!.dataSync());
    expect(kernel(target)).not.toEqual(kernel(source));
    const report = await loadWeights(target, join(dir, 'model.json'), { strict: true });
    expect(report.format).toBe('tfjs');
    expect(report.loaded).toContain('block1_conv1_bn');
    expect(kernel(target)).toEqual(kernel(source));
    expect(maxAbsDiff(target, x, expected)).toBe(0);
  });

  it('a bare manifest with scoped names (vgg16/block1_conv1/kernel:0) and a uint8-quantized bias', async () => {
    const source = createVgg('vgg11', { ...options, seed: 1 });
    const artifacts = await savedArtifacts(source);
    const specs = artifacts.weightSpecs!.map((s) => ({ ...s, name: `vgg11/${s.name}:0` }));
    // Quantize block1_conv1/bias (the second weight, 4 values) to uint8: value = q * scale + min.
    const all = new Float32Array(artifacts.weightData as ArrayBuffer);
    const kernelSize = specs[0]!.shape.reduce((a, b) => a * b, 1);
    const bias = [0.5, -0.25, 1, 0];
    const q = new Uint8Array([150, 0, 250, 50]); // with scale 0.005, min -0.25
    specs[1] = { ...specs[1]!, quantization: { dtype: 'uint8', scale: 0.005, min: -0.25 } };
    const data = Buffer.concat([Buffer.from(all.buffer, 0, kernelSize * 4), Buffer.from(q), Buffer.from(all.buffer, (kernelSize + 4) * 4)]);
    const dir = mkdtempSync(join(tmp, 'manifest-'));
    writeFileSync(join(dir, 'shard1'), data.subarray(0, 1000));
    writeFileSync(join(dir, 'shard2'), data.subarray(1000));
    writeFileSync(join(dir, 'weights_manifest.json'), JSON.stringify([{ paths: ['shard1', 'shard2'], weights: specs }]));
    const target = createVgg('vgg11', { ...options, seed: 2 });
    const report = await loadWeights(target, join(dir, 'weights_manifest.json'), { strict: true });
    expect(report.missing).toEqual([]);
    expect(Array.from(target.getLayer('block1_conv1').getWeights()[1]!.dataSync())).toEqual(bias);
    expect(Array.from(target.getLayer('fc2').getWeights()[0]!.dataSync())).toEqual(Array.from(source.getLayer('fc2').getWeights()[0]!.dataSync()));
  });
});

describe('mismatches', () => {
  it('non-strict: a head with another class count is skipped, reported, and keeps its fresh initialisation', async () => {
    const f = await fixture('vgg11_w32_64px');
    const model = createVgg(f.model, { ...f.options, numClasses: 2, seed: 4 });
    const fresh = Array.from(model.getLayer('predictions').getWeights()[0]!.dataSync());
    const report = await loadWeights(model, join(FIXTURES, 'vgg11_w32_64px.safetensors'));
    expect(report.loaded).toContain('fc2');
    expect(report.loaded).not.toContain('predictions');
    expect(report.missing).toEqual(['predictions']);
    const skipped = report.skipped.map((s) => s.name).sort();
    expect(skipped).toEqual(['classifier.6.bias', 'classifier.6.weight']);
    expect(Object.fromEntries(report.skipped.map((r) => [r.name, r.reason]))).toEqual({
      'classifier.6.weight': "shape [5, 8] (tfjs [8, 5]) does not fit layer 'predictions' kernel [8, 2]; the layer keeps its fresh initialisation",
      'classifier.6.bias': "shape [5] (tfjs [5]) does not fit layer 'predictions' bias [2]; the layer keeps its fresh initialisation",
    });
    expect(Array.from(model.getLayer('predictions').getWeights()[0]!.dataSync())).toEqual(fresh);
    // The features did load: block1_conv1's kernel is the file's, converted OIHW -> HWIO.
    const src = (await readWeightsFile(join(FIXTURES, 'vgg11_w32_64px.safetensors'))).tensors.get('features.0.weight')!;
    const [o, i, kh, kw] = src.shape as [number, number, number, number];
    const hwio = model.getLayer('block1_conv1').getWeights()[0]!.arraySync() as number[][][][];
    const oihw = src.read();
    expect(hwio[2]![1]![i - 1]![o - 1]).toBe(oihw[(((o - 1) * i + (i - 1)) * kh + 2) * kw + 1]);
  });

  it('non-strict: a grayscale model skips the RGB first conv as a whole (its bias alone would fit)', async () => {
    const f = await fixture('vgg11_w32_64px');
    const model = createVgg(f.model, { ...f.options, inputShape: [64, 64, 1] });
    const report = await loadWeights(model, join(FIXTURES, 'vgg11_w32_64px.pth'));
    expect(report.loaded).not.toContain('block1_conv1');
    expect(report.loaded).toContain('block2_conv1');
    expect(report.missing).toEqual(['block1_conv1']);
    expect(Object.fromEntries(report.skipped.map((r) => [r.name, r.reason]))).toEqual({
      'features.0.weight': "shape [2, 3, 3, 3] (tfjs [3, 3, 3, 2]) does not fit layer 'block1_conv1' kernel [3, 3, 1, 2]; the layer keeps its fresh initialisation",
      'features.0.bias': "layer 'block1_conv1' not loaded: another of its weights does not fit; the layer keeps its fresh initialisation",
    });
  });

  it('strict: one error naming the file and listing every mismatch, nothing assigned', async () => {
    const f = await fixture('vgg11_w32_64px');
    const model = createVgg(f.model, { ...f.options, numClasses: 2, classifierUnits: [8, 8, 8] });
    const before = Array.from(model.getLayer('block1_conv1').getWeights()[0]!.dataSync());
    const file = join(FIXTURES, 'vgg11_w32_64px.safetensors');
    const error = await loadWeights(model, file, { strict: true }).catch((e) => e);
    expect(error).toBeInstanceOf(WeightsMismatchError);
    expect(error.message).toContain(file);
    // fc3 is torchvision's classifier.6 (shape [5, 8] does not fit 8x8); predictions would be classifier.9 (absent).
    expect(error.problems).toEqual([
      "classifier.6.weight has [5, 8] (tfjs [8, 5]), layer 'fc3' kernel needs [8, 8]; classifier.6.bias has [5] (tfjs [5]), layer 'fc3' bias needs [8]",
      "layer 'predictions': not in the file (looked for classifier.9.weight, classifier.9.bias)",
    ]);
    expect(Array.from(model.getLayer('block1_conv1').getWeights()[0]!.dataSync())).toEqual(before);
  });

  it('strict: keys the model does not use (a file with a head into a model without one) are listed', async () => {
    const f = await fixture('vgg11_w32_64px');
    const model = createVgg(f.model, { ...f.options, includeTop: false });
    const error = await loadWeights(model, join(FIXTURES, 'vgg11_w32_64px.safetensors'), { strict: true }).catch((e) => e);
    expect(error.problems).toEqual([
      'classifier.0.bias: no layer of the model matches this key',
      'classifier.0.weight: no layer of the model matches this key',
      'classifier.3.bias: no layer of the model matches this key',
      'classifier.3.weight: no layer of the model matches this key',
      'classifier.6.bias: no layer of the model matches this key',
      'classifier.6.weight: no layer of the model matches this key',
    ]);
    const report = await loadWeights(model, join(FIXTURES, 'vgg11_w32_64px.safetensors'));
    expect(report.loaded).toHaveLength(8);
    expect(report.skipped).toHaveLength(6);
  });
});

describe('unreadable files: errors name the file and the key', () => {
  it('a missing file', async () => {
    await expect(readWeightsFile(join(tmp, 'nope.safetensors'))).rejects.toThrow(/cannot read weights file '.*nope.safetensors': ENOENT/);
  });

  it('a safetensors header longer than the file', async () => {
    const file = join(tmp, 'short.safetensors');
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(1000n, 0);
    writeFileSync(file, b);
    await expect(readWeightsFile(file)).rejects.toThrow(/short.safetensors: safetensors header length 1000 exceeds the file size 16/);
  });

  it('data offsets that do not fit the shape', async () => {
    const file = join(tmp, 'offsets.safetensors');
    writeSafetensors(file, { 'features.0.bias': { shape: [3], data: new Float32Array(2) } });
    await expect(readWeightsFile(file)).rejects.toThrow(/offsets.safetensors: features.0.bias: data_offsets \[0, 8\] hold 8 bytes, F32 \[3\] needs 12/);
  });

  it('an integer tensor where a float weight is needed', async () => {
    const file = join(tmp, 'ints.safetensors');
    const model = createVgg('vgg11', { widthMultiplier: 1 / 16, inputShape: [32, 32, 3], classifierUnits: [4, 4], numClasses: 2 });
    writeSafetensors(file, {
      'features.0.weight': { shape: [4, 3, 3, 3], data: new Float32Array(108) },
      'features.0.bias': { shape: [4], data: new Float32Array(4), dtype: 'I32' },
    });
    await expect(loadWeights(model, file)).rejects.toThrow(/ints.safetensors: features.0.bias: dtype I32 is not a floating-point type/);
  });

  it('a .pth that is not a zip (legacy torch format) and a zip without data.pkl', async () => {
    const legacy = join(tmp, 'legacy.pth');
    writeFileSync(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a]));
    await expect(readWeightsFile(legacy)).rejects.toThrow(/legacy.pth: not a zip archive; only torch.save's zip format/);
    const zip = join(tmp, 'other.pth');
    writeFileSync(zip, zipSync({ 'a/readme.txt': new TextEncoder().encode('hi') }));
    await expect(readWeightsFile(zip)).rejects.toThrow(/other.pth: zip has no data.pkl/);
  });

  it('a pickle opcode outside the supported subset names the file, the pickle and the byte', async () => {
    const file = join(tmp, 'odd.pth');
    writeFileSync(file, zipSync({ 'archive/data.pkl': new Uint8Array([0x80, 0x02, 0x7d, 0x49]) }));
    await expect(readWeightsFile(file)).rejects.toThrow(/odd.pth: archive\/data.pkl: unsupported pickle opcode 0x49 at byte 3/);
  });

  it('a model.json whose shard is missing', async () => {
    const file = join(tmp, 'model.json');
    writeFileSync(file, JSON.stringify({ weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }));
    await expect(readWeightsFile(file)).rejects.toThrow(/model.json: cannot read weights shard 'gone.bin' \(ENOENT\)/);
  });
});

it('the committed fixtures stay small (CI reads them; they are not a model zoo)', () => {
  const total = ['vgg11_w32_64px', 'vgg16_bn_w32_32px']
    .flatMap((n) => [`${n}.safetensors`, `${n}.pth`, `${n}.io.safetensors`])
    .reduce((s, f) => s + readFileSync(join(FIXTURES, f)).byteLength, 0);
  expect(total).toBeLessThan(400_000);
});
