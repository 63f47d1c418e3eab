/**
 * Loading a trained run's model for inference, and predicting image files with the run's own preprocessing
 * (its validation transforms, input size and normalisation, all recorded in the checkpoint).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentSpec, Registry, TransformSpec } from '@vgglab/core';
import { unpackFolder, type RunReader } from '@vgglab/store';
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

/**
 * The checkpoint folder of a run: its best one, else its last one. A checkpoint uploaded to a tracking server is one
 * file in the runs folder (`runsDir`, relative paths resolve against it): it is unpacked once next to it, into a
 * folder named after its sha256.
 */
export function runCheckpoint(store: Pick<RunReader, 'listArtifacts'>, runId: string, runsDir?: string): string {
  for (const kind of [ARTIFACT_BEST, ARTIFACT_LAST]) {
    for (const artifact of store.listArtifacts(runId, kind)) {
      const at = runsDir ? path.resolve(runsDir, artifact.path) : artifact.path;
      if (fs.existsSync(path.join(at, CHECKPOINT_FILES.state))) return at;
      if (artifact.sha256 && fs.existsSync(at) && fs.statSync(at).isFile()) {
        const dir = path.join(path.dirname(at), `${kind}-${artifact.sha256.slice(0, 16)}`);
        if (!fs.existsSync(path.join(dir, CHECKPOINT_FILES.state))) unpackFolder(at, dir);
        return dir;
      }
    }
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

/** An input `predict` could not read, and why (missing, not an image, truncated…). */
export interface UnreadableImage {
  file: string;
  reason: string;
}

/** Images per forward pass in predict. */
const PREDICT_BATCH = 16;

/** The run's input pixels of one file, or why the file cannot give them. */
async function readForPredict(run: RunModel, file: string): Promise<Float32Array | UnreadableImage> {
  if (!fs.existsSync(file)) return { file, reason: 'no such file' };
  try {
    return await run.loadImage(file);
  } catch (err) {
    // A dataset's image errors carry the bare reason (data's BadImageError); anything else says it in its message.
    const reason = (err as { reason?: unknown }).reason;
    return { file, reason: typeof reason === 'string' ? reason : (err as Error).message };
  }
}

/**
 * Predicts every readable file (in input order) and lists the unreadable ones instead of stopping at the
 * first: one bad file among many does not cost the others their predictions.
 */
export async function predictEachFile(
  run: RunModel,
  files: string[],
  topK: number,
): Promise<{ predictions: Prediction[]; unreadable: UnreadableImage[] }> {
  const [h, w, c] = run.inputShape;
  const predictions: Prediction[] = [];
  const unreadable: UnreadableImage[] = [];
  for (let start = 0; start < files.length; start += PREDICT_BATCH) {
    const chunk = files.slice(start, start + PREDICT_BATCH);
    const read = await Promise.all(chunk.map((f) => readForPredict(run, f)));
    const ok: { file: string; pixels: Float32Array }[] = [];
    read.forEach((r, i) => (r instanceof Float32Array ? ok.push({ file: chunk[i]!, pixels: r }) : unreadable.push(r)));
    if (ok.length === 0) continue;
    const x = new Float32Array(ok.length * h * w * c);
    ok.forEach((o, i) => x.set(o.pixels, i * h * w * c));
    const probs = await predictProbabilities(run.model, x, [ok.length, h, w, c], run.probabilities);
    probs.forEach((p, i) => predictions.push({ file: ok[i]!.file, top: topOf(p, run.classNames, topK) }));
  }
  return { predictions, unreadable };
}

/** Predicts the files; the first unreadable one is a CliError `cannot read image <file>: <reason>`. */
export async function predictFiles(run: RunModel, files: string[], topK: number): Promise<Prediction[]> {
  const { predictions, unreadable } = await predictEachFile(run, files, topK);
  if (unreadable[0]) throw new CliError(`cannot read image ${unreadable[0].file}: ${unreadable[0].reason}`);
  return predictions;
}

export function topOf(probabilities: Float32Array, classNames: string[], k: number) {
  return [...probabilities]
    .map((probability, index) => ({ className: classNames[index] ?? String(index), index, probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(1, Math.min(k, probabilities.length)));
}
