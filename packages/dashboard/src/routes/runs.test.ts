import { describe, expect, it } from 'vitest';
import { openStore, RUN_STATUSES, type RunPage, type RunSummary } from '@vgglab/store';
import { testServer } from '../testing/server.ts';

const api = testServer();

const names = (page: RunPage) => page.runs.map((r) => r.name);

describe('run list', () => {
  it('lists every run, newest first, with the total', async () => {
    const { status, body } = await api.getJson<RunPage>('/api/runs');
    expect(status).toBe(200);
    expect(body.total).toBe(6);
    const starts = body.runs.map((r) => r.startTime);
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
  });

  it('pages with the page token without repeating or skipping runs', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const { body }: { body: RunPage } = await api.getJson<RunPage>(`/api/runs?limit=4${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
      seen.push(...body.runs.map((r) => r.id));
      token = body.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(6);
    expect(seen.sort()).toEqual(Object.values(api.fixture.ids).sort());
  });

  it('filters by status, model, optimizer, experiment, tag, text and metric', async () => {
    expect((await api.getJson<RunPage>('/api/runs?status=finished')).body.total).toBe(4);
    expect((await api.getJson<RunPage>('/api/runs?status=running,failed')).body.total).toBe(2);
    expect((await api.getJson<RunPage>('/api/runs?status=running&status=failed')).body.total).toBe(2);
    expect(names((await api.getJson<RunPage>('/api/runs?model=vgg11&optimizer=sgd')).body)).toEqual(['vgg11-sgd']);
    expect((await api.getJson<RunPage>('/api/runs?model=vgg16')).body.total).toBe(2);
    expect((await api.getJson<RunPage>('/api/runs?experiment=quickstart')).body.total).toBe(2);
    expect(names((await api.getJson<RunPage>('/api/runs?tag=note=baseline')).body)).toEqual(['vgg11-adam']);
    expect((await api.getJson<RunPage>('/api/runs?tag=sweep')).body.total).toBe(4);
    expect(names((await api.getJson<RunPage>('/api/runs?q=NAN')).body)).toEqual(['quickstart-nan']);
    const best = (await api.getJson<RunPage>(`/api/runs?where=${encodeURIComponent('max(val/accuracy)>=0.85')}`)).body;
    expect(best.total).toBeGreaterThan(0);
    for (const run of best.runs) expect(run.metrics['val/accuracy'].max).toBeGreaterThanOrEqual(0.85);
    const all = (await api.getJson<RunPage>('/api/runs?withMetrics=val/accuracy')).body.runs;
    const expected = all.filter((r) => (r.metrics['val/accuracy']?.max ?? -1) >= 0.85).length;
    expect(best.total).toBe(expected);
  });

  it('sorts by a latest/best metric and by a numeric param', async () => {
    const byBest = (await api.getJson<RunPage>('/api/runs?sort=metric.max:val/accuracy&order=desc')).body.runs;
    const values = byBest.map((r) => r.metrics['val/accuracy']?.max).filter((v): v is number => v !== undefined);
    expect(values.length).toBe(5);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    // Runs without the metric sort last.
    expect(byBest[byBest.length - 1].name).toBe('quickstart-nan');
    const byLr = (await api.getJson<RunPage>('/api/runs?sort=param:optimizer.lr&order=asc')).body.runs;
    const lrs = byLr.map((r) => Number(r.params['optimizer.lr']));
    expect(lrs).toEqual([...lrs].sort((a, b) => a - b));
  });

  it('attaches only the params and metrics asked for', async () => {
    const { body } = await api.getJson<RunPage>('/api/runs?withParams=model.name,optimizer.lr&withMetrics=val/accuracy');
    const run = body.runs.find((r) => r.name === 'vgg16-adam') as RunSummary;
    expect(Object.keys(run.params).sort()).toEqual(['model.name', 'optimizer.lr']);
    expect(Object.keys(run.metrics)).toEqual(['val/accuracy']);
  });

  it('exports the filtered list as CSV', async () => {
    const response = await api.app.inject('/api/runs.csv?status=finished&sort=name&order=asc');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    expect(response.headers['content-disposition']).toContain('attachment');
    const lines = response.body.trim().split('\n');
    expect(lines).toHaveLength(5);
    const header = lines[0].split(',');
    expect(header).toContain('param:optimizer.lr');
    expect(header).toContain('metric.max:val/accuracy');
    const nameColumn = header.indexOf('name');
    expect(lines.slice(1).map((l) => l.split(',')[nameColumn])).toEqual(['vgg11-adam', 'vgg11-sgd', 'vgg16-adam', 'vgg16-sgd']);
  });

  it('answers malformed queries with 400 and a message naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/api/runs?limit=0', /limit.*>= 1/],
      ['/api/runs?limit=5000', /limit.*<= 1000.*5000/],
      ['/api/runs?limit=ten', /limit.*integer/],
      ['/api/runs?stauts=running', /unknown query parameter 'stauts'/],
      // Every status the store knows (a newer store may add one), then the value received.
      ['/api/runs?status=runing', new RegExp(`status.*one of ${RUN_STATUSES.join(', ')}.*runing`)],
      ['/api/runs?sort=bogus', /sort/],
      ['/api/runs?order=up', /order.*asc, desc/],
      ['/api/runs?where=accuracy', /where.*val\/accuracy>0.9/],
      ['/api/runs?where=val/accuracy>high', /where.*number/],
      // One comparison per where: the rest is a syntax error, not part of the key (it used to answer 200, no runs).
      [`/api/runs?where=${encodeURIComponent('val/accuracy>0 OR 1=1')}`, /where.*one comparison.*unexpected 'OR 1=1'/],
      ['/api/runs?pageToken=not-a-token', /token/i],
      ['/api/runs?param=novalue', /param/],
      ['/api/metrics', /missing query parameter 'runs'/],
      [`/api/metrics?runs=${'x'.repeat(80)}`, /runs/],
      ['/api/metrics?runs=ab$cd', /runs/],
      [`/api/metrics?runs=${api.fixture?.ids?.['vgg11-adam'] ?? 'abcd'}&maxPoints=1`, /maxPoints.*>= 2/],
      ['/api/health?x=1', /unknown query parameter 'x'/],
      ['/api/params?runs=abcd&all=maybe', /all.*boolean/],
    ];
    for (const [url, message] of cases) {
      const response = await api.app.inject(url.replace('abcd', api.fixture.ids['vgg11-adam']));
      expect(response.statusCode, url).toBe(400);
      expect(response.json().message, url).toMatch(message);
    }
  });
});
describe('params vs metric', () => {
  type ParamMetric = {
    x: string;
    y: string;
    color: string | null;
    total: number;
    limit: number;
    runs: { id: string; name: string; status: string; x: string | null; color: string | null; last: number | null; min: number | null; max: number | null }[];
  };

  it('returns one compact row per run of the filter: the param, the colour param and the metric summary', async () => {
    const { status, body } = await api.getJson<ParamMetric>('/api/param-metric?x=optimizer.lr&y=val/accuracy&color=model.name&sort=name&order=asc');
    expect(status).toBe(200);
    expect([body.x, body.y, body.color, body.total, body.limit]).toEqual(['optimizer.lr', 'val/accuracy', 'model.name', 6, 1000]);
    expect(body.runs.map((r) => r.name)).toEqual(['quickstart-live', 'quickstart-nan', 'vgg11-adam', 'vgg11-sgd', 'vgg16-adam', 'vgg16-sgd']);
    // Only what the scatter needs: no spec, no other params or metrics.
    expect(Object.keys(body.runs[0]).sort()).toEqual(['color', 'id', 'last', 'max', 'min', 'name', 'status', 'x']);
    const store = openStore(api.fixture.dbFile, { readonly: true });
    try {
      for (const row of body.runs) {
        const run = store.getRun(row.id)!;
        const metric = run.metrics['val/accuracy'];
        expect(row, row.name).toEqual({
          id: run.id,
          name: run.name,
          status: run.status,
          x: run.params['optimizer.lr'] ?? null,
          color: run.params['model.name'] ?? null,
          last: metric?.value ?? null,
          min: metric?.min ?? null,
          max: metric?.max ?? null,
        });
      }
    } finally {
      store.close();
    }
    const nan = body.runs.find((r) => r.name === 'quickstart-nan')!;
    expect([nan.x, nan.last, nan.max]).toEqual(['0.5', null, null]);
    expect(body.runs.find((r) => r.name === 'vgg16-adam')!.x).toBe('0.0001');
  });

  it('takes the run list filters and limit (the first runs of the sorted list; total counts them all)', async () => {
    const { body } = await api.getJson<ParamMetric>('/api/param-metric?x=model.name&y=train/loss&optimizer=adam&status=finished&sort=metric.max:val/accuracy&order=desc&limit=1');
    expect(body.total).toBe(2);
    expect(body.runs.map((r) => [r.name, r.x, r.color])).toEqual([['vgg16-adam', 'vgg16', null]]);
    expect(body.runs[0].min).toBeLessThan(body.runs[0].max!);
  });

  it('answers bad params with 400 naming them', async () => {
    const cases: [string, RegExp][] = [
      ['/api/param-metric?y=val/accuracy', /missing query parameter 'x'/],
      ['/api/param-metric?x=optimizer.lr', /missing query parameter 'y'/],
      ['/api/param-metric?x=optimizer.lr&y=val/accuracy&limit=5000', /limit.*<= 1000.*5000/],
      ['/api/param-metric?x=optimizer.lr&y=val/accuracy&limit=0', /limit.*>= 1/],
      ['/api/param-metric?x=&y=val/accuracy', /'x'/],
      ['/api/param-metric?x=optimizer.lr&y=val/accuracy&colour=model.name', /unknown query parameter 'colour'/],
      ['/api/param-metric?x=optimizer.lr&y=val/accuracy&status=done', /status.*one of/],
      ['/api/param-metric?x=optimizer.lr&y=val/accuracy&where=acc', /where/],
      ['/api/param-metric?x=optimizer.lr&y=val/accuracy&withParams=all', /unknown query parameter 'withParams'/],
    ];
    for (const [url, message] of cases) {
      const response = await api.app.inject(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().message, url).toMatch(message);
    }
  });
});
describe('facets', () => {
  it('counts statuses, models, optimizers and tag keys for the filter menus', async () => {
    const { body } = await api.getJson('/api/facets');
    expect(body.statuses).toEqual(
      expect.arrayContaining([
        { value: 'finished', count: 4 },
        { value: 'running', count: 1 },
        { value: 'failed', count: 1 },
      ]),
    );
    expect(body.models).toEqual([
      { value: 'vgg11', count: 3 },
      { value: 'vgg16', count: 2 },
      { value: 'vgg13', count: 1 },
    ]);
    expect(body.optimizers.map((o: any) => o.value).sort()).toEqual(['adam', 'sgd']);
    expect(body.tagKeys.map((t: any) => t.value).sort()).toEqual(['note', 'sweep']);
  });
});
