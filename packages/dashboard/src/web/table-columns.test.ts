import { describe, expect, it } from 'vitest';
import { compareRows, type CompareRun } from './compare-table.ts';
import {
  barScale,
  cellValue,
  columnLabel,
  columnSort,
  columnsQuery,
  DEFAULT_COLUMNS,
  MIN_BAR,
  parseColumns,
  toggleColumn,
  type TableColumn,
} from './table-columns.ts';

const metric = (value: number, min: number, max: number) => ({ key: 'k', value, min, max, step: 1, epoch: 1, timestamp: 0, minStep: 1, maxStep: 1, count: 1 });

describe('table columns', () => {
  it('sort by the store key of each summary (best resolved per key) and ask for just their params and metrics', () => {
    const cols: TableColumn[] = [
      { kind: 'param', key: 'optimizer.lr' },
      { kind: 'metric', key: 'val/accuracy', summary: 'best' },
      { kind: 'metric', key: 'val/loss', summary: 'best' },
      { kind: 'metric', key: 'val/loss', summary: 'last' },
    ];
    expect(cols.map(columnSort)).toEqual(['param:optimizer.lr', 'metric.max:val/accuracy', 'metric.min:val/loss', 'metric:val/loss']);
    expect(cols.map(columnLabel)).toEqual(['optimizer.lr', 'best val/accuracy', 'best val/loss', 'last val/loss']);
    expect(columnsQuery(cols)).toEqual({ withParams: ['optimizer.lr'], withMetrics: ['val/accuracy', 'val/loss'] });
    expect(columnsQuery([])).toEqual({ withParams: ['-'], withMetrics: ['-'] });
    const run = { params: { 'optimizer.lr': '0.01' }, metrics: { 'val/accuracy': metric(0.8, 0.2, 0.9), 'val/loss': metric(0.5, 0.3, 2) } };
    expect(cols.map((c) => cellValue(run, c))).toEqual(['0.01', 0.9, 0.3, 0.5]);
    expect(cellValue({ params: {}, metrics: { 'val/loss': metric(NaN, 0.3, 2) } }, cols[3]!)).toBeNull();
  });

  it('scale bars to the values shown: the best fills the bar, the worst a sliver, whatever the range', () => {
    const up = barScale([0.91, 0.93, 0.95, null], false);
    expect(up(0.95)).toBe(1);
    expect(up(0.91)).toBe(MIN_BAR);
    expect(up(0.93)).toBeCloseTo(MIN_BAR + (1 - MIN_BAR) / 2);
    const down = barScale([0.2, 0.6], true);
    expect(down(0.2)).toBe(1);
    expect(down(0.6)).toBe(MIN_BAR);
    expect(barScale([0.5, 0.5], false)(0.5)).toBe(1);
  });

  it('keep a valid choice, fall back to the defaults on anything else, and toggle columns', () => {
    const chosen: TableColumn[] = [{ kind: 'metric', key: 'val/loss', summary: 'min' }];
    expect(parseColumns(JSON.stringify(chosen))).toEqual(chosen);
    for (const bad of [null, 'not json', '{}', '[{"kind":"metric","key":"x","summary":"median"}]']) expect(parseColumns(bad)).toEqual(DEFAULT_COLUMNS);
    const added = toggleColumn(chosen, { kind: 'param', key: 'seed' });
    expect(added.map(columnLabel)).toEqual(['min val/loss', 'seed']);
    expect(toggleColumn(added, { kind: 'metric', key: 'val/loss', summary: 'min' }).map(columnLabel)).toEqual(['seed']);
  });
});

describe('compare table rows', () => {
  const run = (id: string, params: Record<string, string>, acc: [number, number, number], loss: [number, number, number]): CompareRun => ({
    id,
    name: id,
    status: 'finished',
    starred: false,
    params,
    metrics: {
      'val/accuracy': { last: acc[0], min: acc[1], max: acc[2], step: 10 },
      'val/loss': { last: loss[0], min: loss[1], max: loss[2], step: 10 },
      'sys/cpu_percent': { last: 150, min: 90, max: 199, step: 10 },
    },
  });

  it('shows differing params as written, hides those set in one run only, and marks each metric row’s best run (system metrics left out)', () => {
    const rows = compareRows([
      run('a', { 'model.name': 'vgg11', 'optimizer.name': 'adam', 'data.name': 'shapes' }, [0.8, 0.3, 0.85], [0.5, 0.4, 2]),
      run('b', { 'model.name': 'vgg16', 'optimizer.name': 'sgd', 'data.name': 'shapes', 'optimizer.options.momentum': '0.9' }, [0.9, 0.3, 0.91], [0.45, 0.42, 2]),
      run('c', { 'model.name': 'vgg16', 'optimizer.name': 'adam', 'data.name': 'shapes' }, [0.7, 0.3, 0.75], [0.3, 0.3, 2]),
    ]);
    expect(rows.params.map((p) => p.key)).toEqual(['model.name', 'optimizer.name']);
    expect(rows.singleRunParams).toEqual([{ key: 'optimizer.options.momentum', values: [null, '0.9', null] }]);
    const byLabel = Object.fromEntries(rows.metrics.map((m) => [`${m.kind} ${m.key}`, m]));
    expect(rows.metrics.map((m) => `${m.kind} ${m.key}`)).toEqual(['best val/loss', 'last val/loss', 'best val/accuracy', 'last val/accuracy']);
    expect(byLabel['best val/accuracy']).toMatchObject({ direction: 'max', values: [0.85, 0.91, 0.75], bestIndex: 1 });
    expect(byLabel['best val/loss']).toMatchObject({ direction: 'min', values: [0.4, 0.42, 0.3], bestIndex: 2 });
    expect(byLabel['last val/loss']!.bestIndex).toBe(2);
  });
});
