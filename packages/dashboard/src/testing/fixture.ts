/**
 * A small run store made through the store's own API, for the API and browser tests: six runs in two
 * experiments (finished, running, failed with NaN loss), realistic curves, an evaluation with a confusion
 * matrix, checkpoint files inside the runs folder and one artifact outside it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, openStore, type MetricInput, type RunStore } from '@vgglab/store';

export interface Fixture {
  dir: string;
  dbFile: string;
  runsDir: string;
  /** Run ids by run name. */
  ids: Record<string, string>;
  /** A file outside the runs folder that must never be served. */
  secretFile: string;
  cleanup: () => void;
}

export const STEPS_PER_EPOCH = 50;
export const LOG_EVERY = 10;
export const CLASSES = ['circle', 'square', 'triangle', 'star'];

/** Deterministic noise in [-1, 1) (the store's mulberry32), so every fixture is identical. */
export function noise(seed: number): () => number {
  const random = mulberry32(seed);
  return () => random() * 2 - 1;
}

/** Train points every LOG_EVERY steps and validation points at each epoch's last step, like the runner logs. */
export function trainingCurves(options: {
  epochs: number;
  rate: number;
  finalAccuracy: number;
  seed: number;
  startTime: number;
  stepsPerEpoch?: number;
  logEvery?: number;
}): MetricInput[] {
  const stepsPerEpoch = options.stepsPerEpoch ?? STEPS_PER_EPOCH;
  const logEvery = options.logEvery ?? LOG_EVERY;
  const rand = noise(options.seed);
  const out: MetricInput[] = [];
  const total = options.epochs * stepsPerEpoch;
  for (let step = logEvery; step <= total; step += logEvery) {
    const progress = step / total;
    const epoch = Math.ceil(step / stepsPerEpoch);
    const loss = 1.4 * Math.exp(-options.rate * progress * 4) + 0.08 + rand() * 0.05;
    const accuracy = Math.min(1, 0.25 + (options.finalAccuracy - 0.25) * (1 - Math.exp(-options.rate * progress * 3)) + rand() * 0.015);
    const timestamp = options.startTime + step * 120;
    out.push({ key: 'train/loss', value: loss, step, epoch, timestamp });
    out.push({ key: 'train/accuracy', value: accuracy, step, epoch, timestamp });
    if (step % stepsPerEpoch === 0) {
      out.push({ key: 'val/loss', value: loss * 1.1 + Math.abs(rand()) * 0.04, step, epoch, timestamp: timestamp + 500 });
      out.push({ key: 'val/accuracy', value: Math.min(1, accuracy * 0.97), step, epoch, timestamp: timestamp + 500 });
    }
  }
  return out;
}

/** Writes metric points through logBatch in chunks of the store's batch limit. */
export function logAll(store: RunStore, runId: string, metrics: MetricInput[], batchSize = 1000): void {
  for (let i = 0; i < metrics.length; i += batchSize) store.logBatch(runId, { metrics: metrics.slice(i, i + batchSize) });
}

function spec(name: string, model: string, optimizer: string, lr: number, epochs: number, seed: number) {
  return {
    name,
    seed,
    model: { name: model, inputShape: [32, 32, 3] },
    data: { name: 'shapes', batchSize: 32 },
    optimizer: { name: optimizer, lr },
    train: { epochs, monitor: 'val/accuracy' },
  };
}

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'vgglab-dashboard-'));
  const runsDir = join(dir, 'runs');
  const dbFile = join(runsDir, 'vgglab.db');
  const secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, 'TOP-SECRET-outside-the-runs-folder');
  const store = openStore(dbFile);
  const ids: Record<string, string> = {};
  const t0 = Date.UTC(2026, 10, 28, 9, 0, 0);
  const sweep: [string, string, string, number, number, number][] = [
    ['vgg11-adam', 'vgg11', 'adam', 1e-3, 2.2, 0.93],
    ['vgg11-sgd', 'vgg11', 'sgd', 1e-2, 1.3, 0.84],
    ['vgg16-adam', 'vgg16', 'adam', 1e-4, 1.8, 0.95],
    ['vgg16-sgd', 'vgg16', 'sgd', 1e-2, 0.9, 0.71],
  ];
  sweep.forEach(([name, model, optimizer, lr, rate, finalAccuracy], i) => {
    const startTime = t0 + i * 3_600_000;
    const run = store.createRun({
      experiment: 'compare-vgg-optimizers',
      name,
      specText: `name: compare-vgg-optimizers\nmodel:\n  name: ${model}\noptimizer:\n  name: ${optimizer}\n  lr: ${lr}\ntrain:\n  epochs: 5\n`,
      resolvedSpec: spec('compare-vgg-optimizers', model, optimizer, lr, 5, 0),
      specHash: `fixture-${name}`,
      seed: 0,
      gitCommit: 'a1b2c3d4e5f6',
      packageVersions: { '@tensorflow/tfjs': '4.22.0', node: '20.20.2' },
      backend: 'wasm',
      host: 'fixture-host',
      pid: null,
      sweepValues: { 'model.name': model, 'optimizer.name': optimizer },
      tags: { sweep: 'optimizers', ...(i === 0 ? { note: 'baseline' } : {}) },
      startTime,
    });
    ids[name] = run.id;
    logAll(store, run.id, trainingCurves({ epochs: 5, rate, finalAccuracy, seed: i + 1, startTime }));
    store.setRunStatus(run.id, 'finished', { endTime: startTime + 5 * STEPS_PER_EPOCH * 120 + 1000 });
  });

  // A finished run's checkpoint files, and an artifact pointing outside the runs folder.
  const best = ids['vgg11-adam'];
  const checkpointDir = join(runsDir, best, 'checkpoint-best');
  mkdirSync(checkpointDir, { recursive: true });
  writeFileSync(join(checkpointDir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: {} }));
  writeFileSync(join(checkpointDir, 'weights.bin'), Buffer.alloc(64, 7));
  writeFileSync(join(runsDir, best, 'not-an-artifact.txt'), 'run folder file that is not an artifact');
  store.logArtifact(best, { kind: 'checkpoint-best', path: `${best}/checkpoint-best`, epoch: 5, step: 250, metadata: { monitor: 'val/accuracy', value: 0.9 } });
  store.logArtifact(best, { kind: 'outside', path: secretFile });
  const confusion = [
    [24, 1, 0, 0],
    [2, 21, 1, 1],
    [0, 3, 19, 3],
    [0, 0, 2, 23],
  ];
  store.logEvaluation(best, {
    dataset: 'val',
    checkpoint: `${best}/checkpoint-best`,
    epoch: 5,
    step: 250,
    accuracy: 87 / 100,
    classNames: CLASSES,
    perClass: CLASSES.map((className, i) => {
      const tp = confusion[i][i];
      const predicted = confusion.reduce((a, row) => a + row[i], 0);
      const support = confusion[i].reduce((a, b) => a + b, 0);
      return { className, precision: tp / predicted, recall: tp / support, support };
    }),
    confusionMatrix: confusion,
  });

  // A run still training, and a failed one whose loss went NaN.
  const live = store.createRun({
    experiment: 'quickstart',
    name: 'quickstart-live',
    resolvedSpec: spec('quickstart', 'vgg11', 'adam', 3e-4, 5, 1),
    specHash: 'fixture-quickstart-live',
    seed: 1,
    backend: 'wasm',
    tags: { note: 'live' },
    startTime: Date.now() - 60_000,
  });
  ids['quickstart-live'] = live.id;
  logAll(store, live.id, trainingCurves({ epochs: 2, rate: 2, finalAccuracy: 0.9, seed: 9, startTime: Date.now() - 60_000 }));

  const failed = store.createRun({
    experiment: 'quickstart',
    name: 'quickstart-nan',
    resolvedSpec: spec('quickstart', 'vgg13', 'sgd', 0.5, 5, 2),
    specHash: 'fixture-quickstart-nan',
    seed: 2,
    backend: 'cpu',
    startTime: t0 - 86_400_000,
  });
  ids['quickstart-nan'] = failed.id;
  store.logBatch(failed.id, {
    metrics: [
      { key: 'train/loss', value: 2.3, step: 10, epoch: 1, timestamp: t0 - 86_000_000 },
      { key: 'train/loss', value: Infinity, step: 20, epoch: 1, timestamp: t0 - 85_990_000 },
      { key: 'train/loss', value: NaN, step: 30, epoch: 1, timestamp: t0 - 85_980_000 },
    ],
  });
  store.setRunStatus(failed.id, 'failed', { endTime: t0 - 85_900_000 });
  store.close();
  return { dir, dbFile, runsDir, ids, secretFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
