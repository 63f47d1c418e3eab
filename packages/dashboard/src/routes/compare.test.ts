import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { addCompareRuns, SWEEP_EXPERIMENT, type CompareFixture } from '../testing/compare-fixture.ts';
import { testServer } from '../testing/server.ts';
import { brushParam } from '../wire/brush.ts';

const api = testServer();
let runs: CompareFixture;
beforeAll(() => {
  runs = addCompareRuns(api.fixture);
});

describe('/api/compare', () => {
  it('returns the runs in the order asked with every param and each metric as last/min/max', async () => {
    const ids = runs.sweep.map((r) => r.id).reverse();
    const { status, body } = await api.getJson(`/api/compare?runs=${ids.join(',')}`);
    expect(status).toBe(200);
    expect(body.runs.map((r: any) => r.id)).toEqual(ids);
    const best = body.runs.find((r: any) => r.id === runs.sweep[2]!.id);
    expect(best.name).toBe('vgg16_bn · adam 0.001');
    expect(best.params['optimizer.lr']).toBe('0.001');
    expect(best.metrics['val/accuracy'].max).toBeCloseTo(runs.sweep[2]!.best, 12);
    expect(Object.keys(best.metrics['val/loss']).sort()).toEqual(['last', 'max', 'min', 'step']);
    // NaN and infinities are null (JSON has no such numbers)
    const nan = (await api.getJson(`/api/compare?runs=${api.fixture.ids['quickstart-nan']}`)).body.runs[0];
    expect(nan.metrics['train/loss']).toEqual({ last: null, min: 2.3, max: null, step: 30 }); // max was +Infinity
    expect((await api.getJson('/api/compare?runs=ffffffffffff')).status).toBe(404);
  });
});

describe('/api/param-space', () => {
  it('lists the params that vary among the filter’s runs, those that are constant with their value, and the metric per run', async () => {
    const { status, body } = await api.getJson(`/api/param-space?experiment=${SWEEP_EXPERIMENT}&metric=val/accuracy`);
    expect(status).toBe(200);
    expect(body.total).toBe(4);
    expect(body.varying).toEqual(['model.name', 'optimizer.lr', 'optimizer.name', 'optimizer.options.momentum']);
    expect(body.constant).toEqual(expect.arrayContaining([{ key: 'data.name', value: 'imageFolder' }, { key: 'train.epochs', value: '5' }]));
    expect(body.constant.map((c: any) => c.key)).not.toContain('model.name');
    const row = body.runs.find((r: any) => r.id === runs.sweep[1]!.id);
    expect(row.params).toEqual({ 'model.name': 'vgg11_bn', 'optimizer.lr': '0.02', 'optimizer.name': 'sgd', 'optimizer.options.momentum': '0.9' });
    expect(row.max).toBeCloseTo(runs.sweep[1]!.best, 12);
    // adam runs have no momentum: left out of their params, not sent as null
    expect(body.runs.find((r: any) => r.id === runs.sweep[0]!.id).params).not.toHaveProperty('optimizer.options.momentum');
    expect((await api.getJson('/api/param-space')).status).toBe(400);
  });
});

describe('brushes in the run list', () => {
  it('filter by a param range, by param values and by a metric range; all must hold; a bad brush is a 400 naming it', async () => {
    const list = async (...brushes: object[]) => {
      const query = brushes.map((b) => `brush=${encodeURIComponent(brushParam(b as never))}`).join('&');
      const { status, body } = await api.getJson(`/api/runs?experiment=${SWEEP_EXPERIMENT}&sort=name&order=asc&${query}`);
      expect(status, JSON.stringify(brushes)).toBe(200);
      return body.runs.map((r: any) => r.name);
    };
    expect(await list({ param: 'optimizer.lr', min: 0.01 })).toEqual(['vgg11_bn · sgd 0.02', 'vgg16_bn · sgd 0.02']);
    expect(await list({ param: 'model.name', values: ['vgg16_bn'] })).toEqual(['vgg16_bn · adam 0.001', 'vgg16_bn · sgd 0.02']);
    const best = runs.sweep[2]!.best;
    expect(await list({ metric: 'val/accuracy', of: 'max', min: best - 1e-9, max: 1 })).toEqual(['vgg16_bn · adam 0.001']);
    expect(await list({ param: 'model.name', values: ['vgg11_bn'] }, { param: 'optimizer.lr', max: 0.01 })).toEqual(['vgg11_bn · adam 0.001']);
    const bad = await api.getJson(`/api/runs?brush=${encodeURIComponent('{"param":"optimizer.lr"}')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/query parameter 'brush' needs min, max or values, received '\{"param":"optimizer.lr"\}'/);
    expect((await api.getJson(`/api/runs?brush=nope`)).body.message).toMatch(/brush' must be a JSON object/);
  });

  it('filters starred runs', async () => {
    const store = openStore(api.fixture.dbFile);
    try {
      store.editRun(runs.sweep[3]!.id, { starred: true });
    } finally {
      store.close();
    }
    const { body } = await api.getJson('/api/runs?starred=true');
    expect(body.runs.map((r: any) => r.id)).toEqual([runs.sweep[3]!.id]);
    expect(body.runs[0].starred).toBe(true);
  });
});
