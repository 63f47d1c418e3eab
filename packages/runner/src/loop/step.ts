/**
 * The training and evaluation steps: everything that touches tensors in the loop lives here, each call inside
 * one `tf.tidy`, so the tensor count is the same after every step.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '@vgglab/core';

/** True when the model ends in a softmax (Keras' `predictions` layer does): the loss then takes probabilities. */
export function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const activation = (last?.getConfig() as { activation?: unknown } | undefined)?.activation;
  return activation === 'softmax';
}

/** Mean cross-entropy of integer labels against logits, or against probabilities when `probabilities`. */
export function crossEntropy(output: tf.Tensor2D, labels: tf.Tensor1D, probabilities: boolean): tf.Scalar {
  const numClasses = output.shape[1];
  const oneHot = tf.oneHot(labels, numClasses);
  if (!probabilities) return tf.losses.softmaxCrossEntropy(oneHot, output) as tf.Scalar;
  // -sum(y log p); clipped so a saturated softmax gives a large finite loss rather than Infinity.
  const logP = tf.log(tf.clipByValue(output, 1e-7, 1));
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logP), -1))) as tf.Scalar;
}

/** Softmax probabilities from the model's output. */
export function toProbabilities(output: tf.Tensor2D, probabilities: boolean): tf.Tensor2D {
  return probabilities ? output : tf.softmax(output);
}

function countCorrect(output: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(output, -1), labels), 'int32'));
}

export interface StepResult {
  loss: number;
  correct: number;
}

export function batchTensors(batch: Batch): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return { x: tf.tensor4d(batch.x, batch.shape), y: tf.tensor1d(batch.labels, 'int32') };
}

/** One optimisation step on a batch: forward (training mode: dropout, batch statistics), backward, update. */
export async function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  batch: Batch,
  probabilities: boolean,
): Promise<StepResult> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (vars.length === 0) throw new Error('the model has no trainable weights (is everything frozen?)');
  const { loss, correct } = tf.tidy(() => {
    const { x, y } = batchTensors(batch);
    let correctCount: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const output = model.apply(x, { training: true }) as tf.Tensor2D;
      // kept: it must outlive the gradient tape's own scope; the outer tidy returns it.
      correctCount = tf.keep(countCorrect(output, y));
      return crossEntropy(output, y, probabilities);
    }, vars);
    optimizer.applyGradients(grads);
    return { loss: value, correct: correctCount! };
  });
  // The input tensor was disposed with the tidy: the source may write a later batch into batch.x.
  batch.release?.();
  const [lossValue, correctValue] = await Promise.all([loss.data(), correct.data()]);
  loss.dispose();
  correct.dispose();
  return { loss: lossValue[0]!, correct: correctValue[0]! };
}

export interface EvalBatchResult {
  /** Sum (not mean) of per-sample losses, so batches of different sizes add up. */
  lossSum: number;
  correct: number;
  predicted: Int32Array;
}

/** Inference on a batch: loss, correct count and predicted classes. */
export async function evalStep(model: tf.LayersModel, batch: Batch, probabilities: boolean): Promise<EvalBatchResult> {
  const { loss, correct, predicted } = tf.tidy(() => {
    const { x, y } = batchTensors(batch);
    const output = model.apply(x, { training: false }) as tf.Tensor2D;
    const n = batch.shape[0];
    return {
      loss: tf.mul(crossEntropy(output, y, probabilities), n),
      correct: countCorrect(output, y),
      predicted: tf.cast(tf.argMax(output, -1), 'int32'),
    };
  });
  batch.release?.();
  const [l, c, p] = await Promise.all([loss.data(), correct.data(), predicted.data()]);
  tf.dispose([loss, correct, predicted]);
  return { lossSum: l[0]!, correct: c[0]!, predicted: p as Int32Array };
}

/** Softmax probabilities for a batch of images, [n, classes] as rows. */
export async function predictProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  shape: [number, number, number, number],
  probabilities: boolean,
): Promise<Float32Array[]> {
  const probs = tf.tidy(() => toProbabilities(model.apply(tf.tensor4d(x, shape), { training: false }) as tf.Tensor2D, probabilities));
  const data = (await probs.data()) as Float32Array;
  const classes = probs.shape[1]!;
  probs.dispose();
  return Array.from({ length: shape[0] }, (_, i) => data.slice(i * classes, (i + 1) * classes));
}
