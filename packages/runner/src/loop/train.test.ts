import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CapacityError, coreOptimizersPlugin, createRegistry, type ExperimentSpec } from '@vgglab/core';
import { openStore, type RunStore } from '@vgglab/store';
import { Progress } from './progress.ts';
import { testPlugins, tinySpec } from '../testing/plugins.ts';
import { runExperiment, type RunExperimentOptions } from './train.ts';
import { METRIC } from '../defaults.ts';
import { loadLayersModelFromDir } from './checkpoint.ts';
import { createBuiltinRegistry } from '../plugins.ts';
import type { Plugin } from '@vgglab/core';

const dirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-train-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The loop's options over a SQLite store the test also reads (the loop itself only writes). */
type TestOptions = RunExperimentOptions & { store: RunStore };

function options(dir: string, spec: Record<string, unknown>, extra: Partial<TestOptions> = {}): TestOptions {
  const lines: string[] = [];
  return {
    spec: spec as ExperimentSpec,
    specDir: dir,
    specHash: 'h-' + JSON.stringify(spec).length,
    registry: createRegistry(testPlugins()),
    store: openStore(path.join(dir, 'vgglab.db')),
    runsDir: dir,
    backend: 'cpu',
    progress: new Progress({ write: (t) => void lines.push(t) }, false),
    ...extra,
  };
}

describe('runExperiment', () => {
  it('trains the tiny model: loss falls, validation accuracy beats chance, metrics and checkpoints are stored', async () => {
    const dir = tmpDir();
    const o = options(dir, tinySpec({ train: { epochs: 4, logEverySteps: 2 } }));
    const result = await runExperiment(o);
    expect(result.status).toBe('finished');
    expect(result.epochsCompleted).toBe(4);
    const run = o.store.getRun(result.runId)!;
    expect(run.status).toBe('finished');
    const losses = o.store.getMetricHistory(result.runId, METRIC.trainEpochLoss).map((p) => p.value);
    expect(losses).toHaveLength(4);
    expect(losses[3]!).toBeLessThan(losses[0]!);
    expect(run.metrics[METRIC.valAccuracy]!.max!).toBeGreaterThan(0.6);
    expect(run.artifacts.map((a) => a.kind).sort()).toEqual(['checkpoint-best', 'checkpoint-last']);
    for (const a of run.artifacts) expect(fs.existsSync(path.join(a.path, 'model.json'))).toBe(true);
    // 48 images / batch 8 = 6 steps per epoch; train/loss every 2 steps: 3 points per epoch.
    expect(o.store.getMetricHistory(result.runId, METRIC.trainLoss)).toHaveLength(12);
    o.store.close();
  });

  it('frees every tensor it makes: the tensor count is the same after every epoch', async () => {
    const dir = tmpDir();
    const counts: number[] = [];
    const o = options(dir, tinySpec({ model: { name: 'tiny-cnn', inputShape: [8, 8, 3], options: { dropout: 0.2 } }, train: { epochs: 4 } }), {
      onEpochEnd: () => counts.push(tf.memory().numTensors),
    });
    const before = tf.memory().numTensors;
    await runExperiment(o);
    expect(counts).toHaveLength(4);
    // The first epoch creates the optimizer's slots; after that nothing may grow.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[1]).toBe(counts[0]);
    // And the run gives back everything it held: model weights and the optimizer's slots.
    expect(tf.memory().numTensors).toBe(before);
    o.store.close();
  });

  it('is reproducible: the same seed gives the same losses', async () => {
    const a = options(tmpDir(), tinySpec({ model: { name: 'tiny-cnn', inputShape: [8, 8, 3], options: { dropout: 0.3 } }, train: { epochs: 2 } }));
    const b = options(tmpDir(), tinySpec({ model: { name: 'tiny-cnn', inputShape: [8, 8, 3], options: { dropout: 0.3 } }, train: { epochs: 2 } }));
    const ra = await runExperiment(a);
    const rb = await runExperiment(b);
    const la = a.store.getMetricHistory(ra.runId, METRIC.trainLoss).map((p) => p.value);
    const lb = b.store.getMetricHistory(rb.runId, METRIC.trainLoss).map((p) => p.value);
    expect(la.length).toBeGreaterThan(0);
    expect(lb).toEqual(la);
    a.store.close();
    b.store.close();
  });

  it('stops early when the monitored metric stops improving', async () => {
    const dir = tmpDir();
    // lr 0: nothing changes, so val/loss never improves after the first epoch.
    const o = options(dir, tinySpec({ optimizer: { name: 'plain-sgd', lr: 1e-12 }, train: { epochs: 6, monitor: 'val/loss', mode: 'min', earlyStopping: { patience: 2, minDelta: 0.01 } } }));
    const r = await runExperiment(o);
    expect(r.status).toBe('finished');
    expect(r.epochsCompleted).toBe(3);
    expect(o.store.getRun(r.runId)!.tags.early_stopped_at_epoch).toBe('3');
    o.store.close();
  });

  it('a stop request finishes the step, writes a checkpoint and marks the run killed; resuming ends like an uninterrupted run', async () => {
    const ref = options(tmpDir(), tinySpec({ train: { epochs: 3, logEverySteps: 1 } }));
    const full = await runExperiment(ref);
    const refLoss = ref.store.getMetricHistory(full.runId, METRIC.trainLoss).map((p) => [p.step, p.value]);

    const dir = tmpDir();
    const stop = { requested: false };
    let steps = 0;
    const o = options(dir, tinySpec({ train: { epochs: 3, logEverySteps: 1 } }), { stop });
    // Request the stop in the middle of the second epoch (6 steps per epoch).
    const progress = o.progress;
    const origStep = progress.step.bind(progress);
    progress.step = (p) => {
      origStep(p);
      if (++steps === 9) stop.requested = true;
    };
    const first = await runExperiment(o);
    expect(first.status).toBe('killed');
    expect(first.globalStep).toBe(9);
    expect(o.store.getRun(first.runId)!.status).toBe('killed');

    const resumed = await runExperiment({ ...o, stop: { requested: false }, resumeRunId: first.runId });
    expect(resumed.status).toBe('finished');
    expect(resumed.epochsCompleted).toBe(3);
    expect(resumed.globalStep).toBe(18);
    const loss = o.store.getMetricHistory(first.runId, METRIC.trainLoss).map((p) => [p.step, p.value]);
    expect(loss.map(([s]) => s)).toEqual(refLoss.map(([s]) => s));
    for (let i = 0; i < loss.length; i++) expect(loss[i]![1]).toBeCloseTo(refLoss[i]![1]!, 4);
    expect(o.store.getMetricHistory(first.runId, METRIC.valAccuracy)).toHaveLength(3);
    ref.store.close();
    o.store.close();
  });

  it('writes checkpoints tfjs itself can load (model.json + weights.bin) that predict like the trained model', async () => {
    const dir = tmpDir();
    const o = options(dir, tinySpec({ train: { epochs: 1 } }));
    const r = await runExperiment(o);
    const best = o.store.listArtifacts(r.runId, 'checkpoint-best')[0]!.path;
    const loaded = await loadLayersModelFromDir(best);
    expect(loaded.layers.map((l) => l.name)).toContain('predictions');
    const x = tf.ones([1, 8, 8, 3]);
    const y = loaded.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 3]);
    tf.dispose([x, y]);
    loaded.dispose();
    o.store.close();
  });

  it('refuses a run that cannot fit before it exists in the store, counting the created optimizer (amsgrad: 3 slots)', async () => {
    const dir = tmpDir();
    // 64x64 inputs at batch 8192 need ~7 GB of activations: over wasm's 4 GB (the check reads the backend name).
    const spec = tinySpec({
      model: { name: 'tiny-cnn', inputShape: [64, 64, 3] },
      data: { name: 'colours', batchSize: 8192, options: { train: 48, val: 12 } },
      optimizer: { name: 'adam', lr: 0.01, options: { amsgrad: true } },
    });
    const o = options(dir, spec, { registry: createRegistry([...testPlugins(), coreOptimizersPlugin()]), backend: 'wasm' });
    const before = tf.memory().numTensors;
    let created = false;
    const error = await runExperiment({ ...o, onRunCreated: () => (created = true) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapacityError);
    const message = (error as CapacityError).message;
    expect(message).toMatch(/^training at batch 8192 with adam \(amsgrad\) on wasm needs about [\d.]+ GB \(.*optimizer state [\d.]+ kB \(3 slots\)/);
    expect(message).toContain("more than wasm's 32-bit limit of 4.29 GB");
    expect(message).toMatch(/reduce the batch size to \d+ or less/);
    expect(created).toBe(false);
    expect(o.store.listRuns().runs).toHaveLength(0);
    // The built model and the created optimizer are given back.
    expect(tf.memory().numTensors).toBe(before);
    o.store.close();
  });

  it('an exception marks the run failed with its message and closes everything', async () => {
    const dir = tmpDir();
    const failing: Plugin = {
      name: 'failing-data',
      datasets: {
        broken: {
          async open() {
            return {
              classNames: ['a', 'b'],
              size: () => 16,
              async *batches() {
                yield { x: new Float32Array(8 * 8 * 8 * 3), shape: [8, 8, 8, 3] as [number, number, number, number], labels: new Int32Array(8) };
                throw new Error('disk on fire');
              },
            };
          },
        },
      },
    };
    const o = options(dir, tinySpec({ data: { name: 'broken', batchSize: 8 } }), { registry: createRegistry([...testPlugins(), failing]) });
    let runId = '';
    await expect(runExperiment({ ...o, onRunCreated: (id) => (runId = id) })).rejects.toThrow('disk on fire');
    const run = o.store.getRun(runId)!;
    expect(run.status).toBe('failed');
    expect(run.tags.error).toBe('disk on fire');
    expect(run.endTime).not.toBeNull();
    o.store.close();
  });

  it('transfer learning: loads pretrained weights from a checkpoint model.json and keeps frozen features unchanged', async () => {
    const registry = createBuiltinRegistry(testPlugins());
    const vgg = {
      name: 'vgg11',
      inputShape: [32, 32, 3],
      options: { widthMultiplier: 1 / 16, classifierUnits: [16], dropout: 0, avgPoolTo7: false, classifierActivation: 'linear' },
    };
    const source = options(tmpDir(), tinySpec({ model: vgg, data: { name: 'colours', batchSize: 8, options: { train: 16, val: 8 } }, train: { epochs: 1 } }), { registry });
    const pre = await runExperiment(source);
    const pretrained = path.join(source.store.listArtifacts(pre.runId, 'checkpoint-last')[0]!.path, 'model.json');
    source.store.close();

    const lines: string[] = [];
    const dir = tmpDir();
    const o = options(dir, tinySpec({ model: { ...vgg, pretrained, freeze: 'features' }, data: { name: 'colours', batchSize: 8, options: { train: 16, val: 8 } }, train: { epochs: 1 } }), {
      registry,
      progress: new Progress({ write: (t) => void lines.push(t) }, false),
    });
    const r = await runExperiment(o);
    expect(lines.join('')).toMatch(/pretrained weights .*model\.json \(\w+\): \d+ loaded/);
    expect(lines.join('')).toMatch(/frozen layers: \d+ \(block1_conv1 … block\d_conv\d\)/);
    // Frozen conv weights equal the pretrained ones; the head moved.
    const before = tf.io.decodeWeights(
      new Uint8Array(fs.readFileSync(path.join(path.dirname(pretrained), "weights.bin"))).buffer,
      JSON.parse(fs.readFileSync(pretrained, 'utf8')).weightsManifest[0].weights,
    );
    const afterDir = o.store.listArtifacts(r.runId, 'checkpoint-last')[0]!.path;
    const afterJson = JSON.parse(fs.readFileSync(path.join(afterDir, 'model.json'), 'utf8'));
    const after = tf.io.decodeWeights(new Uint8Array(fs.readFileSync(path.join(afterDir, "weights.bin"))).buffer, afterJson.weightsManifest[0].weights);
    const names = (m: Record<string, tf.Tensor>, re: RegExp) => Object.keys(m).filter((k) => re.test(k)).sort();
    const convBefore = names(before, /block1_conv1/);
    const convAfter = names(after, /block1_conv1/);
    expect(convAfter.length).toBeGreaterThan(0);
    expect(Array.from(after[convAfter[0]!]!.dataSync())).toEqual(Array.from(before[convBefore[0]!]!.dataSync()));
    const headBefore = names(before, /predictions/)[0]!;
    const headAfter = names(after, /predictions/)[0]!;
    expect(Array.from(after[headAfter]!.dataSync())).not.toEqual(Array.from(before[headBefore]!.dataSync()));
    tf.dispose([...Object.values(before), ...Object.values(after)]);
    o.store.close();
  }, 60_000);
});
