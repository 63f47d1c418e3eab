import { describe, expect, it } from 'vitest';
import { paramMenu, varyingParams } from './params-vary.ts';

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
