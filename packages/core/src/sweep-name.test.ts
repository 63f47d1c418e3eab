import { describe, expect, it } from 'vitest';
import { expandSweep } from './spec-sweep.ts';
import { parseSpec } from './spec.ts';
import { shortNumber, shortSweepValue, sweepPointName } from './sweep-name.ts';

const BASE = `name: names
model: { name: vgg11 }
data: { name: shapes }
optimizer: { name: adam, lr: 0.001 }
train: { epochs: 1 }
`;

describe('sweep point names', () => {
  it('writes each value short: strings bare, numbers after their field, a swept object as its name and values', () => {
    expect(shortSweepValue('model.name', 'vgg16_bn')).toBe('vgg16_bn');
    expect(shortSweepValue('optimizer.lr', 0.0001)).toBe('lr 1e-4');
    expect(shortSweepValue('optimizer.lr', 0.02)).toBe('lr 0.02');
    expect(shortSweepValue('optimizer.options.nesterov', true)).toBe('nesterov true');
    expect(shortSweepValue('optimizer', { name: 'sgd', lr: 0.02, options: { momentum: 0.9 } })).toBe('sgd 0.02');
    expect(shortSweepValue('model.inputShape', [64, 64, 3])).toBe('inputShape [64,64,3]');
    expect(shortSweepValue('model.options', { dropout: 0.5, widthMultiplier: 0.25 })).toBe('dropout 0.5 widthMultiplier 0.25');
    expect([1e-4, 2.5e-5, 0.001, 128, 0].map(shortNumber)).toEqual(['1e-4', '2.5e-5', '0.001', '128', '0']);
  });

  it('names a point by the values that vary across the sweep, in its key order', () => {
    expect(sweepPointName({ 'model.name': 'vgg16_bn', optimizer: { name: 'sgd', lr: 0.02 } }, ['model.name', 'optimizer'])).toBe(
      'vgg16_bn · sgd 0.02',
    );
    expect(sweepPointName({ 'model.name': 'vgg16_bn', seed: 3 }, ['seed'])).toBe('seed 3');
    expect(sweepPointName({ 'model.name': 'vgg16_bn' }, [])).toBe('');
  });

  it('expandSweep names every point by its varying values only (a key with one value is left out)', () => {
    const loaded = parseSpec(
      `${BASE}sweep:\n  model.name: [vgg11_bn, vgg16_bn]\n  data.batchSize: [32]\n  optimizer:\n    - { name: adam, lr: 0.001 }\n    - { name: sgd, lr: 0.02 }\n`,
      'x.yaml',
    );
    expect(expandSweep(loaded).map((p) => p.name)).toEqual(['vgg11_bn · adam 0.001', 'vgg11_bn · sgd 0.02', 'vgg16_bn · adam 0.001', 'vgg16_bn · sgd 0.02']);
    expect(expandSweep(parseSpec(`${BASE}sweep:\n  optimizer.lr: [0.01, 0.0001]\n`, 'y.yaml')).map((p) => p.name)).toEqual(['lr 0.01', 'lr 1e-4']);
    expect(expandSweep(parseSpec(BASE, 'z.yaml'))[0]!.name).toBe('');
  });
});
