/**
 * More runs for the comparison's tests, added to a fixture store through the store's API as the runner writes them:
 * a 2x2 sweep named by its varying values (as the runner names sweep points: core's sweepPointName, tested in core
 * and in the runner's sweep test; the dashboard does not import core), a run started with `-o` overrides, an
 * evaluation that recorded its misclassified images (PNG files in a dataset folder outside the runs folder), and
 * system metrics.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type MetricInput } from '@vgglab/store';
import { CLASSES, logAll, STEPS_PER_EPOCH, trainingCurves, type Fixture } from './fixture.ts';
import { shapePng } from './png.ts';

export const SWEEP_EXPERIMENT = 'sweep-vgg';
/** The sweep's grid, as a spec's `sweep:` would list it. */
export const SWEEP_GRID = {
  'model.name': ['vgg11_bn', 'vgg16_bn'],
  optimizer: [
    { name: 'adam', lr: 0.001 },
    { name: 'sgd', lr: 0.02 },
  ],
} as const;
/** Best val/accuracy each point reaches, in grid order (vgg16_bn · adam is the best). */
const FINAL_ACCURACY = [0.86, 0.78, 0.94, 0.72];
export const OVERRIDES = ['optimizer.lr=0.02', 'train.epochs=3'];
/** A validation image the evaluation got wrong: true class 1 (square), predicted 2 (triangle). */
export const MISCLASSIFIED_CELL = { true: 1, predicted: 2 };

export interface CompareFixture {
  /** Sweep run ids by their names (`vgg16_bn · adam 0.001`), in grid order. */
  sweep: { id: string; name: string; best: number }[];
  /** The run started with `-o` overrides. */
  overridden: string;
  /** The evaluation with recorded misclassified images (of the best sweep run). */
  evaluation: { runId: string; id: number; dataDir: string; cellPaths: string[] };
}

function resolvedSpec(model: string, optimizer: { name: string; lr: number }, epochs = 5) {
  return {
    name: SWEEP_EXPERIMENT,
    seed: 0,
    model: { name: model, inputShape: [32, 32, 3] },
    data: { name: 'imageFolder', options: { root: '../data/shapes' }, batchSize: 32 },
    optimizer: optimizer.name === 'sgd' ? { ...optimizer, options: { momentum: 0.9 } } : optimizer,
    train: { epochs, monitor: 'val/accuracy' },
  };
}

/** Process CPU %, RSS and heap every 10 steps, as the runner's sampler logs them. */
function systemMetrics(startTime: number, steps: number): MetricInput[] {
  const out: MetricInput[] = [];
  for (let step = 10; step <= steps; step += 10) {
    const timestamp = startTime + step * 120;
    out.push({ key: 'sys/cpu_percent', value: 180 + 15 * Math.sin(step / 20), step, timestamp });
    out.push({ key: 'sys/rss_mb', value: 600 + step * 0.4, step, timestamp });
    out.push({ key: 'sys/heap_mb', value: 90 + 10 * Math.cos(step / 30), step, timestamp });
  }
  return out;
}

export function addCompareRuns(fixture: Fixture): CompareFixture {
  const store = openStore(fixture.dbFile);
  const t0 = Date.UTC(2026, 10, 29, 9, 0, 0);
  try {
    const sweep: CompareFixture['sweep'] = [];
    let index = 0;
    for (const model of SWEEP_GRID['model.name']) {
      for (const optimizer of SWEEP_GRID.optimizer) {
        const values = { 'model.name': model, optimizer };
        const name = `${model} · ${optimizer.name} ${optimizer.lr}`;
        const startTime = t0 + index * 3_600_000;
        const run = store.createRun({
          experiment: SWEEP_EXPERIMENT,
          name,
          specText: `name: ${SWEEP_EXPERIMENT}\nsweep:\n  model.name: [vgg11_bn, vgg16_bn]\n  optimizer: [{ name: adam, lr: 0.001 }, { name: sgd, lr: 0.02 }]\n`,
          resolvedSpec: resolvedSpec(model, optimizer),
          specHash: `compare-fixture-${index}`,
          sweepValues: values,
          command: ['vgglab', 'exp', 'experiments/sweep-vgg.yaml'],
          pid: null,
          host: 'fixture-host',
          startTime,
        });
        const curves = trainingCurves({ epochs: 5, rate: 1.5 + index * 0.2, finalAccuracy: FINAL_ACCURACY[index]!, seed: 40 + index, startTime });
        logAll(store, run.id, [...curves, ...(index === 2 ? systemMetrics(startTime, 5 * STEPS_PER_EPOCH) : [])]);
        store.setRunStatus(run.id, 'finished', { endTime: startTime + 5 * STEPS_PER_EPOCH * 120 });
        const best = store.getRun(run.id)!.metrics['val/accuracy']!.max!;
        sweep.push({ id: run.id, name, best });
        index++;
      }
    }

    // Started as `vgglab exp experiments/quickstart.yaml -o optimizer.lr=0.02 -o train.epochs=3`.
    const overridden = store.createRun({
      experiment: 'quickstart',
      name: 'quickstart',
      specText: 'name: quickstart\nmodel:\n  name: vgg11_bn\noptimizer:\n  name: adam\n  lr: 0.001\ntrain:\n  epochs: 5\n',
      resolvedSpec: { ...resolvedSpec('vgg11_bn', { name: 'adam', lr: 0.02 }, 3), name: 'quickstart' },
      specHash: 'compare-fixture-overridden',
      command: ['vgglab', 'exp', 'experiments/quickstart.yaml', ...OVERRIDES.flatMap((o) => ['-o', o])],
      overrides: OVERRIDES,
      pid: null,
      host: 'fixture-host',
      startTime: t0 - 3_600_000,
    });
    logAll(store, overridden.id, trainingCurves({ epochs: 3, rate: 1, finalAccuracy: 0.7, seed: 77, startTime: t0 - 3_600_000 }));
    store.setRunStatus(overridden.id, 'finished', { endTime: t0 - 3_000_000 });

    // The best run's evaluation, with its misclassified validation images on disk (outside the runs folder).
    const dataDir = join(fixture.dir, 'data', 'shapes');
    const confusion = [
      [24, 1, 0, 0],
      [1, 20, 3, 1],
      [0, 2, 22, 1],
      [0, 0, 1, 24],
    ];
    const items: { path: string; true: number; predicted: number }[] = [];
    const palette: [number, number, number][] = [
      [78, 121, 167],
      [242, 142, 43],
      [225, 87, 89],
      [89, 161, 79],
    ];
    confusion.forEach((row, t) =>
      row.forEach((count, p) => {
        if (t === p) return;
        for (let k = 0; k < count; k++) {
          const path = `${CLASSES[t]}/val-${t}${p}${k}.png`;
          mkdirSync(join(dataDir, CLASSES[t]!), { recursive: true });
          writeFileSync(join(dataDir, path), shapePng(CLASSES[t]!, palette[p]!));
          items.push({ path, true: t, predicted: p });
        }
      }),
    );
    const bestRun = sweep[2]!.id;
    const evaluation = store.logEvaluation(bestRun, {
      dataset: 'val',
      checkpoint: `${bestRun}/checkpoint-best`,
      epoch: 5,
      step: 250,
      accuracy: 90 / 100,
      classNames: CLASSES,
      perClass: CLASSES.map((className, i) => {
        const predicted = confusion.reduce((a, r) => a + r[i]!, 0);
        const support = confusion[i]!.reduce((a, b) => a + b, 0);
        return { className, precision: confusion[i]![i]! / predicted, recall: confusion[i]![i]! / support, support };
      }),
      confusionMatrix: confusion,
      misclassified: { root: dataDir, items },
    });
    store.logArtifact(bestRun, {
      kind: 'checkpoint-best',
      path: `${bestRun}/checkpoint-best`,
      epoch: 4,
      step: 250,
      metadata: { monitor: 'val/accuracy', value: sweep[2]!.best, mode: 'max', 'val/loss': 0.2134, params: 9_231_114, format: 'tfjs-layers' },
    });
    const cellPaths = items.filter((i) => i.true === MISCLASSIFIED_CELL.true && i.predicted === MISCLASSIFIED_CELL.predicted).map((i) => i.path);
    return { sweep, overridden: overridden.id, evaluation: { runId: bestRun, id: evaluation.id, dataDir, cellPaths } };
  } finally {
    store.close();
  }
}

export const LR_SWEEP_EXPERIMENT = 'lr-sweep';

/**
 * A random search of `count` runs (experiment `lr-sweep`): learning rate log-uniform in 1e-4..1e-1, adam or sgd, batch
 * 32 or 64, a seed each; the best accuracy peaks near lr 3e-3 and barely depends on the rest, so the learning rate is
 * the param that matters.
 */
export function addLrSweep(fixture: Fixture, count = 30): { id: string; lr: number }[] {
  const store = openStore(fixture.dbFile);
  const t0 = Date.UTC(2026, 10, 30, 9, 0, 0);
  const out: { id: string; lr: number }[] = [];
  try {
    for (let i = 0; i < count; i++) {
      // The learning rates in a scrambled order of the runs, so a run's seed (its index) says nothing about its lr.
      const u = ((i * 11) % count) / count + 0.5 / count;
      const lr = Number((10 ** (-4 + 3 * u)).toPrecision(3));
      const optimizer = i % 2 === 0 ? 'adam' : 'sgd';
      const batchSize = i % 3 === 0 ? 64 : 32;
      const peak = Math.exp(-((Math.log10(lr) + 2.5) ** 2) / 0.5);
      const finalAccuracy = 0.5 + 0.42 * peak - (optimizer === 'sgd' ? 0.01 : 0);
      const startTime = t0 + i * 600_000;
      const run = store.createRun({
        experiment: LR_SWEEP_EXPERIMENT,
        name: `${optimizer} · lr ${lr} · batchSize ${batchSize}`,
        resolvedSpec: { name: LR_SWEEP_EXPERIMENT, seed: i, model: { name: 'vgg11_bn' }, data: { name: 'shapes', batchSize }, optimizer: { name: optimizer, lr }, train: { epochs: 3 } },
        specHash: `lr-sweep-${i}`,
        seed: i,
        pid: null,
        host: 'fixture-host',
        startTime,
      });
      logAll(store, run.id, trainingCurves({ epochs: 3, rate: 1.5, finalAccuracy, seed: 200 + i, startTime }));
      store.setRunStatus(run.id, 'finished', { endTime: startTime + 3 * STEPS_PER_EPOCH * 120 });
      out.push({ id: run.id, lr });
    }
  } finally {
    store.close();
  }
  return out;
}
