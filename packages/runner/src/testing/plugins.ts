/**
 * Small plugins for the runner's tests: a tiny CNN, a synthetic colour dataset that a tiny model learns in a
 * few steps, and plain tfjs optimizers. They follow the same contracts as the built-in plugins, so the tests
 * exercise the real loop, store and checkpoints in seconds on the `cpu` backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SeededRandom, type Batch, type BatchOptions, type DatasetSource, type InputShape, type Plugin, type ScheduledOptimizer, type Split } from '@vgglab/core';

export const TINY_CLASSES = ['red', 'green', 'blue'];

export const tinyModelsPlugin = (): Plugin => ({
  name: 'test-models',
  models: {
    'tiny-cnn': {
      description: 'conv 3x3 (4) + pool + dense: for tests',
      defaults: { inputShape: [8, 8, 3], numClasses: 3, preprocessing: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
      build({ numClasses, inputShape }, options: { softmax?: boolean; dropout?: number } = {}) {
        const input = tf.input({ shape: inputShape });
        let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'block1_conv1' }).apply(input) as tf.SymbolicTensor;
        x = tf.layers.maxPooling2d({ poolSize: 2, name: 'block1_pool' }).apply(x) as tf.SymbolicTensor;
        x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
        if (options.dropout) x = tf.layers.dropout({ rate: options.dropout, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
        const out = tf.layers
          .dense({ units: numClasses, activation: options.softmax ? 'softmax' : 'linear', name: 'predictions' })
          .apply(x) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: out });
      },
      featureLayers: (model) => model.layers.filter((l) => l.name.startsWith('block')).map((l) => l.name),
    },
  },
});

/** One image of a colour class: that channel bright, the others dim, with seeded noise. */
function colourImage(label: number, [h, w]: InputShape, rng: SeededRandom): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = (c === label ? 0.7 : 0.2) + 0.3 * rng.next();
  }
  return out;
}

export interface ColoursOptions {
  train?: number;
  val?: number;
  /** Block this many ms per batch (to catch a process mid-epoch in kill tests). */
  delayMs?: number;
  /** Throw when the training split's batch of this index (0-based, in any epoch) is asked for: a sweep point that
   * always crashes (queue tests). */
  failAtBatch?: number;
  /** Write PNG-free raw samples here for predict/evaluate tests (not used by training). */
}

/** A deterministic dataset: sample i of a split has label i % classes and noise seeded by (seed, split, i). */
export function colourSamples(split: Split, count: number, seed: number, shape: InputShape, preprocessing: { mean: number[]; std: number[] }) {
  return Array.from({ length: count }, (_, i) => {
    const label = i % TINY_CLASSES.length;
    const rng = new SeededRandom(seed * 1_000_003 + (split === 'train' ? 0 : 500_000) + i);
    const x = colourImage(label, shape, rng);
    for (let j = 0; j < x.length; j++) x[j] = (x[j]! - preprocessing.mean[j % 3]!) / preprocessing.std[j % 3]!;
    return { x, label, id: `${split}/${i}` };
  });
}

export const coloursDataPlugin = (): Plugin => ({
  name: 'test-data',
  datasets: {
    colours: {
      description: 'three colour classes, synthetic: for tests',
      async open(options: ColoursOptions, ctx): Promise<DatasetSource> {
        const counts = { train: options.train ?? 48, val: options.val ?? 12 };
        const samples = {
          train: colourSamples('train', counts.train, ctx.seed, ctx.inputShape, ctx.preprocessing),
          val: colourSamples('val', counts.val, ctx.seed, ctx.inputShape, ctx.preprocessing),
        };
        return {
          classNames: [...TINY_CLASSES],
          size: (split) => counts[split],
          async *batches(split: Split, o: BatchOptions): AsyncGenerator<Batch> {
            const order = samples[split].map((_, i) => i);
            if (o.shuffle) {
              const rng = new SeededRandom(ctx.seed * 7919 + o.epoch);
              for (let i = order.length - 1; i > 0; i--) {
                const j = rng.nextUint32() % (i + 1);
                [order[i], order[j]] = [order[j]!, order[i]!];
              }
            }
            const [h, w, c] = ctx.inputShape;
            for (let b = (o.skipBatches ?? 0) * o.batchSize; b < order.length; b += o.batchSize) {
              if (split === 'train' && options.failAtBatch === b / o.batchSize) throw new Error(`colours: failAtBatch ${options.failAtBatch} reached (a test's crashing point)`);
              const idx = order.slice(b, b + o.batchSize);
              const x = new Float32Array(idx.length * h * w * c);
              idx.forEach((s, k) => x.set(samples[split][s]!.x, k * h * w * c));
              // Blocks like a real decode or step would (no turn of the event loop), so tests see what a
              // user's process does with a signal mid-epoch.
              if (options.delayMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, options.delayMs);
              yield {
                x,
                shape: [idx.length, h, w, c],
                labels: Int32Array.from(idx.map((s) => samples[split][s]!.label)),
                ids: idx.map((s) => samples[split][s]!.id),
              };
            }
          },
        };
      },
    },
  },
});

function scheduled(optimizer: tf.Optimizer & { learningRate: number }): ScheduledOptimizer {
  return {
    optimizer,
    setLearningRate: (lr) => {
      optimizer.learningRate = lr;
    },
    getLearningRate: () => optimizer.learningRate,
  };
}

export const plainOptimizersPlugin = (): Plugin => ({
  name: 'test-optimizers',
  optimizers: {
    'plain-sgd': { create: (lr) => scheduled(tf.train.sgd(lr) as unknown as tf.Optimizer & { learningRate: number }) },
    'plain-adam': { create: (lr) => scheduled(tf.train.adam(lr) as unknown as tf.Optimizer & { learningRate: number }) },
  },
});

export const testPlugins = (): Plugin[] => [tinyModelsPlugin(), coloursDataPlugin(), plainOptimizersPlugin()];

/** A spec (as data) for the tiny model on the colour data. */
export function tinySpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 1,
    engine: { backend: 'cpu' },
    model: { name: 'tiny-cnn', inputShape: [8, 8, 3] },
    data: { name: 'colours', batchSize: 8, options: { train: 48, val: 12 } },
    optimizer: { name: 'plain-adam', lr: 0.01 },
    train: { epochs: 3, logEverySteps: 2 },
    ...overrides,
  };
}

export function writeYaml(dir: string, name: string, text: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** What `--plugin` / VGGLAB_PLUGINS loads from this module (the CLI tests' child processes use it). */
export const plugins = testPlugins;
