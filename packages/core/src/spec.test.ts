import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep } from './spec-sweep.ts';
import { canonicalJson, loadSpec, parseSpec, specHash } from './spec.ts';
import { SPEC_DEFAULTS } from './spec-schema.ts';
import { dir, GOOD, lines, specError, write } from './testing/specs.ts';

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

  it('SPEC_DEFAULTS (what the runner falls back on) are the defaults the schema fills in', () => {
    const { spec } = parseSpec(`${GOOD.replace('  lr: 0.001\n', '  lr: 0.001\n  schedule: { name: cosine }\n')}  earlyStopping: { patience: 3 }\n`, 'x.yaml');
    expect(SPEC_DEFAULTS).toEqual({
      seed: spec.seed,
      freeze: spec.model.freeze,
      strictWeights: spec.model.strictWeights,
      batchSize: spec.data.batchSize,
      cache: spec.data.cache,
      prefetch: spec.data.prefetch,
      strictData: spec.data.strict,
      monitor: spec.train.monitor,
      mode: spec.train.mode,
      logEverySteps: spec.train.logEverySteps,
      minDelta: spec.train.earlyStopping!.minDelta,
      warmupSteps: spec.optimizer.schedule!.warmupSteps,
    });
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
