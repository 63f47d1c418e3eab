import { describe, expect, it } from 'vitest';
import { paramColumns, paramMenu, paramVariations, varyingParamKeys, varyingParams } from './params-vary.ts';

const runs: Record<string, string>[] = [
  { 'model.name': 'vgg11', 'optimizer.name': 'adam', seed: '0', 'data.batchSize': '32', 'train.layer10': '1' },
  { 'model.name': 'vgg11', 'optimizer.name': 'sgd', seed: '1', 'data.batchSize': '32', 'train.layer2': '4' },
  { 'model.name': 'vgg11', 'optimizer.name': 'sgd', seed: '2', 'data.batchSize': '32', 'train.layer2': '4', 'train.layer10': '3' },
];

describe('paramColumns', () => {
  it('makes one column per key any run has, null where a run lacks it', () => {
    const columns = paramColumns(runs);
    expect(columns.map((c) => c.key)).toEqual(['data.batchSize', 'model.name', 'optimizer.name', 'seed', 'train.layer10', 'train.layer2']);
    expect(columns.find((c) => c.key === 'train.layer2')!.values).toEqual([null, '4', '4']);
  });
});

describe('paramVariations', () => {
  it('tells a param that varies from one only some runs have and from a constant', () => {
    const byKey = Object.fromEntries(paramVariations(paramColumns(runs)).map((v) => [v.key, v]));
    expect(byKey['optimizer.name']).toEqual({ key: 'optimizer.name', kind: 'varies', distinct: 2, missing: 0 });
    expect(byKey.seed).toMatchObject({ kind: 'varies', distinct: 3 });
    expect(byKey['train.layer10']).toMatchObject({ kind: 'varies', distinct: 2, missing: 1 });
    expect(byKey['train.layer2']).toEqual({ key: 'train.layer2', kind: 'presence', distinct: 1, missing: 1 });
    expect(byKey['model.name']).toMatchObject({ kind: 'constant', distinct: 1, missing: 0 });
  });

  it('calls a column no run has, and one of a single run, constant', () => {
    expect(paramVariations([{ key: 'a', values: [null, null] }, { key: 'b', values: ['1'] }]).map((v) => v.kind)).toEqual(['constant', 'constant']);
  });
});

describe('varyingParamKeys', () => {
  it('lists the params that vary first, then those some runs lack, in natural order, without constants', () => {
    expect(varyingParamKeys(paramColumns(runs))).toEqual(['optimizer.name', 'seed', 'train.layer10', 'train.layer2']);
    expect(varyingParamKeys([{ key: 'x10', values: ['1', '2'] }, { key: 'x9', values: ['1', '2'] }])).toEqual(['x9', 'x10']);
  });
});

describe('varyingParams', () => {
  it('splits keys into those whose value differs between runs (a missing value counts) and those every run shares', () => {
    const runs: { params: Record<string, string> }[] = [
      { params: { 'model.name': 'vgg11', 'optimizer.lr': '0.01', 'data.name': 'shapes', 'optimizer.options.momentum': '0.9' } },
      { params: { 'model.name': 'vgg16', 'optimizer.lr': '0.01', 'data.name': 'shapes' } },
      { params: { 'model.name': 'vgg16', 'optimizer.lr': '0.01', 'data.name': 'shapes' } },
    ];
    expect(varyingParams(runs)).toEqual({ varying: ['model.name', 'optimizer.options.momentum'], constant: ['data.name', 'optimizer.lr'] });
    expect(varyingParams([runs[1]!])).toEqual({ varying: [], constant: ['data.name', 'model.name', 'optimizer.lr'] });
    expect(varyingParams([])).toEqual({ varying: [], constant: [] });
  });

  it('param menus list the varying keys first, then keys not seen among the runs, and leave constants out', () => {
    expect(paramMenu(['a', 'b', 'c', 'd'], { varying: ['d', 'b'], constant: ['a'] })).toEqual(['d', 'b', 'c']);
  });
});
