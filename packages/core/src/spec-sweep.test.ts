import { describe, expect, it } from 'vitest';
import { expandSweep } from './spec-sweep.ts';
import { loadSpec, parseSpec, specHash } from './spec.ts';
import { GOOD, lines, write } from './testing/specs.ts';

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
