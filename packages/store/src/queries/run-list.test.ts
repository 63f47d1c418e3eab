import { describe, expect, it } from 'vitest';
import { spec, tempStore } from '../testing/temp.ts';
import type { RunStore, RunSummary } from '../types.ts';

/** Six runs over two experiments, two models, two optimizers, with metrics and tags. */
function fixture(store: RunStore): Record<string, string> {
  const rows: [name: string, experiment: string, model: string, optimizer: string, lr: number, acc: number[] | null, status: 'finished' | 'running' | 'failed'][] = [
    ['a', 'shapes', 'vgg11', 'adam', 1e-3, [0.5, 0.9, 0.8], 'finished'],
    ['b', 'shapes', 'vgg11', 'sgd', 0.1, [0.3, 0.6], 'finished'],
    ['c', 'shapes', 'vgg16', 'adam', 1e-4, [0.7, 0.95], 'running'],
    ['d', 'shapes', 'vgg16', 'sgd', 0.01, null, 'failed'],
    ['e', 'flowers', 'vgg16', 'adam', 2e-4, [0.4, 0.85, 0.2], 'finished'],
    ['f', 'flowers', 'vgg19_bn', 'adamw', 3e-4, [0.1], 'running'],
  ];
  const ids: Record<string, string> = {};
  rows.forEach(([name, experiment, model, optimizer, lr, acc, status], i) => {
    const run = store.createRun({
      experiment,
      name,
      specHash: `hash-${name}`,
      resolvedSpec: spec(model, optimizer, lr),
      startTime: 1_000_000 + i * 1000,
      tags: i % 2 === 0 ? { team: 'vision', note: `run ${name} on ${model}` } : { team: 'audio' },
    });
    ids[name] = run.id;
    if (acc) store.logBatch(run.id, { metrics: acc.map((value, step) => ({ key: 'val/accuracy', value, step })) });
    if (status !== 'running') store.setRunStatus(run.id, status, { endTime: 1_000_000 + i * 1000 + (10 - i) * 100 });
  });
  return ids;
}

const names = (runs: RunSummary[]): string[] => runs.map((r) => r.name);

describe('listRuns', () => {
  it('defaults to newest first and attaches params, tags and latest metrics', () => {
    const store = tempStore();
    fixture(store);
    const page = store.listRuns();
    expect(names(page.runs)).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
    expect(page.total).toBe(6);
    expect(page.nextPageToken).toBeNull();
    const a = page.runs.find((r) => r.name === 'a')!;
    expect(a.params['optimizer.lr']).toBe('0.001');
    expect(a.tags).toEqual({ team: 'vision', note: 'run a on vgg11' });
    expect(a.metrics['val/accuracy']).toMatchObject({ value: 0.8, max: 0.9 });
    expect(a.durationMs).toBe(1000);
    expect('specText' in a).toBe(false);
    const narrow = store.listRuns({ includeParams: ['model.name'], includeMetrics: [] });
    expect(narrow.runs[0]!.params).toEqual({ 'model.name': 'vgg19_bn' });
    expect(narrow.runs[0]!.metrics).toEqual({});
  });

  it('filters by status, experiment, model, optimizer, tags, params, metrics and free text', () => {
    const store = tempStore();
    fixture(store);
    const list = (q: Parameters<RunStore['listRuns']>[0]): string[] => names(store.listRuns({ ...q, order: 'asc' }).runs);
    expect(list({ status: 'running' })).toEqual(['c', 'f']);
    expect(list({ status: ['failed', 'finished'] })).toEqual(['a', 'b', 'd', 'e']);
    expect(list({ experiment: 'flowers' })).toEqual(['e', 'f']);
    expect(list({ experiment: store.getExperiment('shapes')!.id })).toEqual(['a', 'b', 'c', 'd']);
    expect(list({ experiment: 'no-such-experiment' })).toEqual([]);
    expect(list({ model: 'vgg16' })).toEqual(['c', 'd', 'e']);
    expect(list({ model: 'vgg16', optimizer: 'adam' })).toEqual(['c', 'e']);
    expect(list({ tags: { team: 'audio' } })).toEqual(['b', 'd', 'f']);
    expect(list({ tags: { note: true } })).toEqual(['a', 'c', 'e']);
    expect(list({ params: { 'optimizer.lr': '0.1' } })).toEqual(['b']);
    expect(list({ metrics: [{ key: 'val/accuracy', op: '>=', value: 0.9, of: 'max' }] })).toEqual(['a', 'c']);
    expect(list({ metrics: [{ key: 'val/accuracy', op: '<', value: 0.5 }] })).toEqual(['e', 'f']);
    expect(list({ text: 'VGG19' })).toEqual(['f']); // model name, case-insensitive
    expect(list({ text: 'flow' })).toEqual(['e', 'f']); // experiment name
    expect(list({ text: 'run c on' })).toEqual(['c']); // tag value
    expect(list({ text: 'adamw' })).toEqual(['f']); // optimizer name
    expect(store.listRuns({ model: 'vgg16', status: 'finished' }).total).toBe(1);
    // tags changed later are searchable too
    store.setTag(store.listRuns({ text: 'run a on' }).runs[0]!.id, 'note', 'Renamed Note');
    expect(list({ text: 'renamed' })).toEqual(['a']);
    expect(list({ text: 'run a on' })).toEqual([]);
  });

  it('sorts by run columns, by params numerically, and by latest/min/max metrics, with missing values last', () => {
    const store = tempStore();
    fixture(store);
    const sorted = (sortBy: string, order: 'asc' | 'desc' = 'asc'): string[] => names(store.listRuns({ sortBy, order }).runs);
    expect(sorted('name', 'desc')).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
    expect(sorted('experiment')).toEqual(['e', 'f', 'a', 'b', 'c', 'd']);
    // 1e-4 < 2e-4 < 3e-4 < 1e-3 < 0.01 < 0.1 as numbers (as text "0.0001" < "0.0002" < ... would also hold; "0.1" vs "0.01" would not)
    expect(sorted('param:optimizer.lr')).toEqual(['c', 'e', 'f', 'a', 'd', 'b']);
    expect(sorted('param:optimizer.lr', 'desc')).toEqual(['b', 'd', 'a', 'f', 'e', 'c']);
    expect(sorted('param:model.name')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(sorted('metric.max:val/accuracy', 'desc')).toEqual(['c', 'a', 'e', 'b', 'f', 'd']);
    expect(sorted('metric.max:val/accuracy', 'asc')).toEqual(['f', 'b', 'e', 'a', 'c', 'd']); // d has none: last both ways
    expect(sorted('metric:val/accuracy')).toEqual(['f', 'e', 'b', 'a', 'c', 'd']);
    expect(sorted('metric.min:val/accuracy')).toEqual(['f', 'e', 'b', 'a', 'c', 'd']);
    expect(sorted('param:no.such.param')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']); // all missing: tie-break by creation
    expect(() => store.listRuns({ sortBy: 'bogus' })).toThrow(/sortBy "bogus" is not a sort key/);
    expect(() => store.listRuns({ order: 'up' as never })).toThrow(/order must be asc or desc/);
    expect(() => store.listRuns({ limit: 0 })).toThrow('limit must be between 1 and 1000, received 0');
  });

  it('pages with tokens that stay stable while new runs arrive, for every kind of sort', () => {
    const store = tempStore();
    fixture(store);
    for (const sortBy of ['startTime', 'name', 'duration', 'endTime', 'param:optimizer.lr', 'metric.max:val/accuracy']) {
      for (const order of ['asc', 'desc'] as const) {
        const all = names(store.listRuns({ sortBy, order, limit: 100 }).runs);
        const seen: string[] = [];
        let token: string | null = null;
        let pages = 0;
        do {
          const page = store.listRuns({ sortBy, order, limit: 2, pageToken: token });
          seen.push(...names(page.runs));
          token = page.nextPageToken;
          pages++;
          // runs created between pages must not shift the listing (they may show up later in it, never twice)
          if (pages <= 2) store.createRun({ specHash: 'test-spec', experiment: 'late', name: `late-${sortBy}-${order}-${pages}`, resolvedSpec: spec(), startTime: 0 });
        } while (token && pages < 50);
        expect(seen.filter((n) => !n.startsWith('late-')), `${sortBy} ${order}`).toEqual(all.filter((n) => !n.startsWith('late-')));
        expect(new Set(seen).size, `${sortBy} ${order}: no repeats`).toBe(seen.length);
      }
    }
  });

  it('rejects malformed tokens and tokens from another query', () => {
    const store = tempStore();
    fixture(store);
    const token = store.listRuns({ limit: 2, model: 'vgg16' }).nextPageToken!;
    expect(token).toBeTypeOf('string');
    expect(() => store.listRuns({ limit: 2, model: 'vgg11', pageToken: token })).toThrow(/other filters or sort/);
    expect(() => store.listRuns({ pageToken: 'garbage!' })).toThrow(/is not a page token/);
    expect(() => store.listRuns({ pageToken: Buffer.from('{"f":1}').toString('base64url') })).toThrow(/is not a page token/);
    // the limit may change between pages
    const second = store.listRuns({ limit: 5, model: 'vgg16', pageToken: token });
    expect(names(second.runs)).toEqual(['c']);
    expect(second.total).toBe(3); // the count made for the first page travels with the token
  });

  it('sorting by a metric with infinite values pages correctly', () => {
    const store = tempStore();
    const values = [Infinity, -Infinity, 0, Number.NaN, 5];
    values.forEach((value, i) => {
      const run = store.createRun({ specHash: 'test-spec', experiment: 'e', name: `r${i}`, resolvedSpec: {}, startTime: i });
      store.logMetric(run.id, { key: 'loss', value, step: 0 });
    });
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page = store.listRuns({ sortBy: 'metric:loss', order: 'asc', limit: 1, pageToken: token });
      seen.push(...names(page.runs));
      token = page.nextPageToken;
    } while (token);
    expect(seen).toEqual(['r1', 'r2', 'r4', 'r0', 'r3']); // NaN sorts with missing values, last
  });

  it('facets list filter values with counts, most common first', () => {
    const store = tempStore();
    const ids = fixture(store);
    const facets = store.getRunFacets();
    expect(facets.statuses).toEqual([
      { value: 'finished', count: 3 },
      { value: 'running', count: 2 },
      { value: 'failed', count: 1 },
    ]);
    expect(facets.experiments).toEqual([
      { value: 'flowers', count: 2 },
      { value: 'shapes', count: 4 },
    ]);
    expect(facets.models).toEqual([
      { value: 'vgg16', count: 3 },
      { value: 'vgg11', count: 2 },
      { value: 'vgg19_bn', count: 1 },
    ]);
    expect(facets.optimizers[0]).toEqual({ value: 'adam', count: 3 });
    expect(facets.tagKeys).toEqual([
      { value: 'team', count: 6 },
      { value: 'note', count: 3 },
    ]);
    expect(store.listParamValues('optimizer.lr', { limit: 2 })).toHaveLength(2);
    expect(store.listTagKeys()).toEqual(facets.tagKeys);
    expect(store.listTagKeys({ limit: 1 })).toEqual([{ value: 'team', count: 6 }]);
    expect(() => store.listTagKeys({ limit: 0 })).toThrow(/limit must be at least 1/);
    expect(store.getLatestMetrics(ids.a!)['val/accuracy']).toMatchObject({ count: 3, step: 2 });
  });
});
