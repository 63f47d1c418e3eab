/**
 * Runs added to the shared fixture store for the charts' browser tests (src/e2e-charts.test.ts): a 1-epoch run (one
 * validation point), a running run without validation yet, and a sweep of 3 seeds x 2 optimizers whose seeds log at
 * different steps (every 10, 15 and 25 steps), for grouping.
 */
import { openStore, type MetricInput } from '@vgglab/store';
import { noise } from './fixture.ts';

export const SEEDS = [0, 1, 2] as const;
export const OPTIMIZERS = ['adam', 'sgd'] as const;
/** Seed s logs train/loss every SEED_LOG_EVERY[s] steps: the group mean must align them. */
export const SEED_LOG_EVERY = [10, 15, 25] as const;
export const SEED_STEPS = 300;
/** Validation every this many steps, for every seed. */
export const SEED_VAL_EVERY = 50;

/** train/loss of a sweep run at a step (what the store holds: the oracle of the tests). */
export function seedLoss(optimizer: (typeof OPTIMIZERS)[number], seed: number, step: number): number {
  const level = optimizer === 'adam' ? 0.3 : 0.9;
  return level + 1.2 * Math.exp(-step / 80) + 0.04 * seed + 0.02 * Math.sin(step / 7 + seed);
}

export interface ChartRuns {
  /** Run ids by name. */
  ids: Record<string, string>;
}

/** Adds the charts' runs to a fixture store; names: `one-epoch`, `live-first-val`, `seeds-<optimizer>-s<seed>`. */
export function addChartRuns(dbFile: string): ChartRuns {
  const store = openStore(dbFile);
  const ids: Record<string, string> = {};
  try {
    const t0 = Date.UTC(2026, 10, 26, 9, 0, 0);
    const oneEpoch = store.createRun({
      experiment: 'one-epoch',
      name: 'one-epoch',
      resolvedSpec: { name: 'one-epoch', model: { name: 'vgg11' }, optimizer: { name: 'adam', lr: 0.001 }, train: { epochs: 1 } },
      specHash: 'charts-one-epoch',
      startTime: t0,
    });
    ids['one-epoch'] = oneEpoch.id;
    const rand = noise(31);
    const points: MetricInput[] = [];
    for (let step = 10; step <= 50; step += 10) points.push({ key: 'train/loss', value: 1.5 - step / 100 + rand() * 0.02, step, epoch: 1, timestamp: t0 + step * 100 });
    points.push({ key: 'val/accuracy', value: 0.62, step: 50, epoch: 1, timestamp: t0 + 5100 });
    points.push({ key: 'val/loss', value: 1.1, step: 50, epoch: 1, timestamp: t0 + 5100 });
    store.logBatch(oneEpoch.id, { metrics: points });
    store.setRunStatus(oneEpoch.id, 'finished', { endTime: t0 + 6000 });

    const live = store.createRun({
      experiment: 'live-first-val',
      name: 'live-first-val',
      resolvedSpec: { name: 'live-first-val', model: { name: 'vgg11' }, optimizer: { name: 'adam', lr: 0.001 } },
      specHash: 'charts-live-first-val',
      startTime: Date.now() - 30_000,
    });
    ids['live-first-val'] = live.id;
    store.logBatch(live.id, {
      metrics: [10, 20, 30, 40].map((step) => ({ key: 'train/loss', value: 2 - step / 50, step, epoch: 1, timestamp: Date.now() - 30_000 + step * 100 })),
    });

    for (const optimizer of OPTIMIZERS) {
      for (const seed of SEEDS) {
        const name = `seeds-${optimizer}-s${seed}`;
        const startTime = t0 + 3_600_000 * (1 + seed + 3 * OPTIMIZERS.indexOf(optimizer));
        const run = store.createRun({
          experiment: 'seeds',
          name,
          resolvedSpec: { name: 'seeds', seed, model: { name: 'vgg11' }, optimizer: { name: optimizer, lr: 0.001 }, train: { epochs: 6 } },
          specHash: `charts-${name}`,
          seed,
          startTime,
        });
        ids[name] = run.id;
        const metrics: MetricInput[] = [];
        for (let step = SEED_LOG_EVERY[seed]; step <= SEED_STEPS; step += SEED_LOG_EVERY[seed]) {
          metrics.push({ key: 'train/loss', value: seedLoss(optimizer, seed, step), step, epoch: Math.ceil(step / 50), timestamp: startTime + step * 100 });
        }
        for (let step = SEED_VAL_EVERY; step <= SEED_STEPS; step += SEED_VAL_EVERY) {
          const accuracy = (optimizer === 'adam' ? 0.8 : 0.6) + 0.1 * (1 - Math.exp(-step / 100)) + 0.01 * seed;
          metrics.push({ key: 'val/accuracy', value: accuracy, step, epoch: step / 50, timestamp: startTime + step * 100 + 50 });
        }
        store.logBatch(run.id, { metrics });
        store.setRunStatus(run.id, 'finished', { endTime: startTime + SEED_STEPS * 100 + 1000 });
      }
    }
  } finally {
    store.close();
  }
  return { ids };
}
