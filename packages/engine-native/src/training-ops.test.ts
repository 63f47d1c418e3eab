import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { describeNative, expectMatchesCpu, rand, startNative } from './testing/native.ts';

describeNative('conv and dense layers with a bias and ReLU train as one primitive', () => {
  beforeAll(async () => {
    await startNative();
  });

  for (const [strides, pad] of [[1, 'same'], [2, 'valid'], [2, 'same']] as const) {
    it(`fused conv2d + bias + relu under tf.grads (stride ${strides}, ${pad}): values and gradients as tfjs computes them unfused on cpu`, async () => {
      await expectMatchesCpu(() => {
        const x = rand([3, 9, 9, 5], 81);
        const filter = rand([3, 3, 5, 7], 82);
        const bias = rand([7], 83);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: c, strides, pad, activation: 'relu' });
        const dy = rand(f(x, filter, bias).shape, 84);
        const { value, grads } = tf.valueAndGrads((a, b, c) => f(a!, b!, c!).mul(dy).sum())([x, filter, bias]);
        return { value, dx: grads[0]!, dFilter: grads[1]!, dBias: grads[2]! };
      });
    });
  }

  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    it(`fused matMul + bias + relu under tf.grads (${ta ? 'aᵀ' : 'a'}·${tb ? 'bᵀ' : 'b'})`, async () => {
      await expectMatchesCpu(() => {
        const a = rand(ta ? [13, 6] : [6, 13], 85);
        const b = rand(tb ? [9, 13] : [13, 9], 86);
        const bias = rand([9], 87);
        const dy = rand([6, 9], 88);
        const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: r, activation: 'relu' });
        const { value, grads } = tf.valueAndGrads((p, q, r) => f(p!, q!, r!).mul(dy).sum())([a, b, bias]);
        return { value, da: grads[0]!, db: grads[1]!, dBias: grads[2]! };
      });
    });
  }

  it('a relu conv layer runs FusedConv2D, not Conv2D + Add + Relu, when its gradient is recorded', async () => {
    await tf.setBackend('native');
    const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' });
    const x = rand([2, 6, 6, 3], 89);
    tf.dispose(layer.apply(x) as tf.Tensor); // builds the layer (its variables)
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => (layer.apply(x) as tf.Tensor).sum() as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    });
    expect(profile.kernelNames).toContain('FusedConv2D');
    expect(profile.kernelNames).not.toContain('Conv2D');
    expect(profile.kernelNames).not.toContain('Relu');
    tf.dispose(x);
    layer.dispose();
  });

  it("a batch-norm layer in training takes its statistics from one kernel and differentiates them in one", async () => {
    await tf.setBackend('native');
    const layer = tf.layers.batchNormalization();
    const x = tf.variable(rand([4, 8, 8, 16], 90)); // trainable: the gradient must flow through the statistics
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => (layer.apply(x, { training: true }) as tf.Tensor).square().sum() as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    });
    expect(profile.kernelNames).toEqual(expect.arrayContaining(['VgglabMoments', 'VgglabMomentsGrad', 'FusedBatchNorm', 'VgglabFusedBatchNormGrad']));
    expect(profile.kernelNames).not.toContain('SquaredDifference');
    expect(profile.kernelNames).not.toContain('Mean');
    tf.dispose(x);
    layer.dispose();
  });
});
