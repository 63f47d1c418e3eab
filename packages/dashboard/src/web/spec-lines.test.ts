import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { changedFields, commandLine, lineOrigin, specLines, yamlString } from './spec-lines.ts';

const resolved = {
  name: 'quickstart',
  seed: 0,
  tags: {},
  model: { name: 'vgg11_bn', inputShape: [64, 64, 3], options: { widthMultiplier: 0.25, pooling: 'avg' } },
  data: {
    name: 'shapes',
    transforms: { train: [{ randomResizedCrop: { size: 64 } }, { randomHorizontalFlip: null }] },
    note: 'yes',
    label: 'a: b',
  },
  optimizer: { name: 'sgd', lr: 0.02 },
  train: { epochs: 3, monitor: 'val/accuracy' },
};

describe('the spec that ran as YAML lines', () => {
  const lines = specLines(resolved);
  const text = lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`).join('\n');

  it('prints block YAML that reads back as the same spec, each line knowing its field', () => {
    expect(parse(text)).toEqual(resolved);
    // sections in the order a spec is written, whatever order the stored JSON has
    const sorted = Object.fromEntries(Object.entries(resolved).sort(([a], [b]) => a.localeCompare(b)));
    expect(specLines(sorted).filter((l) => l.depth === 0).map((l) => l.path)).toEqual(['name', 'seed', 'tags', 'model', 'data', 'optimizer', 'train']);
    expect(lines.find((l) => l.text === 'lr: 0.02')).toEqual({ depth: 1, text: 'lr: 0.02', path: 'optimizer.lr' });
    expect(lines.find((l) => l.path === 'model.inputShape')!.text).toBe('inputShape: [64, 64, 3]');
    expect(lines.find((l) => l.path === 'data.transforms.train.0')!.text).toBe('- { randomResizedCrop: { size: 64 } }');
    expect(['yes', 'true', '0.5', 'a: b', ' x', 'val/accuracy'].map(yamlString)).toEqual(['"yes"', '"true"', '"0.5"', '"a: b"', '" x"', 'val/accuracy']);
  });

  it('marks the fields an override set, then those the sweep set, and the lines inside them', () => {
    const fields = changedFields(['optimizer.lr=0.02', 'train.epochs = 3'], { 'model.options': { widthMultiplier: 0.25 }, 'optimizer.lr': 0.02 });
    expect(fields).toEqual({ overridden: ['optimizer.lr', 'train.epochs'], swept: ['model.options', 'optimizer.lr'] });
    const origin = Object.fromEntries(lines.map((l) => [l.path, lineOrigin(l.path, fields)]));
    expect(origin['optimizer.lr']).toBe('override');
    expect(origin['train.epochs']).toBe('override');
    expect(origin['model.options.pooling']).toBe('sweep');
    expect(origin['model.name']).toBeNull();
    expect(origin['optimizer']).toBeNull();
  });

  it('writes the command line as a shell would take it back', () => {
    expect(commandLine(['vgglab', 'exp', 'experiments/q.yaml', '-o', 'optimizer.lr=0.02', '-o', "tags.note=it's new"])).toBe(
      `vgglab exp experiments/q.yaml -o optimizer.lr=0.02 -o 'tags.note=it'\\''s new'`,
    );
  });
});
