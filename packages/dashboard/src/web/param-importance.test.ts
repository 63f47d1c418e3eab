import { describe, expect, it } from 'vitest';
import { correlationRatio, paramImportance, ranks, spearman, type ImportanceRow } from './param-importance.ts';

/** A seeded stream, for data the tests can state facts about. */
function stream(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
}

describe('correlations', () => {
  it('Spearman ranks ties by their mean and sees any monotone relation as ±1; η measures groups', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([1, 2.5, 2.5, 0]);
    expect(spearman([1e-4, 1e-3, 1e-2, 1e-1], [0.2, 0.5, 0.7, 0.71])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2], [1, 2])).toBeNull();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(correlationRatio(['a', 'a', 'b', 'b'], [1, 1, 3, 3])).toBeCloseTo(1);
    expect(correlationRatio(['a', 'b', 'a', 'b'], [1, 1, 3, 3])).toBeCloseTo(0);
    expect(correlationRatio(['a', 'a', 'a'], [1, 2, 3])).toBeNull();
  });
});

describe('param importance', () => {
  // 300 runs: the metric follows log10(lr) strongly, the optimizer a little, and the seed not at all.
  const rand = stream(7);
  const rows: ImportanceRow[] = Array.from({ length: 300 }, () => {
    const lr = 10 ** (-4 + 3 * rand());
    const optimizer = rand() < 0.5 ? 'adam' : 'sgd';
    const seed = Math.floor(rand() * 1000);
    const y = 0.5 + 0.12 * (Math.log10(lr) + 4) + (optimizer === 'adam' ? 0.05 : 0) + 0.01 * (rand() - 0.5);
    return { params: { 'optimizer.lr': String(lr), 'optimizer.name': optimizer, seed: String(seed) }, y };
  });

  it('ranks the param that drives the metric first, a weak one second, noise last and near zero', () => {
    const result = paramImportance(rows, ['seed', 'optimizer.name', 'optimizer.lr']);
    expect(result.map((r) => r.key)).toEqual(['optimizer.lr', 'optimizer.name', 'seed']);
    const [lr, optimizer, seed] = result;
    expect(lr!.kind).toBe('numeric');
    expect(lr!.correlation).toBeGreaterThan(0.9);
    expect(optimizer!.kind).toBe('categorical');
    expect(optimizer!.correlation).toBeGreaterThan(0.1);
    expect(optimizer!.correlation).toBeLessThan(0.5);
    expect(Math.abs(seed!.correlation!)).toBeLessThan(0.15);
    expect(lr!.importance).toBeGreaterThan(0.7);
    expect(seed!.importance).toBeLessThan(0.03);
    expect(result.reduce((a, r) => a + r.importance!, 0)).toBeCloseTo(1);
    // deterministic: the same numbers on every call
    expect(paramImportance(rows, ['seed', 'optimizer.name', 'optimizer.lr'])).toEqual(result);
  });

  it('sees an interaction that correlation misses: lr helps with sgd and hurts with adam', () => {
    const r = stream(3);
    const data: ImportanceRow[] = Array.from({ length: 200 }, () => {
      const lr = r();
      const optimizer = r() < 0.5 ? 'adam' : 'sgd';
      return { params: { lr: String(lr), optimizer, noise: String(r()) }, y: optimizer === 'sgd' ? lr : 1 - lr };
    });
    const result = paramImportance(data, ['lr', 'optimizer', 'noise']);
    const lr = result.find((x) => x.key === 'lr')!;
    expect(Math.abs(lr.correlation!)).toBeLessThan(0.2);
    expect(lr.importance).toBeGreaterThan(0.4);
    expect(result.find((x) => x.key === 'noise')!.importance).toBeLessThan(0.05);
  });

  it('gives no importance for a handful of runs, and skips runs without a finite metric', () => {
    const few = rows.slice(0, 4);
    expect(paramImportance(few, ['optimizer.lr']).map((r) => r.importance)).toEqual([null]);
    const withNaN = [...rows.slice(0, 20), { params: { 'optimizer.lr': '1' }, y: NaN }];
    expect(paramImportance(withNaN, ['optimizer.lr'])[0]!.importance).toBe(1);
  });
});
