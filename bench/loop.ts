/**
 * Throughput of the runner's whole training loop (data + step + logging + progress) against the bare training
 * step on the same model and the same batches (issue 5).
 *
 *   npm run bench:loop -- [--spec experiments/quickstart.yaml] [--steps 40] [-o key=value …]
 *
 * Both sides run the same spec's model, optimizer and data: the bare side first draws `steps` batches from the
 * dataset, then times `trainStep` over them (no data, no logging); the loop side runs `runExperiment` for one
 * epoch capped at `steps` steps with a temporary store and times its training steps as the progress output sees
 * them. The first step of each side is a warm-up and not timed. Prints one JSON line:
 *   {"bench":"loop","backend","threads","model","input","batch","steps","bare_img_per_s","loop_img_per_s","loop_overhead_pct"}
 * Run it under `flock /tmp/bench.lock` on a shared machine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initEngine, loadSpec, resolveExperiment, shutdownEngine, type Batch } from '@vgglab/core';
import {
  buildModel,
  createBuiltinRegistry,
  createOptimizer,
  endsInSoftmax,
  openDataset,
  Progress,
  runEntries,
  runExperiment,
  trainStep,
  type StepProgress,
} from '@vgglab/runner';
import { openStore } from '@vgglab/store';

const { values } = parseArgs({
  options: {
    spec: { type: 'string', default: 'experiments/quickstart.yaml' },
    steps: { type: 'string', default: '40' },
    override: { type: 'string', short: 'o', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run bench:loop -- [--spec experiments/quickstart.yaml] [--steps 40] [-o key=value …]');
  process.exit(0);
}
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 3) throw new Error(`--steps must be an integer >= 3, received ${values.steps}`);

const registry = createBuiltinRegistry();
const specFile = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.spec!);
// A sweep spec: bench its first point.
const spec = resolveExperiment(loadSpec(path.relative(process.cwd(), specFile) || specFile, { overrides: values.override }), registry)[0]!.spec;
const specDir = path.dirname(specFile);
const engine = await initEngine({ backend: spec.engine?.backend ?? 'auto', ...(spec.engine?.threads ? { threads: spec.engine.threads } : {}), log: (l) => console.error(l) });
const batchSize = spec.data.batchSize ?? 32;

// --- bare step: the same batches, drawn first, then stepped with nothing else going on.
async function bare(): Promise<number> {
  const entries = runEntries(registry, spec);
  const data = await openDataset(entries, spec, specDir, () => undefined);
  const batches: Batch[] = [];
  for await (const b of data.batches('train', { batchSize, epoch: 0, shuffle: true })) {
    batches.push(b);
    if (batches.length === steps) break;
  }
  await data.close?.();
  const { model } = await buildModel(entries, spec, data.classNames.length, spec.seed ?? 0, () => undefined);
  const opt = createOptimizer(registry, spec, steps);
  const probabilities = endsInSoftmax(model);
  await trainStep(model, opt.optimizer, batches[0]!, probabilities); // warm-up
  const t0 = performance.now();
  let images = 0;
  for (const b of batches.slice(1)) {
    await trainStep(model, opt.optimizer, b, probabilities);
    images += b.shape[0];
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  opt.dispose();
  return images / seconds;
}

// --- the whole loop: runExperiment with a temporary store, timed between its step reports.
async function loop(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-bench-loop-'));
  const store = openStore(path.join(dir, 'bench.db'));
  const stamps: number[] = [];
  const progress = new Progress({ write: () => undefined }, false);
  const report = progress.step.bind(progress);
  progress.step = (p: StepProgress) => {
    stamps.push(performance.now());
    report(p);
  };
  try {
    await runExperiment({
      spec: { ...spec, train: { ...spec.train, epochs: 1, maxStepsPerEpoch: steps, logEverySteps: spec.train.logEverySteps ?? 10 } },
      specDir,
      specHash: 'bench-loop',
      registry,
      store,
      runsDir: dir,
      backend: engine.backend,
      progress,
    });
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // stamps[0] is the end of the warm-up step; every later step is a full batch (steps <= batches per epoch).
  const seconds = (stamps[stamps.length - 1]! - stamps[0]!) / 1000;
  return ((stamps.length - 1) * batchSize) / seconds;
}

const bareRate = await bare();
const loopRate = await loop();
console.log(
  JSON.stringify({
    bench: 'loop',
    backend: engine.backend,
    threads: engine.threads,
    model: spec.model.name,
    input: spec.model.inputShape ?? null,
    batch: batchSize,
    steps,
    bare_img_per_s: Number(bareRate.toFixed(1)),
    loop_img_per_s: Number(loopRate.toFixed(1)),
    loop_overhead_pct: Number((100 * (1 - loopRate / bareRate)).toFixed(1)),
    tensors_left: tf.memory().numTensors,
  }),
);
await shutdownEngine();
process.exit(0);
