/**
 * Training / inference throughput of a VGG-style network on the vgglab engine (issue 7).
 *
 *   npm run bench:train -- --model vgg11 --width 0.25 --input 32 --batch 32 [--backend wasm] [--threads 2]
 *                          [--mode train|infer] [--profile] [--seconds 10] [--warmup 3] [--stock Kernel,...]
 *
 * The network: VGG's conv stack (torchvision cfgs) with every width scaled by --width, 3x3 convs with ReLU,
 * 2x2 max pools, flattened straight into a 256-256-10 classifier (no 7x7 average pool), float32.
 * A training step = forward + backward + Adam update (vgglab's TorchAdam: torch.optim.Adam's rule, what a
 * run trains with, and one fused pass per variable on `native`). Prints one JSON line:
 *   {"backend","threads","model","input","batch","mode","img_per_s","gflops","peak_rss_mb"}
 * (FLOPs: conv and dense multiply-adds x2; a training step counts 3x the forward pass). bench/torch_baseline.py
 * runs the same network with PyTorch and prints the same line.
 */
import * as tf from '@tensorflow/tfjs';
import { initEngine, shutdownEngine, TorchAdam, useStockKernels, type BackendRequest } from '@vgglab/core';

// torchvision's VGG configurations: numbers are conv output channels, 'M' a 2x2 max pool.
const VGG_CFGS: Record<string, (number | 'M')[]> = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};
const HIDDEN = 256;
const CLASSES = 10;

interface Args {
  model: string;
  width: number;
  input: number;
  batch: number;
  backend: BackendRequest;
  threads?: number;
  mode: 'train' | 'infer';
  profile: boolean;
  seconds: number;
  warmup: number;
  /** Overrides to turn off (tfjs's stock kernel instead), for before/after comparisons. */
  stock: string[];
}

const USAGE =
  'usage: npm run bench:train -- --model vgg11|vgg13|vgg16|vgg19 --width 0.25 --input 32 --batch 32 ' +
  '[--backend auto|tensorflow|native|wasm|cpu] [--threads N] [--mode train|infer] [--profile] [--seconds 10] [--warmup 3] [--stock Kernel,Kernel]';

function parseArgs(argv: string[]): Args {
  const args: Args = { model: 'vgg11', width: 0.25, input: 32, batch: 32, backend: 'auto', mode: 'train', profile: false, seconds: 10, warmup: 3, stock: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (flag === '--profile') {
      args.profile = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    const num = (name: string, min: number) => {
      const n = Number(value);
      if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, received '${value}'`);
      return n;
    };
    const int = (name: string, min: number) => {
      const n = num(name, min);
      if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, received '${value}'`);
      return n;
    };
    switch (flag) {
      case '--model':
        if (!VGG_CFGS[value]) throw new Error(`--model must be one of ${Object.keys(VGG_CFGS).join(', ')}, received '${value}'`);
        args.model = value;
        break;
      case '--width': args.width = num('--width', 1e-6); break;
      case '--input': args.input = int('--input', 32); break;
      case '--batch': args.batch = int('--batch', 1); break;
      case '--threads': args.threads = int('--threads', 1); break;
      case '--seconds': args.seconds = num('--seconds', 0); break;
      case '--warmup': args.warmup = int('--warmup', 1); break;
      case '--stock': args.stock = value.split(',').filter(Boolean); break;
      case '--backend':
        if (!['auto', 'tensorflow', 'native', 'wasm', 'cpu'].includes(value)) throw new Error(`--backend must be auto, tensorflow, native, wasm or cpu, received '${value}'`);
        args.backend = value as BackendRequest;
        break;
      case '--mode':
        if (value !== 'train' && value !== 'infer') throw new Error(`--mode must be train or infer, received '${value}'`);
        args.mode = value;
        break;
      default:
        throw new Error(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  if (args.input % 32 !== 0) throw new Error(`--input must be a multiple of 32 (five 2x2 pools), received ${args.input}`);
  return args;
}

/** Builds the network and counts its forward multiply-adds per image. */
function buildNetwork(cfg: (number | 'M')[], width: number, input: number): { model: tf.Sequential; macs: number } {
  const model = tf.sequential();
  let side = input;
  let channels = 3;
  let macs = 0;
  let first = true;
  for (const v of cfg) {
    if (v === 'M') {
      model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
      side /= 2;
      continue;
    }
    const filters = Math.max(1, Math.round(v * width));
    model.add(
      tf.layers.conv2d({
        ...(first ? { inputShape: [input, input, 3] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
    );
    macs += side * side * filters * 9 * channels;
    channels = filters;
    first = false;
  }
  model.add(tf.layers.flatten());
  const flat = side * side * channels;
  model.add(tf.layers.dense({ units: HIDDEN, activation: 'relu' }));
  model.add(tf.layers.dense({ units: HIDDEN, activation: 'relu' }));
  model.add(tf.layers.dense({ units: CLASSES }));
  macs += flat * HIDDEN + HIDDEN * HIDDEN + HIDDEN * CLASSES;
  return { model, macs };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const info = await initEngine({ backend: args.backend, threads: args.threads, log: (line) => console.error(line) });
  if (args.stock.length > 0) {
    if (info.backend !== 'wasm' && info.backend !== 'cpu') throw new Error('--stock applies to wasm and cpu only');
    useStockKernels(args.stock, info.backend);
  }
  const { model, macs } = buildNetwork(VGG_CFGS[args.model]!, args.width, args.input);
  const optimizer = new TorchAdam(1e-3);

  const x = tf.randomUniform([args.batch, args.input, args.input, 3], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(Array.from({ length: args.batch }, (_, i) => i % CLASSES), 'int32');
  const y = tf.oneHot(labels, CLASSES);

  const step =
    args.mode === 'train'
      ? () => {
          const loss = optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
          )!;
          loss.dataSync(); // wait for the step: the loss depends on all of it
          loss.dispose();
        }
      : () => {
          // apply, as the runner's evaluation and predict do: predict() would first copy the input into
          // batches with a Slice, measured at ~18% of an inference batch on wasm.
          const out = tf.tidy(() => model.apply(x, { training: false }) as tf.Tensor);
          out.dataSync();
          out.dispose();
        };

  for (let i = 0; i < args.warmup; i++) step();
  const tensorsBefore = tf.memory().numTensors;
  let steps = 0;
  const start = performance.now();
  do {
    step();
    steps++;
  } while (performance.now() - start < args.seconds * 1000 || steps < 3);
  const elapsed = (performance.now() - start) / 1000;
  if (tf.memory().numTensors !== tensorsBefore) {
    console.error(`warning: ${tf.memory().numTensors - tensorsBefore} tensors leaked over ${steps} steps`);
  }

  const imgPerS = (steps * args.batch) / elapsed;
  const flopsPerImage = 2 * macs * (args.mode === 'train' ? 3 : 1);
  const result: Record<string, unknown> = {
    backend: info.backend,
    threads: info.threads,
    model: `${args.model}/w${args.width}`,
    input: args.input,
    batch: args.batch,
    mode: args.mode,
    img_per_s: round(imgPerS, 1),
    gflops: round((imgPerS * flopsPerImage) / 1e9, 1),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (args.stock.length > 0) result.stock_kernels = args.stock;

  if (args.profile) {
    // Kernel time per step. Kernels that vgglab composes from other kernels (the conv gradients) include
    // their inner kernels' time, which is also listed under the inner names.
    const profile = await tf.profile(step);
    const perKernel = new Map<string, number>();
    for (const k of profile.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : ((await k.kernelTimeMs) as number);
      perKernel.set(k.name, (perKernel.get(k.name) ?? 0) + (Number.isFinite(ms) ? ms : 0));
    }
    result.profile_ms = Object.fromEntries(
      [...perKernel.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => [name, round(ms, 2)]),
    );
  }

  console.log(JSON.stringify(result));
  tf.dispose([x, labels, y]);
  model.dispose();
  optimizer.dispose();
  await shutdownEngine();
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

main().catch((error: unknown) => {
  console.error(`bench:train: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
