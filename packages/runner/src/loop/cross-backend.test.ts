/**
 * Runs, checkpoints and predictions are interchangeable across backends: a checkpoint the runner writes on
 * `native` loads and predicts on `wasm` as on `native`, and the other way round.
 *
 * Needs the native engine (@vgglab/engine-native, built where libdnnl-dev is installed): skipped without
 * it, except under CI (CI=true), where CI installs it and a missing engine fails the test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { coreOptimizersPlugin, createRegistry, initEngine, type ExperimentSpec } from '@vgglab/core';
import { openStore } from '@vgglab/store';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadLayersModelFromDir } from './checkpoint.ts';
import { Progress } from './progress.ts';
import { testPlugins, tinySpec } from '../testing/plugins.ts';
import { runExperiment } from './train.ts';

type Backend = 'native' | 'wasm';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-cross-'));
let nativeMissing: string | undefined;

beforeAll(async () => {
  const started = await initEngine({ backend: 'native', log: () => {} }).catch((e: Error) => e);
  if (started instanceof Error) {
    if (process.env.CI) throw started;
    nativeMissing = started.message;
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const use = (backend: Backend) => initEngine({ backend, log: () => {} });

/** Trains the tiny model for one epoch on `backend` (TorchAdam: the fused update on native) and returns its best checkpoint. */
async function trainOn(backend: Backend): Promise<string> {
  await use(backend);
  const store = openStore(path.join(dir, `${backend}.db`));
  const spec = tinySpec({ engine: { backend }, optimizer: { name: 'adam', lr: 0.01 }, train: { epochs: 1 } });
  const result = await runExperiment({
    spec: spec as ExperimentSpec,
    specDir: dir,
    specHash: `cross-${backend}`,
    registry: createRegistry([...testPlugins(), coreOptimizersPlugin()]),
    store,
    runsDir: path.join(dir, backend),
    backend,
    progress: new Progress({ write: () => {} }, false),
  });
  const best = store.listArtifacts(result.runId, 'checkpoint-best')[0]!.path;
  store.close();
  return best;
}

/** The checkpoint's predictions for a fixed batch, computed on `backend`. */
async function predictOn(backend: Backend, checkpoint: string): Promise<Float32Array> {
  await use(backend);
  const model = await loadLayersModelFromDir(checkpoint);
  const x = tf.tensor(Float32Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => ((i * 37) % 101) / 101), [4, 8, 8, 3]);
  const y = model.predict(x) as tf.Tensor;
  const values = y.dataSync().slice() as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return values;
}

function expectClose(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  const scale = Math.max(...b.map(Math.abs));
  const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  expect(diff / scale).toBeLessThan(1e-4);
}

for (const [writer, reader] of [['native', 'wasm'], ['wasm', 'native']] as const) {
  it(`a checkpoint written on ${writer} loads and predicts on ${reader} as on ${writer}`, async (ctx) => {
    if (nativeMissing) ctx.skip(`the native engine is not available: ${nativeMissing}`);
    const checkpoint = await trainOn(writer);
    const there = await predictOn(reader, checkpoint);
    const here = await predictOn(writer, checkpoint);
    expectClose(there, here);
  }, 60_000);
}
