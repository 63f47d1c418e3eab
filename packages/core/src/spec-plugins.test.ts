import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Plugin } from './plugin.ts';
import { createRegistry } from './registry.ts';
import { experimentJsonSchema, resolveExperiment, validatePluginOptions } from './spec-plugins.ts';
import { expandSweep } from './spec-sweep.ts';
import { loadSpec, parseSpec, specHash } from './spec.ts';
import { GOOD, lines, write } from './testing/specs.ts';

describe('validatePluginOptions', () => {
  const plugin: Plugin = {
    name: 'test-plugin',
    models: {
      tiny: {
        defaults: { inputShape: [32, 32, 3], numClasses: 10, preprocessing: { mean: [0, 0, 0], std: [1, 1, 1] } },
        optionsSchema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            width: { type: 'integer', minimum: 1, default: 8 },
            dropout: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
          },
        },
        build: () => {
          throw new Error('not built here');
        },
      },
    },
    datasets: {
      shapes: {
        optionsSchema: {
          type: 'object',
          additionalProperties: false,
          required: ['count'],
          properties: { count: { type: 'integer', minimum: 1 } },
        },
        open: () => Promise.reject(new Error('not opened here')),
      },
      folder: { open: () => Promise.reject(new Error('not opened here')) },
    },
    optimizers: {
      adam: {
        optionsSchema: { type: 'object', additionalProperties: false, properties: { beta1: { type: 'number', default: 0.9 } } },
        create: () => {
          throw new Error('not created here');
        },
      },
    },
    schedules: {
      cosine: {
        optionsSchema: { type: 'object', additionalProperties: false, properties: { minLr: { type: 'number', minimum: 0, default: 0 } } },
        create: () => () => 0,
      },
    },
  };
  const registry = createRegistry([plugin]);
  const SPEC = `name: plugins
model:
  name: tiny
  options:
    width: 4
data:
  name: shapes
  options: { count: 100 }
optimizer:
  name: adam
  lr: 0.001
  schedule: { name: cosine }
train: { epochs: 1 }
`;

  it("fills each entry's option defaults and recomputes the hash", () => {
    const loaded = parseSpec(SPEC, 'p.yaml');
    const checked = validatePluginOptions(loaded, registry);
    expect(checked.spec.model.options).toEqual({ width: 4, dropout: 0.5 });
    expect(checked.spec.data.options).toEqual({ count: 100 });
    expect(checked.spec.optimizer.options).toEqual({ beta1: 0.9 });
    expect(checked.spec.optimizer.schedule!.options).toEqual({ minLr: 0 });
    expect(checked.hash).toBe(specHash(checked.spec));
    expect(checked.hash).not.toBe(loaded.hash);
    expect(loaded.spec.model.options).toEqual({ width: 4 }); // the input is left as it was
    // Writing the defaults out gives the same resolved spec and hash.
    const explicit = parseSpec(SPEC.replace('width: 4', 'width: 4\n    dropout: 0.5'), 'q.yaml');
    expect(validatePluginOptions(explicit, registry).hash).toBe(validatePluginOptions(loaded, registry).hash);
  });

  it('reports unknown plugin names with the registry\'s did-you-mean, at the name', () => {
    const file = write(SPEC.replace('name: tiny', 'name: tiny2').replace('name: adam', 'name: adma').replace('{ name: cosine }', '{ name: cosin }'));
    const loaded = loadSpec(file);
    expect(lines(() => validatePluginOptions(loaded, registry))).toEqual([
      `${file}:3:9 model.name must name a registered model, received "tiny2"; did you mean 'tiny'?`,
      `${file}:10:9 optimizer.name must name a registered optimizer, received "adma"; did you mean 'adam'?`,
      `${file}:12:21 optimizer.schedule.name must name a registered schedule, received "cosin"; did you mean 'cosine'?`,
    ]);
  });

  it('reports bad options with file:line:column, unknown ones with a did-you-mean, missing ones at the parent', () => {
    const file = write(
      SPEC.replace('width: 4', 'widht: 4\n    dropout: 2').replace('{ count: 100 }', '{ }').replace('{ name: cosine }', '{ name: cosine, options: { minLr: -1 } }'),
    );
    const loaded = loadSpec(file);
    expect(lines(() => validatePluginOptions(loaded, registry))).toEqual([
      `${file}:5:5 model.options.widht is not a known field; did you mean 'width'?`,
      `${file}:6:14 model.options.dropout must be <= 1, received 2`,
      `${file}:9:3 data.options.count is required (an integer >= 1)`,
      `${file}:13:47 optimizer.schedule.options.minLr must be >= 0, received -1`,
    ]);
  });

  it('leaves options unchecked for an entry without a schema, and points at the override or sweep value that set them', () => {
    const folder = validatePluginOptions(parseSpec(SPEC.replace('name: shapes', 'name: folder').replace('{ count: 100 }', '{ anything: 1 }'), 'x.yaml'), registry);
    expect(folder.spec.data.options).toEqual({ anything: 1 });

    const fromOverride = parseSpec(SPEC, 'x.yaml', { overrides: ['model.options.width=0'] });
    expect(lines(() => validatePluginOptions(fromOverride, registry))).toEqual([
      'override -o model.options.width=0: model.options.width must be >= 1, received 0',
    ]);

    const file = write(`${SPEC}sweep:\n  model.options.dropout: [0.1, 1.5]\n`);
    const points = expandSweep(loadSpec(file));
    expect(validatePluginOptions(points[0]!, registry).spec.model.options).toEqual({ width: 4, dropout: 0.1 });
    expect(validatePluginOptions(points[0]!, registry).label).toBe('dropout=0.1');
    expect(lines(() => validatePluginOptions(points[1]!, registry))).toEqual([
      `${file}:15:32 sweep model.options.dropout=1.5: model.options.dropout must be <= 1, received 1.5`,
    ]);
  });

  it('resolveExperiment expands the sweep and checks every point, reporting the problems of all points at once', () => {
    const good = resolveExperiment(parseSpec(`${SPEC}sweep:\n  model.options.width: [2, 4]\n`, 'x.yaml'), registry);
    expect(good.map((p) => p.spec.model.options)).toEqual([
      { width: 2, dropout: 0.5 },
      { width: 4, dropout: 0.5 },
    ]);
    expect(good.map((p) => p.label)).toEqual(['width=2', 'width=4']);
    expect(good[0]!.hash).toBe(specHash(good[0]!.spec));

    const file = write(`${SPEC}sweep:\n  model.name: [tiny, huge]\n  model.options.width: [0, 4]\n`);
    expect(lines(() => resolveExperiment(loadSpec(file), registry))).toEqual([
      `${file}:15:22 sweep model.name=huge: model.name must name a registered model, received "huge"; registered models: tiny`,
      `${file}:16:25 sweep model.options.width=0: model.options.width must be >= 1, received 0`,
    ]);
  });

  it('gives editors a JSON Schema with the registered names and each entry\'s options', () => {
    const schema = experimentJsonSchema(registry);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const data = (text: string) => parseYaml(text, { merge: true });
    expect(validate(data(`x-common: &c { width: 4 }\n${SPEC.replace('    width: 4', '    <<: *c')}`))).toBe(true);
    expect(validate(data(SPEC.replace('width: 4', 'width: 0')))).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toContain('/model/options/width');
    expect(validate(data(SPEC.replace('name: tiny', 'name: huge')))).toBe(false);
    expect(JSON.stringify(experimentJsonSchema())).not.toContain('patternHint');
  });

  it('names the plugin whose optionsSchema is invalid', () => {
    const broken = createRegistry([
      {
        name: 'broken-plugin',
        models: {
          tiny: { ...plugin.models!.tiny!, optionsSchema: { type: 'object', properties: { width: { type: 'int' } } } },
        },
      },
      { name: 'rest', datasets: plugin.datasets, optimizers: plugin.optimizers, schedules: plugin.schedules },
    ]);
    const got = lines(() => validatePluginOptions(parseSpec(SPEC, 'x.yaml'), broken));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^x\.yaml:3:9 model\.name names model 'tiny' of plugin 'broken-plugin', whose optionsSchema is invalid: /);
  });
});
