import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plugin } from './plugin.ts';
import { createRegistry } from './registry.ts';
import { SpecError } from './spec-issues.ts';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { experimentJsonSchema, resolveExperiment, validatePluginOptions } from './spec-plugins.ts';
import { expandSweep } from './spec-sweep.ts';
import { canonicalJson, loadSpec, parseSpec, specHash } from './spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'vgglab-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Writes `text` to a fresh file in the temp dir and returns its path. */
function write(text: string): string {
  const file = join(dir, `spec-${++counter}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** The SpecError thrown by `fn`, with its lines. */
function specError(fn: () => unknown): { lines: string[]; error: SpecError } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return { lines: e.message.split('\n'), error: e };
  }
  throw new Error('expected a SpecError');
}
const lines = (fn: () => unknown) => specError(fn).lines;

const GOOD = `# a small valid spec
name: smoke-test
model:
  name: vgg11
data:
  name: shapes
optimizer:
  name: adam
  lr: 0.001
train:
  epochs: 2
`;

describe('loadSpec: a valid spec', () => {
  it('returns the text as written, the spec with defaults filled in, and its hash', () => {
    const file = write(GOOD);
    const loaded = loadSpec(file);
    expect(loaded.file).toBe(file);
    expect(loaded.text).toBe(GOOD);
    expect(loaded.overrides).toEqual([]);
    expect(loaded.spec).toEqual({
      name: 'smoke-test',
      seed: 0,
      tags: {},
      engine: { backend: 'auto' },
      model: { name: 'vgg11', strictWeights: false, freeze: 'none' },
      data: { name: 'shapes', batchSize: 32, transforms: {}, cache: 'none', prefetch: 2, strict: false },
      optimizer: { name: 'adam', lr: 0.001 },
      train: { epochs: 2, monitor: 'val/accuracy', mode: 'max', logEverySteps: 10 },
      store: {},
    });
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.hash).toBe(specHash(loaded.spec));
  });

  it('fills nested defaults of optional sections when they are present', () => {
    const loaded = parseSpec(`${GOOD}  earlyStopping: { patience: 3 }\n`, 'x.yaml');
    expect(loaded.spec.train.earlyStopping).toEqual({ patience: 3, minDelta: 0 });
    const withSchedule = parseSpec(GOOD.replace('  lr: 0.001\n', '  lr: 0.001\n  schedule: { name: cosine }\n'), 'x.yaml');
    expect(withSchedule.spec.optimizer.schedule).toEqual({ name: 'cosine', warmupSteps: 0 });
  });
});

describe('YAML reuse', () => {
  it('resolves anchors and merge keys; top-level x- fields hold them and are dropped', () => {
    const loaded = parseSpec(
      `x-optim: &optim { name: sgd, lr: 0.1 }
name: reuse
model: { name: vgg11 }
data: { name: shapes }
optimizer:
  <<: *optim
  lr: 0.05
train: { epochs: 1 }
`,
      'reuse.yaml',
    );
    expect(loaded.spec.optimizer).toEqual({ name: 'sgd', lr: 0.05 });
    expect('x-optim' in loaded.spec).toBe(false);
    expect(loaded.baseDir).toBe(process.cwd());
  });

  it('gives the folder of the spec file as baseDir', () => {
    const file = write(GOOD);
    expect(loadSpec(file).baseDir).toBe(dir);
  });
});

describe('specHash', () => {
  it('does not depend on key order, YAML style, comments, or on writing a default out', () => {
    const reordered = `train: {epochs: 2}
optimizer: {lr: 1.0e-3, name: adam}   # flow style, another number spelling
data: {name: shapes, batchSize: 32}
model: {name: vgg11}
name: "smoke-test"
seed: 0
`;
    expect(parseSpec(reordered, 'b.yaml').hash).toBe(parseSpec(GOOD, 'a.yaml').hash);
  });

  it('changes when any resolved value changes, and ignores the sweep block, labels and the store', () => {
    const base = parseSpec(GOOD, 'a.yaml').hash;
    expect(parseSpec(GOOD.replace('lr: 0.001', 'lr: 0.002'), 'a.yaml').hash).not.toBe(base);
    expect(parseSpec(`${GOOD}seed: 1\n`, 'a.yaml').hash).not.toBe(base);
    expect(parseSpec(`${GOOD}engine: {backend: cpu}\n`, 'a.yaml').hash).not.toBe(base);
    expect(parseSpec(`${GOOD}sweep:\n  optimizer.lr: [0.1, 0.01]\n`, 'a.yaml').hash).toBe(base);
    expect(parseSpec(`${GOOD}description: relabelled\ntags: {team: vision}\n`, 'a.yaml').hash).toBe(base);
    expect(parseSpec(`${GOOD}store: {db: other/runs.db}\n`, 'a.yaml').hash).toBe(base);
  });

  it('is the sha256 of canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    // sha256('{"a":1}')
    expect(specHash({ a: 1 } as never)).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
    expect(specHash({ a: 1, sweep: { x: [1] } } as never)).toBe(specHash({ a: 1 } as never));
  });
});

describe('bad specs: every error names file:line:column, the field and what was expected and received', () => {
  it('reports a value out of range at the value', () => {
    const file = write(GOOD.replace('lr: 0.001', 'lr: -1'));
    expect(lines(() => loadSpec(file))).toEqual([`${file}:9:7 optimizer.lr must be > 0, received -1`]);
  });

  it('reports unknown fields with a did-you-mean, or the known fields when nothing is close', () => {
    const file = write(`${GOOD.replace('  name: vgg11\n', '  name: vgg11\n  inputShap: [64, 64, 3]\n  colour: red\n')}trian: {}\n`);
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:5:3 model.inputShap is not a known field; did you mean 'inputShape'?`,
      `${file}:6:3 model.colour is not a known field; known fields: name, inputShape, options, pretrained, strictWeights, freeze`,
      `${file}:14:1 trian is not a known field; did you mean 'train'?`,
    ]);
  });

  it('points a field written at the wrong level to where it belongs', () => {
    const file = write(GOOD.replace('epochs: 2', 'epochs: 2\n  batchSize: 8').replace('  lr: 0.001\n', '  lr: 0.001\n  warmupSteps: 3\n'));
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:10:3 optimizer.warmupSteps is not a known field; did you mean 'optimizer.schedule.warmupSteps'?`,
      `${file}:13:3 train.batchSize is not a known field; did you mean 'data.batchSize'?`,
    ]);
  });

  it('reports wrong types with what was received', () => {
    const file = write(
      GOOD.replace('lr: 0.001', 'lr: fast').replace('epochs: 2', 'epochs: 2.5').replace('model:\n  name: vgg11', 'model: vgg11'),
    );
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:3:8 model must be a mapping, received "vgg11"`,
      `${file}:8:7 optimizer.lr must be a number, received "fast"`,
      `${file}:10:11 train.epochs must be an integer, received 2.5`,
    ]);
  });

  it('reports a missing required field at its parent object, and at 1:1 for the top level', () => {
    const file = write(GOOD.replace('  lr: 0.001\n', '').replace('name: smoke-test\n', ''));
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:1:1 name is required (a string)`,
      `${file}:6:1 optimizer.lr is required (a number > 0)`,
    ]);
  });

  it('reports booleans written the YAML 1.1 way, tag values, and bounds of the engine and data sections', () => {
    const file = write(`${GOOD.replace('  name: shapes\n', '  name: shapes\n  strict: yes\n  prefetch: 100\n')}tags: { owner: ann, priority: 1 }\nengine: { threads: 0 }\n`);
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:7:11 data.strict must be a boolean (true or false), received "yes" (write true or false)`,
      `${file}:8:13 data.prefetch must be <= 64, received 100`,
      `${file}:14:31 tags.priority must be a string, received 1`,
      `${file}:15:20 engine.threads must be >= 1, received 0`,
    ]);
  });

  it('lists the allowed values of an enum, with a did-you-mean', () => {
    const file = write(`${GOOD}engine:\n  backend: wsam\ntrain2: 1\n`.replace('train2: 1\n', ''));
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:13:12 engine.backend must be one of 'auto', 'tensorflow', 'native', 'wasm', 'cpu', received "wsam"; did you mean 'wasm'?`,
    ]);
  });

  it('takes plugins as a list of distinct, non-empty module names', () => {
    const file = write(`name: plugins
plugins: [./a.ts, "", ./a.ts]
model: { name: vgg11 }
data: { name: shapes }
optimizer: { name: adam, lr: 0.1 }
train: { epochs: 1 }
`);
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:2:10 plugins must not repeat items; items 2 and 0 are equal`,
      `${file}:2:19 plugins[1] must not be empty`,
    ]);
    const ok = write(`name: plugins
plugins: [./a.ts, some-package]
model: { name: vgg11 }
data: { name: shapes }
optimizer: { name: adam, lr: 0.1 }
train: { epochs: 1 }
`);
    expect(loadSpec(ok).spec.plugins).toEqual(['./a.ts', 'some-package']);
  });

  it('reports list lengths, patterns, empty strings, and the shape of transforms', () => {
    const file = write(`name: my experiment
model:
  name: ""
  inputShape: [64, 64]
data:
  name: shapes
  transforms:
    train:
      - resize: 64
      - { randomHorizontalFlip: null, normalize: {} }
optimizer: { name: adam, lr: 0.1 }
train: { epochs: 1 }
`);
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:1:7 name must be made of letters, digits, '.', '_' and '-', starting with a letter or digit, received "my experiment"`,
      `${file}:3:9 model.name must not be empty`,
      `${file}:4:15 model.inputShape must have exactly 3 items, received 2`,
      `${file}:9:17 data.transforms.train[0].resize must be a mapping or null, received 64`,
      `${file}:10:9 data.transforms.train[1] must have exactly 1 key, received 2: randomHorizontalFlip, normalize`,
    ]);
  });

  it('reports every problem, one per line, in file order, and lists them structurally in .issues', () => {
    const file = write(`name: x
model: { name: vgg11 }
data: { name: shapes, batchSize: 0 }
optimizer: { name: adam, lr: 0 }
train: { epochs: 0 }
`);
    const { error, lines: got } = specError(() => loadSpec(file));
    expect(got).toEqual([
      `${file}:3:34 data.batchSize must be >= 1, received 0`,
      `${file}:4:30 optimizer.lr must be > 0, received 0`,
      `${file}:5:18 train.epochs must be >= 1, received 0`,
    ]);
    expect(error.name).toBe('SpecError');
    expect(error.issues).toEqual([
      { file, line: 3, column: 34, path: 'data.batchSize', message: 'must be >= 1, received 0' },
      { file, line: 4, column: 30, path: 'optimizer.lr', message: 'must be > 0, received 0' },
      { file, line: 5, column: 18, path: 'train.epochs', message: 'must be >= 1, received 0' },
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const unclosed = write('name: x\nmodel: { name: vgg11\ndata: {}\n');
    expect(lines(() => loadSpec(unclosed))).toEqual([
      `${unclosed}:3:1 YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }`,
    ]);
    const duplicate = write(`${GOOD}name: again\n`);
    expect(lines(() => loadSpec(duplicate))).toEqual([`${duplicate}:12:1 YAML syntax error: Map keys must be unique`]);
    const tabs = write('name: x\nmodel:\n\tname: vgg11\n');
    expect(lines(() => loadSpec(tabs))[0]).toBe(`${tabs}:3:1 YAML syntax error: Tabs are not allowed as indentation`);
  });

  it('rejects an empty file, a top level that is not a mapping, and a file that cannot be read', () => {
    const empty = write('# nothing yet\n');
    expect(lines(() => loadSpec(empty))).toEqual([
      `${empty}:1:1 the spec is empty; expected a mapping with name, model, data, optimizer and train`,
    ]);
    const list = write('- name: x\n');
    expect(lines(() => loadSpec(list))).toEqual([
      `${list}:1:1 the spec must be a mapping of fields (name, model, data, optimizer, train), received a list [{"name":"x"}]`,
    ]);
    const missing = join(dir, 'nope.yaml');
    expect(lines(() => loadSpec(missing))).toEqual([`${missing}: cannot read the spec file: no such file`]);
    expect(lines(() => loadSpec(dir))).toEqual([`${dir}: cannot read the spec file: it is a directory`]);
  });
});

describe('overrides (-o path=value)', () => {
  it('apply YAML scalars and flow values before validation, creating missing objects', () => {
    const file = write(GOOD);
    const loaded = loadSpec(file, {
      overrides: ['optimizer.lr=1e-4', 'model.inputShape=[64,64,3]', 'optimizer.schedule.name=cosine', 'tags.note=hello world', 'seed=7'],
    });
    expect(loaded.spec.optimizer).toEqual({ name: 'adam', lr: 1e-4, schedule: { name: 'cosine', warmupSteps: 0 } });
    expect(loaded.spec.model.inputShape).toEqual([64, 64, 3]);
    expect(loaded.spec.tags).toEqual({ note: 'hello world' });
    expect(loaded.spec.seed).toBe(7);
    expect(loaded.text).toBe(GOOD);
    expect(loaded.overrides).toEqual([
      'optimizer.lr=1e-4',
      'model.inputShape=[64,64,3]',
      'optimizer.schedule.name=cosine',
      'tags.note=hello world',
      'seed=7',
    ]);
    // The same values written in the file give the same hash.
    const written = parseSpec(
      `${GOOD.replace('lr: 0.001', 'lr: 0.0001\n  schedule: {name: cosine}').replace('  name: vgg11\n', '  name: vgg11\n  inputShape: [64, 64, 3]\n')}tags: {note: hello world}\nseed: 7\n`,
      'y.yaml',
    );
    expect(loaded.hash).toBe(written.hash);
  });

  it('replace a sweep list with -o sweep.<dotted key>=[…]', () => {
    const loaded = parseSpec(`${GOOD}sweep:\n  optimizer.lr: [0.1, 0.01]\n`, 'x.yaml', { overrides: ['sweep.optimizer.lr=[0.5]', 'sweep.model.name=[vgg13]'] });
    expect(loaded.spec.sweep).toEqual({ 'optimizer.lr': [0.5], 'model.name': ['vgg13'] });
    expect(expandSweep(loaded).map((p) => p.label)).toEqual(['lr=0.5,name=vgg13']);
    expect(lines(() => expandSweep(parseSpec(GOOD, 'x.yaml', { overrides: ['sweep.optimizer.lr=[0.1, -2]'] })))).toEqual([
      'override -o sweep.optimizer.lr=[0.1, -2]: sweep optimizer.lr=-2: optimizer.lr must be > 0, received -2',
    ]);
  });

  it('set list items by index and apply later overrides over earlier ones', () => {
    const loaded = parseSpec(GOOD, 'x.yaml', {
      overrides: ['model.inputShape=[32,32,3]', 'model.inputShape[2]=1', 'optimizer.lr=0.5', 'optimizer.lr=0.25'],
    });
    expect(loaded.spec.model.inputShape).toEqual([32, 32, 1]);
    expect(loaded.spec.optimizer.lr).toBe(0.25);
  });

  it('attribute an error in an overridden value to the override', () => {
    const file = write(GOOD.replace('epochs: 2', 'epochs: 0'));
    expect(lines(() => loadSpec(file, { overrides: ['optimizer.lr=-1', 'model.widht=3', 'optimizer.schedule.warmupSteps=5'] }))).toEqual([
      `${file}:11:11 train.epochs must be >= 1, received 0`,
      'override -o optimizer.lr=-1: optimizer.lr must be > 0, received -1',
      "override -o model.widht=3: model.widht is not a known field; known fields: name, inputShape, options, pretrained, strictWeights, freeze",
      'override -o optimizer.schedule.warmupSteps=5: optimizer.schedule.name is required (a string)',
    ]);
  });

  it('report bad override syntax, naming the override', () => {
    expect(
      lines(() =>
        parseSpec(GOOD, 'x.yaml', {
          overrides: ['optimizer.lr', 'optimizer..lr=1', '=3', 'model.name=[vgg11', 'optimizer.lr.value=1', 'name[0]=x'],
        }),
      ),
    ).toEqual([
      'override -o optimizer.lr: expected path=value, e.g. -o optimizer.lr=0.001',
      "override -o optimizer..lr=1: 'optimizer..lr' is not a field path; expected dotted names like optimizer.lr or model.inputShape[0]",
      "override -o =3: '' is not a field path; expected dotted names like optimizer.lr or model.inputShape[0]",
      'override -o model.name=[vgg11: the value is not valid YAML: Flow sequence must end with a ]',
      "override -o optimizer.lr.value=1: optimizer.lr is 0.001, not a mapping, so it has no field 'value'",
      'override -o name[0]=x: name is "smoke-test", not a mapping, so it has no field \'0\'',
    ]);
  });
});

describe('expandSweep', () => {
  const SWEEP = `${GOOD}sweep:
  model.name: [vgg11, vgg16]
  optimizer.lr: [0.01, 0.001, 0.0001]
`;

  it('expands the grid in a stable order (first key slowest), each point a validated spec with its own hash', () => {
    const loaded = parseSpec(SWEEP, 'sweep.yaml');
    const points = expandSweep(loaded);
    expect(points.map((p) => p.label)).toEqual([
      'name=vgg11,lr=0.01',
      'name=vgg11,lr=0.001',
      'name=vgg11,lr=0.0001',
      'name=vgg16,lr=0.01',
      'name=vgg16,lr=0.001',
      'name=vgg16,lr=0.0001',
    ]);
    expect(points[4]!.values).toEqual({ 'model.name': 'vgg16', 'optimizer.lr': 0.001 });
    expect(points[4]!.spec.model).toEqual({ name: 'vgg16', strictWeights: false, freeze: 'none' });
    expect(points[4]!.spec.optimizer.lr).toBe(0.001);
    expect('sweep' in points[4]!.spec).toBe(false);
    expect(points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(points.map((p) => p.hash)).size).toBe(6);
    // A point equal to the base spec has the base's hash (the sweep block is not part of it).
    expect(points[1]!.hash).toBe(parseSpec(GOOD, 'x.yaml').hash);
    expect(points[3]!.hash).toBe(specHash(points[3]!.spec));
  });

  it('uses the full path in labels when two keys end alike, and gives a spec without sweep as its only point', () => {
    const loaded = parseSpec(`${GOOD}sweep:\n  model.name: [vgg11]\n  data.name: [shapes]\n`, 'x.yaml');
    expect(expandSweep(loaded).map((p) => p.label)).toEqual(['model.name=vgg11,data.name=shapes']);
    const single = expandSweep(parseSpec(GOOD, 'x.yaml'));
    expect(single).toHaveLength(1);
    expect(single[0]!.label).toBe('');
    expect(single[0]!.hash).toBe(parseSpec(GOOD, 'x.yaml').hash);
  });

  it('replaces a whole object given as a sweep value', () => {
    const loaded = parseSpec(
      `${GOOD}sweep:\n  optimizer:\n    - { name: sgd, lr: 0.1, options: { momentum: 0.9 } }\n    - { name: adam, lr: 0.001 }\n`,
      'x.yaml',
    );
    const points = expandSweep(loaded);
    expect(points[0]!.spec.optimizer).toEqual({ name: 'sgd', lr: 0.1, options: { momentum: 0.9 } });
    expect(points[1]!.spec.optimizer).toEqual({ name: 'adam', lr: 0.001 });
    expect(points[0]!.label).toBe('optimizer={"lr":0.1,"name":"sgd","options":{"momentum":0.9}}');
  });

  it('reports a bad sweep value at its place in the sweep list, once', () => {
    const file = write(`${GOOD}sweep:\n  model.name: [vgg11, vgg16]\n  optimizer.lr: [0.1, -1]\n`);
    const loaded = loadSpec(file);
    expect(lines(() => expandSweep(loaded))).toEqual([
      `${file}:14:23 sweep optimizer.lr=-1: optimizer.lr must be > 0, received -1`,
    ]);
    const whole = write(`${GOOD}sweep:\n  optimizer:\n    - { name: adam }\n`);
    expect(lines(() => expandSweep(loadSpec(whole)))).toEqual([
      `${whole}:14:7 sweep optimizer={"name":"adam"}: optimizer.lr is required (a number > 0)`,
    ]);
  });

  it('rejects sweep keys that are not spec fields, overlapping keys and repeated values, with positions', () => {
    const file = write(
      `${GOOD}sweep:\n  optimizer.lrr: [0.1]\n  model.options.width: [1, 2]\n  optimizer: [{name: sgd, lr: 1}]\n  optimizer.name: [adam, sgd, adam]\n  sweep.x: [1]\n`,
    );
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:13:3 sweep key 'optimizer.lrr' is not a spec field; did you mean 'optimizer.lr'?`,
      `${file}:16:3 sweep keys 'optimizer' and 'optimizer.name' overlap; sweep one or the other`,
      `${file}:16:31 sweep.optimizer.name lists "adam" more than once`,
      `${file}:17:3 sweep key 'sweep.x' is not a spec field`,
    ]);
  });

  it('refuses a grid of more than MAX_SWEEP_POINTS points before building it', () => {
    const many = Array.from({ length: 101 }, (_, i) => i + 1);
    const file = write(`${GOOD}sweep:\n  seed: [${many.join(', ')}]\n  data.batchSize: [${many.join(', ')}]\n`);
    expect(lines(() => expandSweep(loadSpec(file)))).toEqual([
      `${file}:12:1 sweep has 10201 points (seed 101 x data.batchSize 101), more than 10000; sweep fewer values`,
    ]);
  });

  it('reports the shape of the sweep block itself', () => {
    const file = write(`${GOOD}sweep:\n  optimizer.lr: 0.1\n  model.name: []\n  data:\n    batchSize: [8, 16]\n`);
    expect(lines(() => loadSpec(file))).toEqual([
      `${file}:13:17 sweep.optimizer.lr must be a list, received 0.1`,
      `${file}:14:15 sweep.model.name must have at least 1 item, received 0`,
      `${file}:15:3 sweep.data must be a list, received a mapping; to sweep fields inside 'data', write dotted keys such as 'data.batchSize: [...]'`,
    ]);
  });
});

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
