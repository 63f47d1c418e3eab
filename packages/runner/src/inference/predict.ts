/**
 * Loading a trained run's model for inference, and predicting image files with the run's own preprocessing
 * (its validation transforms, input size and normalisation, all recorded in the checkpoint).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentSpec, Registry, TransformSpec } from '@vgglab/core';
import type { RunStore } from '@vgglab/store';
import { assignWeights, CHECKPOINT_FILES, loadCheckpoint, loadLayersModelFromDir, readCheckpointState, type CheckpointState } from '../loop/checkpoint.ts';
import { ARTIFACT_BEST, ARTIFACT_LAST } from '../defaults.ts';
import { CliError } from '../errors.ts';
import { endsInSoftmax, predictProbabilities } from '../loop/step.ts';
import { transformsOf } from '../loop/setup.ts';
import { imageLoaderFor, type ImageLoader } from './images.ts';

export interface RunModel {
  model: tf.LayersModel;
  classNames: string[];
  inputShape: [number, number, number];
  preprocessing: CheckpointState['preprocessing'];
  valTransforms: TransformSpec[];
  spec: ExperimentSpec;
  /** The checkpoint folder the weights came from. */
  checkpoint: string;
  state: CheckpointState;
  probabilities: boolean;
  /** An image file as this model's input (its validation transforms, input size and normalisation). */
  loadImage: ImageLoader;
  dispose(): void;
}

/** The checkpoint folder of a run: its best one, else its last one. */
export function runCheckpoint(store: RunStore, runId: string): string {
  for (const kind of [ARTIFACT_BEST, ARTIFACT_LAST]) {
    const found = store.listArtifacts(runId, kind).find((a) => fs.existsSync(path.join(a.path, CHECKPOINT_FILES.state)));
    if (found) return found.path;
  }
  throw new CliError(`run ${runId} has no checkpoint yet (it has not finished an epoch)`);
}

/** `--checkpoint` accepts the folder or its model.json. */
export function normaliseCheckpointPath(p: string): string {
  const abs = path.resolve(p);
  if (path.basename(abs) === CHECKPOINT_FILES.model) return path.dirname(abs);
  if (!fs.existsSync(abs)) throw new CliError(`no checkpoint at ${abs}`);
  if (!fs.existsSync(path.join(abs, CHECKPOINT_FILES.state))) {
    throw new CliError(`${abs} is not a vgglab checkpoint (no ${CHECKPOINT_FILES.state}); expected a folder like runs/<run-id>/checkpoints/best`);
  }
  return abs;
}

/**
 * Rebuilds the model through the registry (any plugin model) and loads the checkpoint's weights; a model the
 * registry does not know is loaded from model.json by tfjs alone (standard layers only).
 */
export async function loadRunModel(checkpoint: string, registry: Registry): Promise<RunModel> {
  const state = readCheckpointState(checkpoint);
  const spec = state.spec as unknown as ExperimentSpec;
  let model: tf.LayersModel;
  if (registry.has('models', spec.model.name)) {
    const entry = registry.model(spec.model.name);
    model = entry.build({ numClasses: state.classNames.length, inputShape: state.inputShape }, (spec.model.options ?? {}) as Record<string, unknown>);
    const ckpt = loadCheckpoint(checkpoint);
    try {
      assignWeights(model, ckpt.weights, ckpt.dir);
    } catch (err) {
      model.dispose();
      throw err;
    } finally {
      tf.dispose([...ckpt.weights, ...ckpt.optimizerWeights].map((w) => w.tensor));
    }
  } else {
    model = await loadLayersModelFromDir(checkpoint);
  }
  return {
    model,
    classNames: state.classNames,
    inputShape: state.inputShape,
    preprocessing: state.preprocessing,
    valTransforms: transformsOf(spec).val,
    spec,
    checkpoint,
    state,
    probabilities: endsInSoftmax(model),
    loadImage: imageLoaderFor(registry, spec, { transforms: transformsOf(spec).val, inputShape: state.inputShape, preprocessing: state.preprocessing }),
    dispose: () => model.dispose(),
  };
}

export interface Prediction {
  file: string;
  top: { className: string; index: number; probability: number }[];
}

/** Images per forward pass in predict. */
const PREDICT_BATCH = 16;

export async function predictFiles(run: RunModel, files: string[], topK: number): Promise<Prediction[]> {
  const [h, w, c] = run.inputShape;
  const out: Prediction[] = [];
  for (let start = 0; start < files.length; start += PREDICT_BATCH) {
    const chunk = files.slice(start, start + PREDICT_BATCH);
    const pixels = await Promise.all(
      chunk.map(async (f) => {
        if (!fs.existsSync(f)) throw new CliError(`no such image: ${f}`);
        try {
          return await run.loadImage(f);
        } catch (err) {
          throw new CliError(`cannot read image ${f}: ${(err as Error).message}`);
        }
      }),
    );
    const x = new Float32Array(chunk.length * h * w * c);
    pixels.forEach((p, i) => x.set(p, i * h * w * c));
    const probs = await predictProbabilities(run.model, x, [chunk.length, h, w, c], run.probabilities);
    probs.forEach((p, i) => out.push({ file: chunk[i]!, top: topOf(p, run.classNames, topK) }));
  }
  return out;
}

export function topOf(probabilities: Float32Array, classNames: string[], k: number) {
  return [...probabilities]
    .map((probability, index) => ({ className: classNames[index] ?? String(index), index, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(1, Math.min(k, probabilities.length)));
}
