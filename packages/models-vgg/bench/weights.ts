/**
 * Benchmark: what a user of full-size VGG waits for. Prints figures, asserts nothing about time.
 *   flock /tmp/bench.lock npx tsx packages/models-vgg/bench/weights.ts [vgg16] [--backend cpu|wasm]
 * - analytic parameter counts of the eight variants (what `vgglab models` calls);
 * - building the full model at 224x224 (torchvision init);
 * - loading torchvision-layout safetensors (F32 and F16) and a tfjs model.json of the same model, all written to
 *   a temporary folder first (synthetic values: the point is time and memory, parity has its own tests);
 * - one forward pass at 224x224 after loading.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '@vgglab/core';
import { countVggParams, createVgg, loadWeights, VGG_NAMES } from '../src/index.ts';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--') && !['cpu', 'wasm'].includes(a)) ?? 'vgg16';
const backendFlag = args.indexOf('--backend');
const backend = (backendFlag >= 0 ? args[backendFlag + 1] : 'auto') as 'auto' | 'cpu' | 'wasm';

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const rss = () => mb(process.memoryUsage().rss);

function f32ToF16(v: number): number {
  // Round-to-nearest half precision, enough for synthetic weights in (-1, 1).
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | ((x >>> 13) & 0x3ff);
}

/** torchvision key -> tensor, in torchvision's layout, for `model` (walks conv/bn/linear like the loader). */
function torchvisionState(model: tf.LayersModel): { key: string; shape: number[] }[] {
  const out: { key: string; shape: number[] }[] = [];
  let f = 0;
  let c = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const shapes = layer.weights.map((w) => w.shape as number[]);
    if (cls === 'Conv2D') {
      const [kh, kw, i, o] = shapes[0]!;
      out.push({ key: `features.${f}.weight`, shape: [o!, i!, kh!, kw!] }, { key: `features.${f}.bias`, shape: [o!] });
      f += (layer.getConfig() as { activation: string }).activation === 'relu' ? 2 : 1;
    } else if (cls.endsWith('BatchNormalization')) {
      const n = shapes[0]![0]!;
      for (const s of ['weight', 'bias', 'running_mean', 'running_var']) out.push({ key: `features.${f}.${s}`, shape: [n] });
      f++;
    } else if (cls === 'Activation' || cls === 'MaxPooling2D') f++;
    else if (cls === 'Dense') {
      const [i, o] = shapes[0]!;
      out.push({ key: `classifier.${3 * c}.weight`, shape: [o!, i!] }, { key: `classifier.${3 * c}.bias`, shape: [o!] });
      c++;
    }
  }
  return out;
}

function writeSafetensors(file: string, tensors: { key: string; shape: number[] }[], dtype: 'F32' | 'F16'): number {
  const size = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1) * size;
    header[t.key] = { dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const data = Buffer.alloc(offset);
  // Small deterministic values, so the forward pass stays finite.
  if (dtype === 'F32') {
    const v = new Float32Array(data.buffer, data.byteOffset, offset / 4);
    for (let i = 0; i < v.length; i++) v[i] = ((i % 97) - 48) * 1e-4;
  } else {
    const v = new Uint16Array(data.buffer, data.byteOffset, offset / 2);
    const table = Array.from({ length: 97 }, (_, k) => f32ToF16((k - 48) * 1e-4));
    for (let i = 0; i < v.length; i++) v[i] = table[i % 97]!;
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.byteLength));
  writeFileSync(file, Buffer.concat([len, json, data]));
  return 8 + json.byteLength + offset;
}

const info = await initEngine({ backend });
console.log(`backend ${info.backend} (${info.threads} thread${info.threads === 1 ? '' : 's'}), ${name}, rss ${rss()}`);

let t0 = performance.now();
for (let i = 0; i < 100; i++) for (const n of VGG_NAMES) countVggParams(n);
console.log(`countParams, all 8 variants: ${((performance.now() - t0) / 100).toFixed(3)} ms`);

t0 = performance.now();
const model = createVgg(name, { classifierActivation: 'linear' });
console.log(`build ${name} 224x224 (${(model.countParams() / 1e6).toFixed(1)}M parameters): ${ms(t0)}, rss ${rss()}`);

const dir = mkdtempSync(join(tmpdir(), 'vgglab-bench-'));
try {
  const state = torchvisionState(model);
  for (const dtype of ['F32', 'F16'] as const) {
    const file = join(dir, `${name}.${dtype}.safetensors`);
    const bytes = writeSafetensors(file, state, dtype);
    t0 = performance.now();
    const report = await loadWeights(model, file, { strict: true });
    const took = performance.now() - t0;
    console.log(`loadWeights safetensors ${dtype} (${mb(bytes)}): ${took.toFixed(0)} ms (${(bytes / 2 ** 20 / (took / 1000)).toFixed(0)} MB/s), ${report.loaded.length} layers, rss ${rss()}`);
    rmSync(file);
  }

  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const weightData = artifacts!.weightData as ArrayBuffer;
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weightData));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }] }));
  artifacts = undefined;
  t0 = performance.now();
  const report = await loadWeights(model, join(dir, 'model.json'), { strict: true });
  const took = performance.now() - t0;
  console.log(`loadWeights tfjs model.json (${mb(weightData.byteLength)}): ${took.toFixed(0)} ms (${(weightData.byteLength / 2 ** 20 / (took / 1000)).toFixed(0)} MB/s), ${report.loaded.length} layers, rss ${rss()}`);

  const x = tf.randomUniform([1, 224, 224, 3]);
  t0 = performance.now();
  const y = model.predict(x) as tf.Tensor;
  const finite = Array.from(await y.data()).every(Number.isFinite);
  console.log(`forward 1x224x224 after loading: ${ms(t0)} (${finite ? 'finite' : 'NOT FINITE'} logits)`);
  tf.dispose([x, y]);
} finally {
  rmSync(dir, { recursive: true, force: true });
  model.dispose();
}
process.exit(0);
