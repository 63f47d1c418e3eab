/**
 * Synthetic runs for benchmarks and demos: plausible training curves written through the public API
 * (createRun + logBatch), so a generated database has exactly the shape the runner produces.
 */
import { MAX_METRICS_PER_BATCH } from './defaults.ts';
import type { SyncRunWriter } from './interfaces.ts';
import type { MetricInput, StoredRunStatus } from './types.ts';

export interface SyntheticRunsOptions {
  /** Defaults to 100. */
  runs?: number;
  /** Points per metric per run. Defaults to 1000. */
  pointsPerMetric?: number;
  /** Defaults to train/loss, train/accuracy, val/loss, val/accuracy. */
  metricKeys?: readonly string[];
  /** Experiments the runs are spread over. Defaults to 10. */
  experiments?: number;
  /** Deterministic curves and choices. Defaults to 0. */
  seed?: number;
  /** Called after each run, e.g. for a progress line. */
  onRun?: (index: number) => void;
}

const MODELS = ['vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn'];
const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'];
const LRS = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4];
const STATUSES: StoredRunStatus[] = ['finished', 'finished', 'finished', 'finished', 'failed', 'killed', 'running'];

/** mulberry32: a small, fast seeded generator of numbers in [0, 1), good enough for test and bench data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the runs; returns their ids in creation order. */
export function generateSyntheticRuns(store: SyncRunWriter, options: SyntheticRunsOptions = {}): string[] {
  const runs = options.runs ?? 100;
  const points = options.pointsPerMetric ?? 1000;
  const keys = options.metricKeys ?? ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy'];
  const experiments = options.experiments ?? 10;
  const rand = mulberry32(options.seed ?? 0);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const ids: string[] = [];
  const start = Date.UTC(2026, 0, 1);
  const stepsPerEpoch = 100;
  for (let r = 0; r < runs; r++) {
    const model = pick(MODELS);
    const optimizer = pick(OPTIMIZERS);
    const lr = pick(LRS);
    const startTime = start + r * 60_000;
    const run = store.createRun({
      experiment: `synthetic-${r % experiments}`,
      name: `${model}-${optimizer}-${r}`,
      resolvedSpec: {
        name: `synthetic-${r % experiments}`,
        seed: r,
        model: { name: model, inputShape: [32, 32, 3] },
        data: { name: 'shapes', batchSize: pick([16, 32, 64]) },
        optimizer: { name: optimizer, lr },
        train: { epochs: Math.ceil(points / stepsPerEpoch), monitor: 'val/accuracy' },
      },
      // Every synthetic spec differs (its seed is the run's index), and so does its hash.
      specHash: `synthetic-${options.seed ?? 0}-${r}`,
      seed: r,
      backend: 'wasm',
      startTime,
      tags: { team: pick(['vision', 'research', 'demo']), ...(rand() < 0.1 ? { favourite: 'yes' } : {}) },
    });
    const rate = 0.002 + rand() * 0.01;
    const ceiling = 0.6 + rand() * 0.39;
    let batch: MetricInput[] = [];
    for (let i = 0; i < points; i++) {
      const step = i + 1;
      const progress = 1 - Math.exp(-rate * step);
      const noise = (rand() - 0.5) * 0.05;
      const timestamp = startTime + step * 500;
      const epoch = step / stepsPerEpoch;
      for (const key of keys) {
        const value = key.endsWith('loss') ? 2.3 * (1 - progress) + 0.05 + Math.abs(noise) : Math.min(1, ceiling * progress + noise);
        batch.push({ key, value, step, epoch, timestamp });
      }
      if (batch.length + keys.length > MAX_METRICS_PER_BATCH || i === points - 1) {
        store.logBatch(run.id, { metrics: batch });
        batch = [];
      }
    }
    const status = pick(STATUSES);
    if (status !== 'running') store.setRunStatus(run.id, status, { endTime: startTime + points * 500 });
    ids.push(run.id);
    options.onRun?.(r);
  }
  return ids;
}
