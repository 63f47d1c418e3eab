/**
 * Checkpoints in the tfjs layers format (model.json + weights.bin, loadable by `tf.loadLayersModel`), plus
 * what an exact resume needs: optimizer state (optimizer.bin, tfjs weight encoding), epoch, step and the
 * random stream's state (state.json).
 *
 * tfjs-node's `file://` handler is not available on the wasm/cpu backends, so this module has its own small
 * save/load handler. A checkpoint is written to a temporary folder and renamed into place, so a process
 * killed while writing leaves the previous checkpoint intact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const CHECKPOINT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  optimizer: 'optimizer.bin',
  state: 'state.json',
} as const;

export interface EpochProgress {
  lossSum: number;
  correct: number;
  seen: number;
  steps: number;
}

export const EMPTY_EPOCH_PROGRESS: EpochProgress = { lossSum: 0, correct: 0, seen: 0, steps: 0 };

/** Everything besides tensors a checkpoint records; `state.json`. */
export interface CheckpointState {
  format: 'vgglab-checkpoint';
  version: 1;
  runId: string;
  /** Epochs fully completed (0-based index of the epoch to run next when `stepInEpoch` is 0). */
  epoch: number;
  /** Training steps completed within `epoch` (0 when the checkpoint was written at an epoch boundary). */
  stepInEpoch: number;
  /** Training steps completed since the start of the run. */
  globalStep: number;
  /** The random stream's state (core's SeededRandom, installed as Math.random by rng.ts). */
  rngState: number[];
  /** Name of the optimizer entry, and its weight names (for a clear error on a mismatch). */
  optimizer: { name: string; weightNames: string[] } | null;
  /** Best value of the monitored metric so far and at which epoch (0-based), for best/early stopping. */
  best: { metric: string; mode: 'max' | 'min'; value: number | null; epoch: number | null; badEpochs: number };
  /** Running sums of the epoch in progress (all zero at an epoch boundary), so a mid-epoch resume reports the
   * same epoch averages as an uninterrupted run. */
  epochProgress: EpochProgress;
  /** Class names in label order, the input and preprocessing the model was trained with, and the resolved
   * spec: a checkpoint describes itself for predict. */
  classNames: string[];
  inputShape: [number, number, number];
  preprocessing: { mean: [number, number, number]; std: [number, number, number] };
  spec: Record<string, unknown>;
  /** Metrics of the epoch this checkpoint closes (empty for a mid-epoch one). */
  metrics: Record<string, number>;
  savedAt: string;
}

function writeAtomically(dir: string, write: (tmp: string) => void): void {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  write(tmp);
  const old = `${dir}.old-${process.pid}`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

/** The tfjs artifacts of a model (topology, weight specs and data) without touching any file. */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts) throw new Error('model.save produced no artifacts');
  return artifacts;
}

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/** Writes model.json + weights.bin (a standard tfjs layers model) into `dir`. */
function writeModelFiles(dir: string, artifacts: tf.io.ModelArtifacts): void {
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${CHECKPOINT_FILES.weights}`], weights: artifacts.weightSpecs ?? [] }],
  };
  fs.writeFileSync(path.join(dir, CHECKPOINT_FILES.model), JSON.stringify(modelJson));
  fs.writeFileSync(path.join(dir, CHECKPOINT_FILES.weights), Buffer.from(joinWeightData(artifacts.weightData)));
}

export interface SaveCheckpointInput {
  dir: string;
  model: tf.LayersModel;
  optimizer: tf.Optimizer | null;
  state: Omit<CheckpointState, 'format' | 'version' | 'savedAt' | 'optimizer'> & { optimizerName: string | null };
}

/** Saves a checkpoint into `dir` (replaced atomically). */
export async function saveCheckpoint({ dir, model, optimizer, state }: SaveCheckpointInput): Promise<void> {
  const artifacts = await modelArtifacts(model);
  let optimizerData: ArrayBuffer | null = null;
  let optimizerSpecs: tf.io.WeightsManifestEntry[] = [];
  if (optimizer) {
    const named = await optimizer.getWeights();
    const encoded = await tf.io.encodeWeights(named);
    // Slots are the optimizer's own variables; other tensors (the iteration count) were made for us.
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
    optimizerData = joinWeightData(encoded.data);
    optimizerSpecs = encoded.specs;
  }
  const { optimizerName, ...rest } = state;
  const full: CheckpointState & { optimizerSpecs: tf.io.WeightsManifestEntry[] } = {
    format: 'vgglab-checkpoint',
    version: 1,
    ...rest,
    optimizer: optimizerName ? { name: optimizerName, weightNames: optimizerSpecs.map((s) => s.name) } : null,
    savedAt: new Date().toISOString(),
    optimizerSpecs,
  };
  // The tensors' bytes are in memory now; the file writes below are synchronous so they cannot interleave
  // with another checkpoint of this process.
  const files: [string, Buffer | string][] = [[CHECKPOINT_FILES.state, JSON.stringify(full, null, 1)]];
  if (optimizerData) files.push([CHECKPOINT_FILES.optimizer, Buffer.from(optimizerData)]);
  writeAtomically(dir, (tmp) => {
    writeModelFiles(tmp, artifacts);
    for (const [name, content] of files) fs.writeFileSync(path.join(tmp, name), content);
  });
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
  /** The weight tensors in the order the model listed them when saved. */
  weights: { name: string; tensor: tf.Tensor }[];
  optimizerWeights: { name: string; tensor: tf.Tensor }[];
  /** The raw model.json, for loading without the plugin that built the model. */
  modelJson: tf.io.ModelJSON;
}

/** Finds the checkpoint folder, including one left as `<dir>.old-<pid>` by a kill during a rename. */
export function locateCheckpoint(dir: string): string | null {
  if (fs.existsSync(path.join(dir, CHECKPOINT_FILES.state))) return dir;
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return null;
  const base = path.basename(dir);
  const leftover = fs
    .readdirSync(parent)
    .filter((f) => f.startsWith(`${base}.old-`))
    .map((f) => path.join(parent, f))
    .find((d) => fs.existsSync(path.join(d, CHECKPOINT_FILES.state)));
  return leftover ?? null;
}

export function readCheckpointState(dir: string): CheckpointState {
  const found = locateCheckpoint(dir);
  if (!found) throw new Error(`no checkpoint in ${dir} (expected ${CHECKPOINT_FILES.state})`);
  const state = JSON.parse(fs.readFileSync(path.join(found, CHECKPOINT_FILES.state), 'utf8')) as CheckpointState;
  if (state.format !== 'vgglab-checkpoint') throw new Error(`${found}/${CHECKPOINT_FILES.state} is not a vgglab checkpoint`);
  return state;
}

/** Reads a checkpoint's tensors. The caller owns (and must dispose) the returned tensors. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const found = locateCheckpoint(dir);
  if (!found) throw new Error(`no checkpoint in ${dir} (expected ${CHECKPOINT_FILES.state})`);
  const raw = JSON.parse(fs.readFileSync(path.join(found, CHECKPOINT_FILES.state), 'utf8')) as CheckpointState & {
    optimizerSpecs: tf.io.WeightsManifestEntry[];
  };
  const modelJson = JSON.parse(fs.readFileSync(path.join(found, CHECKPOINT_FILES.model), 'utf8')) as tf.io.ModelJSON;
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const weightBytes = fs.readFileSync(path.join(found, CHECKPOINT_FILES.weights));
  const weightMap = tf.io.decodeWeights(toArrayBuffer(weightBytes), specs);
  const weights = specs.map((s) => ({ name: s.name, tensor: weightMap[s.name]! }));
  let optimizerWeights: { name: string; tensor: tf.Tensor }[] = [];
  const optPath = path.join(found, CHECKPOINT_FILES.optimizer);
  if (raw.optimizerSpecs?.length && fs.existsSync(optPath)) {
    const map = tf.io.decodeWeights(toArrayBuffer(fs.readFileSync(optPath)), raw.optimizerSpecs);
    optimizerWeights = raw.optimizerSpecs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  }
  const { optimizerSpecs: _ignored, ...state } = raw;
  return { dir: found, state, weights, optimizerWeights, modelJson };
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/**
 * Copies saved weights into a freshly built model, by position (layer names can differ between two builds
 * in one process: tfjs makes them unique), checking every shape.
 */
export function assignWeights(model: tf.LayersModel, weights: { name: string; tensor: tf.Tensor }[], source: string): void {
  const targets = model.weights;
  if (targets.length !== weights.length) {
    throw new Error(
      `checkpoint ${source} holds ${weights.length} weight tensors but the model has ${targets.length}: was it saved from another model?`,
    );
  }
  targets.forEach((t, i) => {
    const w = weights[i]!;
    if (!tf.util.arraysEqual(t.shape as number[], w.tensor.shape)) {
      throw new Error(
        `checkpoint ${source}: weight ${i} '${w.name}' has shape [${w.tensor.shape}] but the model's '${t.name}' is [${t.shape}]`,
      );
    }
  });
  model.setWeights(weights.map((w) => w.tensor));
}

/** Loads a checkpoint's model.json + weights.bin with tfjs alone (standard layers only). */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const found = locateCheckpoint(dir) ?? dir;
  const modelJson = JSON.parse(fs.readFileSync(path.join(found, CHECKPOINT_FILES.model), 'utf8')) as tf.io.ModelJSON;
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const weightData = toArrayBuffer(fs.readFileSync(path.join(found, CHECKPOINT_FILES.weights)));
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData, format: modelJson.format }),
  );
}
