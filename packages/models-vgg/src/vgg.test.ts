import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { VGG_CFGS, VGG_NAMES } from './defaults.ts';
import { countVggParams, createVgg, vggFeatureLayers } from './vgg.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torchvision 0.14: sum(p.numel() for p in vggXX().parameters()) (issue 3). */
const TORCHVISION_PARAMS: Record<string, number> = {
  vgg11: 132_863_336,
  vgg13: 133_047_848,
  vgg16: 138_357_544,
  vgg19: 143_667_240,
  vgg11_bn: 132_868_840,
  vgg13_bn: 133_053_736,
  vgg16_bn: 138_365_992,
  vgg19_bn: 143_678_248,
};

const NARROW = { widthMultiplier: 1 / 16, inputShape: [32, 32, 3] as [number, number, number], numClasses: 7, classifierUnits: [16, 16] };

describe('parameter counts', () => {
  for (const name of VGG_NAMES) {
    it(`${name} at the defaults has torchvision's trainable parameter count`, () => {
      const counts = countVggParams(name);
      expect(counts.trainable).toBe(TORCHVISION_PARAMS[name]);
      // BatchNorm's running mean and variance are weights in tfjs but buffers in PyTorch.
      const widths = VGG_CFGS[name.replace(/_bn$/, '') as keyof typeof VGG_CFGS].filter((x) => x !== 'M') as number[];
      const bnStats = name.endsWith('_bn') ? 2 * widths.reduce((a, b) => a + b, 0) : 0;
      expect(counts.total - counts.trainable).toBe(bnStats);
    });

    it(`${name}: the analytic count equals a built narrow model's`, () => {
      const model = createVgg(name, NARROW);
      const analytic = countVggParams(name, NARROW);
      expect(analytic.total).toBe(model.countParams());
      const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
      expect(analytic.trainable).toBe(trainable);
      model.dispose();
    });
  }

  it('counts the non-default heads like the built model (no avgpool, pooling, no top, 1 channel, 100px)', () => {
    const variants = [
      { ...NARROW, avgPoolTo7: false, inputShape: [100, 68, 1] as [number, number, number] },
      { ...NARROW, pooling: 'max' as const, classifierUnits: [] },
      { ...NARROW, includeTop: false },
      { ...NARROW, includeTop: false, pooling: 'avg' as const },
    ];
    for (const v of variants) {
      const model = createVgg('vgg13_bn', v);
      expect(countVggParams('vgg13_bn', v).total).toBe(model.countParams());
      model.dispose();
    }
  });
});

describe('architecture', () => {
  it('names layers like Keras (block1_conv1 … block5_pool, fc1, fc2, predictions)', () => {
    const model = createVgg('vgg16', NARROW);
    const names = model.layers.map((l) => l.name);
    expect(names.filter((n) => /_conv\d$/.test(n))).toEqual([
      'block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2',
      'block3_conv1', 'block3_conv2', 'block3_conv3', 'block4_conv1', 'block4_conv2', 'block4_conv3',
      'block5_conv1', 'block5_conv2', 'block5_conv3',
    ]);
    expect(names.filter((n) => n.endsWith('_pool'))).toEqual(['block1_pool', 'block2_pool', 'block3_pool', 'block4_pool', 'block5_pool']);
    expect(names.slice(-7)).toEqual(['avgpool', 'flatten', 'fc1', 'fc1_dropout', 'fc2', 'fc2_dropout', 'predictions']);
    expect(vggFeatureLayers(model).at(-1)).toBe('block5_pool');
    expect(vggFeatureLayers(model)).not.toContain('fc1');
    model.dispose();
  });

  it('_bn variants put BatchNorm (eps 1e-5, momentum 0.9) and ReLU after each conv', () => {
    const model = createVgg('vgg11_bn', NARROW);
    const names = model.layers.map((l) => l.name);
    expect(names.slice(1, 5)).toEqual(['block1_conv1', 'block1_conv1_bn', 'block1_conv1_relu', 'block1_pool']);
    const bn = model.getLayer('block1_conv1_bn').getConfig();
    expect(bn.epsilon).toBe(1e-5);
    expect(bn.momentum).toBe(0.9);
    model.dispose();
  });

  it('scales conv widths by widthMultiplier and outputs numClasses probabilities', () => {
    const model = createVgg('vgg11', { ...NARROW, numClasses: 4 });
    expect((model.getLayer('block1_conv1').getConfig() as { filters: number }).filters).toBe(4);
    expect((model.getLayer('block5_conv2').getConfig() as { filters: number }).filters).toBe(32);
    const y = model.predict(tf.ones([2, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([2, 4]);
    const sums = Array.from(y.sum(1).dataSync());
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    tf.dispose(y);
    model.dispose();
  });

  it('works for any input size from 32 up, with and without the 7x7 average pool', () => {
    for (const inputShape of [[32, 32, 3], [45, 77, 3], [64, 64, 1]] as [number, number, number][]) {
      for (const avgPoolTo7 of [true, false]) {
        const model = createVgg('vgg11', { ...NARROW, inputShape, avgPoolTo7, dropout: 0 });
        const y = model.predict(tf.randomUniform([1, ...inputShape])) as tf.Tensor;
        expect(y.shape).toEqual([1, 7]);
        expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
        tf.dispose(y);
        model.dispose();
      }
    }
  });

  it('without the top gives block5_pool features, or globally pooled ones', () => {
    const plain = createVgg('vgg11', { ...NARROW, inputShape: [64, 64, 3], includeTop: false });
    expect(plain.outputs[0]!.shape).toEqual([null, 2, 2, 32]);
    const pooled = createVgg('vgg11', { ...NARROW, inputShape: [64, 64, 3], includeTop: false, pooling: 'avg' });
    expect(pooled.outputs[0]!.shape).toEqual([null, 32]);
    expect(pooled.layers.at(-1)!.name).toBe('avg_pool');
    plain.dispose();
    pooled.dispose();
  });

  it('initialises like torchvision: kaiming normal fan_out convs, N(0, 0.01) linears, zero biases', () => {
    const model = createVgg('vgg11', { widthMultiplier: 1 / 4, inputShape: [32, 32, 3], numClasses: 10, classifierUnits: [256, 256], seed: 3 });
    const stats = (name: string, i: number) => {
      const v = model.getLayer(name).getWeights()[i]!;
      const { mean, variance } = tf.moments(v);
      const out = { mean: mean.dataSync()[0]!, std: Math.sqrt(variance.dataSync()[0]!), max: v.abs().max().dataSync()[0]! };
      tf.dispose([mean, variance]);
      return out;
    };
    const conv = stats('block5_conv2', 0); // 3x3x128x128: fan_out 9*128
    expect(conv.std).toBeCloseTo(Math.sqrt(2 / (9 * 128)), 3);
    expect(Math.abs(conv.mean)).toBeLessThan(1e-3);
    // Untruncated: a normal sample of 147k values reaches beyond 2 standard deviations (truncated would not).
    expect(conv.max).toBeGreaterThan(2.5 * Math.sqrt(2 / (9 * 128)));
    expect(stats('fc1', 0).std).toBeCloseTo(0.01, 3);
    expect(stats('block1_conv1', 1).max).toBe(0);
    expect(stats('fc1', 1).max).toBe(0);
    model.dispose();
  });

  it('saves and reloads with tfjs (custom layers registered), frozen BatchNorm included, same outputs', async () => {
    const model = createVgg('vgg11_bn', { ...NARROW, inputShape: [40, 40, 3], seed: 5 });
    model.getLayer('block1_conv1_bn').trainable = false;
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const again = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(again.getLayer('avgpool').getClassName()).toBe('AdaptiveAveragePooling2D');
    expect(again.getLayer('block1_conv1_bn').getClassName()).toBe('FreezableBatchNormalization');
    expect(again.getLayer('block1_conv1_bn').trainable).toBe(false);
    const x = tf.randomUniform([2, 40, 40, 3], 0, 1, 'float32', 2);
    const [a, b] = [model, again].map((m) => Array.from((m.predict(x) as tf.Tensor).dataSync()));
    expect(b).toEqual(a);
    model.dispose();
    again.dispose();
  });

  it('the same seed gives the same weights; equal-shaped layers still differ', () => {
    const a = createVgg('vgg11', { ...NARROW, seed: 7 });
    const b = createVgg('vgg11', { ...NARROW, seed: 7 });
    const c = createVgg('vgg11', { ...NARROW, seed: 8 });
    const w = (m: tf.LayersModel, n: string) => Array.from(m.getLayer(n).getWeights()[0]!.dataSync());
    expect(w(a, 'block4_conv2')).toEqual(w(b, 'block4_conv2'));
    expect(w(a, 'block4_conv2')).not.toEqual(w(c, 'block4_conv2'));
    expect(w(a, 'block4_conv2')).not.toEqual(w(a, 'block5_conv1'));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('options are checked before building, errors repeat what was received', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['vgg16', { numClasses: 0 }, /^vgg16: numClasses must be a positive integer, received 0$/],
    ['vgg16', { numClasses: 2.5 }, /numClasses must be a positive integer, received 2.5/],
    ['vgg16', { inputShape: [16, 16, 3] }, /inputShape height and width must be at least 32 \(five 2x2 max-pools\), received \[16,16,3\]/],
    ['vgg16', { inputShape: [64, 64] }, /inputShape must be \[height, width, channels\] of positive integers, received \[64,64\]/],
    ['vgg16', { widthMultiplier: 0 }, /widthMultiplier must be a number > 0, received 0/],
    ['vgg16', { classifierUnits: [4096, -1] }, /classifierUnits must be an array of positive integers, received \[4096,-1\]/],
    ['vgg16', { dropout: 1 }, /dropout must be a number in \[0, 1\), received 1/],
    ['vgg16', { pooling: 'mean' }, /pooling must be 'avg', 'max' or absent, received "mean"/],
    ['vgg16', { pooling: 'avg', avgPoolTo7: true }, /avgPoolTo7 true and pooling "avg" exclude each other/],
    ['vgg16', { widthMultipler: 0.5 }, /unknown option 'widthMultipler'; did you mean 'widthMultiplier'\?/],
    ['vgg16_bn', { batchNorm: false }, /batchNorm false contradicts 'vgg16_bn'; use 'vgg16' instead/],
    ['vgg16', { classifierActivation: 'sigmoid' }, /classifierActivation must be 'softmax' or 'linear', received "sigmoid"/],
  ];
  for (const [name, options, message] of cases) {
    it(`${name} ${JSON.stringify(options)}`, () => {
      expect(() => createVgg(name, options)).toThrow(message);
      expect(() => countVggParams(name, options)).toThrow(message);
    });
  }

  it('lists every invalid option in one error', () => {
    expect(() => createVgg('vgg11', { numClasses: -1, dropout: 2 })).toThrow(/vgg11: 2 invalid options:\n {2}- numClasses .* received -1\n {2}- dropout .* received 2/);
  });

  it('an unknown variant suggests the closest name', () => {
    expect(() => createVgg('vgg16bn', {})).toThrow(/unknown VGG variant "vgg16bn"; did you mean 'vgg16_bn'/);
    expect(() => createVgg('resnet50', {})).toThrow(/unknown VGG variant "resnet50"; known: vgg11, vgg11_bn, /);
  });
});
