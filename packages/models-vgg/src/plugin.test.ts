import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Ajv } from 'ajv';
import { createRegistry, Registry } from '@vgglab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { VGG_OPTION_DEFAULTS } from './defaults.ts';
import { vggPlugin } from './plugin.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('vggPlugin', () => {
  it("registers the eight variants under 'models-vgg', listed sorted and by glob", () => {
    const registry = createRegistry([vggPlugin()]);
    expect(registry.listPlugins()).toEqual(['models-vgg']);
    expect(registry.listModels()).toEqual(['vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn']);
    expect(registry.listModels('vgg1[69]')).toEqual(['vgg16', 'vgg19']);
    expect(registry.list('models', 'vgg19_bn')[0]!.plugin).toBe('models-vgg');
  });

  it('a second registration is an error naming the plugin', () => {
    const registry = new Registry().register(vggPlugin());
    expect(() => registry.register(vggPlugin())).toThrow(/plugin 'models-vgg' is already registered/);
    expect(() => registry.register({ ...vggPlugin(), name: 'other' })).toThrow(/model 'vgg11' from plugin 'other' is already registered by plugin 'models-vgg'/);
  });

  it('entries carry defaults (224x224x3, 1000 classes, ImageNet mean/std) and count parameters without building', () => {
    const entry = createRegistry([vggPlugin()]).model('vgg19');
    expect(entry.defaults).toEqual({
      inputShape: [224, 224, 3],
      numClasses: 1000,
      preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    });
    const before = tf.memory().numTensors;
    expect(entry.countParams!(entry.defaults)).toEqual({ total: 143_667_240, trainable: 143_667_240 });
    expect(entry.countParams!({ numClasses: 5, inputShape: [224, 224, 3] }, { widthMultiplier: 0.25, classifierUnits: [256] }).trainable).toBe(
      // convs of cfg E at 1/4 width + 7*7*128 -> 256 -> 5
      [16, 16, 32, 32, 64, 64, 64, 64, 128, 128, 128, 128, 128, 128, 128, 128].reduce(
        (sum, c, i, a) => sum + 9 * (i === 0 ? 3 : a[i - 1]!) * c + c,
        0,
      ) + (49 * 128 * 256 + 256) + (256 * 5 + 5),
    );
    expect(tf.memory().numTensors).toBe(before); // nothing was built
  });

  it('build takes the base options (numClasses, inputShape, seed) over model.options', () => {
    const entry = vggPlugin().models.vgg11_bn!;
    const model = entry.build({ numClasses: 3, inputShape: [40, 40, 1], seed: 2 }, { widthMultiplier: 1 / 16, classifierUnits: [8] });
    expect(model.inputs[0]!.shape).toEqual([null, 40, 40, 1]);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    expect(entry.featureLayers!(model)).toContain('block5_conv2_bn');
    model.dispose();
  });

  it('loadWeights through the entry reports what it loaded', async () => {
    const entry = vggPlugin().models.vgg11!;
    const model = entry.build({ numClasses: 5, inputShape: [64, 64, 3] }, { widthMultiplier: 1 / 32, classifierUnits: [8, 8] });
    const report = await entry.loadWeights!(model, join(new URL('../fixtures/', import.meta.url).pathname, 'vgg11_w32_64px.pth'), { strict: true });
    expect(report.loaded).toHaveLength(11);
    model.dispose();
  });

  it('optionsSchema is valid JSON Schema: it fills documented defaults, rejects unknown fields and bad values', () => {
    const schema = vggPlugin().models.vgg16!.optionsSchema!;
    const ajv = new Ajv({ useDefaults: true, allErrors: true });
    const validate = ajv.compile(schema);
    const options: Record<string, unknown> = { widthMultiplier: 0.5 };
    expect(validate(options)).toBe(true);
    expect(options).toEqual({
      widthMultiplier: 0.5,
      classifierUnits: [...VGG_OPTION_DEFAULTS.classifierUnits],
      dropout: 0.5,
      includeTop: true,
      classifierActivation: 'softmax',
    });
    // A pooled head (as the capacity advice suggests) resolves with the schema's defaults filled in.
    const pooled: Record<string, unknown> = { pooling: 'avg', classifierUnits: [32] };
    expect(validate(pooled)).toBe(true);
    const model = vggPlugin().models.vgg11!.build({ numClasses: 3, inputShape: [32, 32, 3] }, { ...pooled, widthMultiplier: 1 / 16 });
    expect(model.layers.map((l) => l.name)).toContain('avg_pool');
    expect(model.layers.map((l) => l.name)).not.toContain('avgpool');
    model.dispose();
    expect(validate({ widthMultipler: 0.5 })).toBe(false);
    expect(validate({ dropout: 1 })).toBe(false);
    expect(validate({ pooling: 'mean' })).toBe(false);
    for (const [key, property] of Object.entries(schema.properties as Record<string, { description?: string }>)) {
      expect(property.description, key).toBeTruthy();
    }
  });
});
