/**
 * Two layers tfjs lacks for torchvision parity, registered for (de)serialisation so saved models reload:
 * - AdaptiveAveragePooling2D: PyTorch's AdaptiveAvgPool2d (channels-last), any input size.
 * - FreezableBatchNormalization: BatchNormalization that runs in inference mode while `trainable` is false
 *   (Keras 2 semantics; tfjs' own layer keeps updating its moving statistics when frozen).
 */
import * as tf from '@tensorflow/tfjs';

export interface AdaptiveAveragePooling2DArgs {
  /** [height, width] of the output. */
  outputSize: [number, number];
  name?: string;
}

/**
 * Row i of the result averages input rows [floor(i*in/out), ceil((i+1)*in/out)), exactly as PyTorch's
 * adaptive pooling; when in < out, windows overlap and values repeat.
 */
export function adaptivePoolMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let h = start; h < end; h++) m[i * inSize + h] = 1 / (end - start);
  }
  return m;
}

export class AdaptiveAveragePooling2D extends tf.layers.Layer {
  static className = 'AdaptiveAveragePooling2D';
  readonly outputSize: [number, number];

  constructor(args: AdaptiveAveragePooling2DArgs) {
    super({ name: args.name });
    const [oh, ow] = args.outputSize ?? [];
    if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh! < 1 || ow! < 1) {
      throw new Error(`AdaptiveAveragePooling2D: outputSize must be [height, width] of positive integers, received ${JSON.stringify(args.outputSize)}`);
    }
    this.outputSize = [oh!, ow!];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0] ?? null, this.outputSize[0], this.outputSize[1], s[3] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [n, h, w, c] = x.shape;
      const [oh, ow] = this.outputSize;
      if (h === oh && w === ow) return x.clone();
      // Exact multiples are a plain average pool, which every backend runs fast.
      if (h % oh === 0 && w % ow === 0) return tf.avgPool(x, [h / oh, w / ow], [h / oh, w / ow], 'valid');
      // Otherwise one matMul with the (separable) pooling matrix kron(P, Q): [oh*ow, h*w] x [h*w, n*c].
      const p = adaptivePoolMatrix(h, oh);
      const q = adaptivePoolMatrix(w, ow);
      const k = new Float32Array(oh * ow * h * w);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let a = 0; a < h; a++) {
            const pa = p[i * h + a]!;
            if (pa === 0) continue;
            for (let b = 0; b < w; b++) k[(i * ow + j) * h * w + a * w + b] = pa * q[j * w + b]!;
          }
      const cols = x.reshape([n, h * w, c]).transpose([1, 0, 2]).reshape([h * w, n * c]);
      const pooled = tf.matMul(tf.tensor2d(k, [oh * ow, h * w]), cols);
      return pooled.reshape([oh * ow, n, c]).transpose([1, 0, 2]).reshape([n, oh, ow, c]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outputSize: [...this.outputSize] };
  }
}
tf.serialization.registerClass(AdaptiveAveragePooling2D);

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
// tfjs does not export the BatchNormalization class itself; its factory's instance gives the constructor.
const BatchNormalizationBase = tf.layers.batchNormalization({}).constructor as new (args?: BatchNormArgs) => tf.layers.Layer;

export class FreezableBatchNormalization extends BatchNormalizationBase {
  static className = 'FreezableBatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return super.call(inputs, this.trainable ? kwargs : { ...kwargs, training: false });
  }
}
tf.serialization.registerClass(FreezableBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
