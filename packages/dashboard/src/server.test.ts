import { symlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openStore, type RunPage, type RunSummary } from '@vgglab/store';
import { createServer, seriesColumns, startServer, type PredictFn } from './server.ts';
import { makeFixture, type Fixture } from './testing/fixture.ts';
import { decodeBinarySeries } from './web/binary-series.ts';
import { decodeCompactSeries } from './web/compact-series.ts';

let fixture: Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  fixture = makeFixture();
  app = await createServer({ dbFile: fixture.dbFile });
});

afterAll(async () => {
  await app?.close();
  fixture?.cleanup();
});

async function getJson<T = any>(url: string): Promise<{ status: number; body: T }> {
  const response = await app.inject(url);
  return { status: response.statusCode, body: response.json() as T };
}

const names = (page: RunPage) => page.runs.map((r) => r.name);

describe('run list', () => {
  it('lists every run, newest first, with the total', async () => {
    const { status, body } = await getJson<RunPage>('/api/runs');
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
      const { body }: { body: RunPage } = await getJson<RunPage>(`/api/runs?limit=4${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
      seen.push(...body.runs.map((r) => r.id));
      token = body.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(6);
    expect(seen.sort()).toEqual(Object.values(fixture.ids).sort());
  });

  it('filters by status, model, optimizer, experiment, tag, text and metric', async () => {
    expect((await getJson<RunPage>('/api/runs?status=finished')).body.total).toBe(4);
    expect((await getJson<RunPage>('/api/runs?status=running,failed')).body.total).toBe(2);
    expect((await getJson<RunPage>('/api/runs?status=running&status=failed')).body.total).toBe(2);
    expect(names((await getJson<RunPage>('/api/runs?model=vgg11&optimizer=sgd')).body)).toEqual(['vgg11-sgd']);
    expect((await getJson<RunPage>('/api/runs?model=vgg16')).body.total).toBe(2);
    expect((await getJson<RunPage>('/api/runs?experiment=quickstart')).body.total).toBe(2);
    expect(names((await getJson<RunPage>('/api/runs?tag=note=baseline')).body)).toEqual(['vgg11-adam']);
    expect((await getJson<RunPage>('/api/runs?tag=sweep')).body.total).toBe(4);
    expect(names((await getJson<RunPage>('/api/runs?q=NAN')).body)).toEqual(['quickstart-nan']);
    const best = (await getJson<RunPage>(`/api/runs?where=${encodeURIComponent('max(val/accuracy)>=0.85')}`)).body;
    expect(best.total).toBeGreaterThan(0);
    for (const run of best.runs) expect(run.metrics['val/accuracy'].max).toBeGreaterThanOrEqual(0.85);
    const all = (await getJson<RunPage>('/api/runs?withMetrics=val/accuracy')).body.runs;
    const expected = all.filter((r) => (r.metrics['val/accuracy']?.max ?? -1) >= 0.85).length;
    expect(best.total).toBe(expected);
  });

  it('sorts by a latest/best metric and by a numeric param', async () => {
    const byBest = (await getJson<RunPage>('/api/runs?sort=metric.max:val/accuracy&order=desc')).body.runs;
    const values = byBest.map((r) => r.metrics['val/accuracy']?.max).filter((v): v is number => v !== undefined);
    expect(values.length).toBe(5);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    // Runs without the metric sort last.
    expect(byBest[byBest.length - 1].name).toBe('quickstart-nan');
    const byLr = (await getJson<RunPage>('/api/runs?sort=param:optimizer.lr&order=asc')).body.runs;
    const lrs = byLr.map((r) => Number(r.params['optimizer.lr']));
    expect(lrs).toEqual([...lrs].sort((a, b) => a - b));
  });

  it('attaches only the params and metrics asked for', async () => {
    const { body } = await getJson<RunPage>('/api/runs?withParams=model.name,optimizer.lr&withMetrics=val/accuracy');
    const run = body.runs.find((r) => r.name === 'vgg16-adam') as RunSummary;
    expect(Object.keys(run.params).sort()).toEqual(['model.name', 'optimizer.lr']);
    expect(Object.keys(run.metrics)).toEqual(['val/accuracy']);
  });

  it('exports the filtered list as CSV', async () => {
    const response = await app.inject('/api/runs.csv?status=finished&sort=name&order=asc');
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
      ['/api/runs?status=runing', /status.*one of running, finished, failed, killed.*runing/],
      ['/api/runs?sort=bogus', /sort/],
      ['/api/runs?order=up', /order.*asc, desc/],
      ['/api/runs?where=accuracy', /where.*val\/accuracy>0.9/],
      ['/api/runs?where=val/accuracy>high', /where.*number/],
      ['/api/runs?pageToken=not-a-token', /token/i],
      ['/api/runs?param=novalue', /param/],
      ['/api/metrics', /missing query parameter 'runs'/],
      [`/api/metrics?runs=${'x'.repeat(80)}`, /runs/],
      ['/api/metrics?runs=ab$cd', /runs/],
      [`/api/metrics?runs=${fixture?.ids?.['vgg11-adam'] ?? 'abcd'}&maxPoints=1`, /maxPoints.*>= 2/],
      ['/api/health?x=1', /unknown query parameter 'x'/],
      ['/api/params?runs=abcd&all=maybe', /all.*boolean/],
    ];
    for (const [url, message] of cases) {
      const response = await app.inject(url.replace('abcd', fixture.ids['vgg11-adam']));
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
    const { status, body } = await getJson<ParamMetric>('/api/param-metric?x=optimizer.lr&y=val/accuracy&color=model.name&sort=name&order=asc');
    expect(status).toBe(200);
    expect([body.x, body.y, body.color, body.total, body.limit]).toEqual(['optimizer.lr', 'val/accuracy', 'model.name', 6, 1000]);
    expect(body.runs.map((r) => r.name)).toEqual(['quickstart-live', 'quickstart-nan', 'vgg11-adam', 'vgg11-sgd', 'vgg16-adam', 'vgg16-sgd']);
    // Only what the scatter needs: no spec, no other params or metrics.
    expect(Object.keys(body.runs[0]).sort()).toEqual(['color', 'id', 'last', 'max', 'min', 'name', 'status', 'x']);
    const store = openStore(fixture.dbFile, { readonly: true });
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
    const { body } = await getJson<ParamMetric>('/api/param-metric?x=model.name&y=train/loss&optimizer=adam&status=finished&sort=metric.max:val/accuracy&order=desc&limit=1');
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
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().message, url).toMatch(message);
    }
  });
});

describe('one run', () => {
  it('returns the run with params, tags, latest metrics, evaluations and artifact files', async () => {
    const id = fixture.ids['vgg11-adam'];
    const { status, body } = await getJson(`/api/runs/${id}`);
    expect(status).toBe(200);
    expect(body.name).toBe('vgg11-adam');
    expect(body.params['optimizer.lr']).toBe('0.001');
    expect(body.tags).toEqual({ note: 'baseline', sweep: 'optimizers' });
    expect(body.seed).toBe(0);
    expect(body.gitCommit).toBe('a1b2c3d4e5f6');
    expect(body.backend).toBe('wasm');
    expect(body.specText).toContain('name: vgg11');
    expect(body.metrics['val/accuracy'].count).toBe(5);
    const checkpoint = body.artifacts.find((a: any) => a.kind === 'checkpoint-best');
    expect(checkpoint.files.sort()).toEqual([`${id}/checkpoint-best/model.json`, `${id}/checkpoint-best/weights.bin`]);
    // An artifact outside the runs folder is listed but offers no file to download.
    expect(body.artifacts.find((a: any) => a.kind === 'outside').files).toEqual([]);
  });

  it('accepts a unique id prefix and answers 404 for an unknown run', async () => {
    const id = fixture.ids['vgg16-sgd'];
    expect((await getJson(`/api/runs/${id.slice(0, 12)}`)).body.id).toBe(id);
    const missing = await getJson('/api/runs/ffffffffffffffff');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/ffffffffffffffff/);
  });

  it('returns the confusion matrix with per-class accuracy, or 404 saying how to make one', async () => {
    const { status, body } = await getJson(`/api/runs/${fixture.ids['vgg11-adam']}/confusion-matrix`);
    expect(status).toBe(200);
    expect(body.classNames).toEqual(['circle', 'square', 'triangle', 'star']);
    expect(body.confusionMatrix[2]).toEqual([0, 3, 19, 3]);
    expect(body.perClassAccuracy[2]).toBeCloseTo(19 / 25);
    expect(body.perClassAccuracy[0]).toBeCloseTo(24 / 25);
    const none = await getJson(`/api/runs/${fixture.ids['vgg16-sgd']}/confusion-matrix`);
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/vgglab evaluate --run/);
  });

  it('lists the params that differ between runs, all of them on request', async () => {
    const a = fixture.ids['vgg11-adam'];
    const b = fixture.ids['vgg16-adam'];
    const diff = (await getJson(`/api/params?runs=${a},${b}`)).body;
    expect(diff.runs.map((r: any) => r.name)).toEqual(['vgg11-adam', 'vgg16-adam']);
    expect(diff.params.map((p: any) => p.key).sort()).toEqual(['model.name', 'optimizer.lr']);
    expect(diff.params.find((p: any) => p.key === 'model.name').values).toEqual(['vgg11', 'vgg16']);
    const all = (await getJson(`/api/params?runs=${a},${b}&all=true`)).body;
    expect(all.params.map((p: any) => p.key)).toContain('data.name');
  });
});

describe('metric series', () => {
  it('returns several runs and keys in one request, as columns', async () => {
    const a = fixture.ids['vgg11-adam'];
    const b = fixture.ids['vgg16-sgd'];
    const { status, body } = await getJson(`/api/metrics?runs=${a},${b}&keys=train/loss,val/accuracy`);
    expect(status).toBe(200);
    expect(body.series.map((s: any) => [s.runId, s.key])).toEqual([
      [a, 'train/loss'],
      [a, 'val/accuracy'],
      [b, 'train/loss'],
      [b, 'val/accuracy'],
    ]);
    const loss = body.series[0];
    expect(loss.downsampled).toBe(false);
    expect(loss.step).toHaveLength(25);
    expect(loss.step[0]).toBe(10);
    expect(loss.epoch[24]).toBe(5);
    expect(loss.value).toHaveLength(25);
    expect(typeof body.cursor).toBe('number');
  });

  it('sends series exactly as the store reads them, as columns', async () => {
    const ids = [fixture.ids['vgg11-adam'], fixture.ids['quickstart-nan']];
    const { body } = await getJson(`/api/metrics?runs=${ids.join(',')}&keys=train/loss,val/accuracy`);
    const reader = openStore(fixture.dbFile, { readonly: true });
    try {
      const expected = reader.getMetricSeries({ runIds: ids, keys: ['train/loss', 'val/accuracy'], maxPoints: 1000 });
      expect(body.series).toEqual(JSON.parse(JSON.stringify(expected.map(seriesColumns))));
    } finally {
      reader.close();
    }
  });

  it('downsamples long series keeping each bucket min and max', async () => {
    const id = fixture.ids['vgg11-adam'];
    const full = (await getJson(`/api/metrics?runs=${id}&keys=train/loss`)).body.series[0];
    const small = (await getJson(`/api/metrics?runs=${id}&keys=train/loss&maxPoints=5`)).body.series[0];
    expect(small.downsampled).toBe(true);
    expect(small.totalPoints).toBe(25);
    expect(small.step.length).toBeLessThanOrEqual(5);
    expect(Math.min(...small.min)).toBeCloseTo(Math.min(...full.value), 12);
    expect(Math.max(...small.max)).toBeCloseTo(Math.max(...full.value), 12);
  });

  it('serves changed series fresh after caching them (a run that keeps logging)', async () => {
    const own = makeFixture();
    const server = await createServer({ dbFile: own.dbFile });
    try {
      const id = own.ids['quickstart-live'];
      const url = `/api/metrics?runs=${id}&keys=train/loss`;
      const first = (await server.inject(url)).json().series[0];
      expect((await server.inject(url)).json().series[0]).toEqual(first);
      const writer = openStore(own.dbFile);
      try {
        writer.logBatch(id, { metrics: [{ key: 'train/loss', value: 0.01, step: 5000, epoch: 9 }] });
        const grown = (await server.inject(url)).json().series[0];
        expect(grown.step.length).toBe(first.step.length + 1);
        expect(grown.value.at(-1)).toBe(0.01);
        // Same count and last step, new value: a resumed run re-logging a step.
        writer.logBatch(id, { metrics: [{ key: 'train/loss', value: 0.02, step: 5000, epoch: 9, timestamp: Date.now() + 1000 }] });
        const replaced = (await server.inject(url)).json().series[0];
        expect(replaced.step.length).toBe(first.step.length + 1);
        expect(replaced.value.at(-1)).toBe(0.02);
      } finally {
        writer.close();
      }
    } finally {
      await server.close();
      own.cleanup();
    }
  });

  it('defaults to every key of the runs, and says which values are NaN or infinite', async () => {
    const id = fixture.ids['quickstart-nan'];
    const { body } = await getJson(`/api/metrics?runs=${id}`);
    expect(body.series).toHaveLength(1);
    const s = body.series[0];
    expect(s.value).toEqual([2.3, null, null]);
    expect(s.nonFinite).toEqual({ 1: 'Infinity', 2: 'NaN' });
  });

  it('encoding=compact: same points within float32 precision, exact timestamps, non-finite values named', async () => {
    const ids = [fixture.ids['vgg11-adam'], fixture.ids['quickstart-nan'], fixture.ids['vgg16-sgd']];
    for (const maxPoints of [1000, 5]) {
      const query = `runs=${ids.join(',')}&keys=train/loss,val/accuracy&maxPoints=${maxPoints}`;
      const full = (await app.inject(`/api/metrics?${query}`)).body;
      const compactResponse = await app.inject(`/api/metrics?${query}&encoding=compact`);
      expect(compactResponse.statusCode).toBe(200);
      // Fewer bytes (the 5-bucket case is mostly names and counts, so only the full series are held to it).
      if (maxPoints === 1000) expect(compactResponse.body.length).toBeLessThan(full.length * 0.75);
      const compact = compactResponse.json();
      const expected = JSON.parse(full);
      expect(compact.encoding).toBe('compact');
      expect(expected.encoding).toBe('full');
      expect(compact.series.some((s: any) => s.timestamp === undefined && Array.isArray(s.timestampDelta))).toBe(true);
      expect(compact.series.some((s: any) => s.step === undefined && Array.isArray(s.stepRuns))).toBe(true);
      const float32 = (column: (number | null)[] | undefined) => column?.map((v) => (v === null ? null : Math.fround(v)));
      compact.series.forEach((s: any, i: number) => {
        const want = expected.series[i];
        const got = decodeCompactSeries(s);
        expect(got.timestamp).toEqual(want.timestamp);
        expect(got.step).toEqual(want.step);
        expect(got.epoch).toEqual(want.epoch);
        expect(got.nonFinite).toEqual(want.nonFinite);
        for (const column of ['value', 'min', 'max'] as const) {
          expect(float32(got[column])).toEqual(float32(want[column]));
          // No more digits than float32 needs (9 significant at most).
          for (const v of got[column] ?? []) if (v !== null) expect(String(v).replace(/^-?0?\.?0*|e.*$|\./g, '').length).toBeLessThanOrEqual(9);
        }
      });
    }
    const nan = (await getJson(`/api/metrics?runs=${fixture.ids['quickstart-nan']}&encoding=compact`)).body.series[0];
    expect(nan.value).toEqual([2.3, null, null]);
    expect(nan.nonFinite).toEqual({ 1: 'Infinity', 2: 'NaN' });
  });

  it('encoding=binary decodes to exactly the full encoding (cursor and every column), fresh and from the cache', async () => {
    const ids = Object.values(fixture.ids);
    for (const maxPoints of [1000, 5, 2]) {
      const query = `runs=${ids.join(',')}&keys=train/loss,val/accuracy,absent/key&maxPoints=${maxPoints}`;
      const full = (await app.inject(`/api/metrics?${query}`)).json();
      expect(full.series.some((s: any) => s.nonFinite)).toBe(true);
      if (maxPoints === 5) expect(full.series.some((s: any) => s.downsampled)).toBe(true);
      for (const round of ['fresh', 'cached']) {
        const response = await app.inject(`/api/metrics?${query}&encoding=binary`);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/octet-stream');
        const decoded = decodeBinarySeries(response.rawPayload);
        expect(decoded.encoding).toBe('binary');
        expect(decoded.cursor, round).toBe(full.cursor);
        expect(decoded.series, `${round}, maxPoints ${maxPoints}`).toEqual(full.series);
      }
    }
    const nan = decodeBinarySeries((await app.inject(`/api/metrics?runs=${fixture.ids['quickstart-nan']}&encoding=binary`)).rawPayload).series[0];
    expect(nan.value).toEqual([2.3, null, null]);
    expect(nan.nonFinite).toEqual({ 1: 'Infinity', 2: 'NaN' });
    // Errors stay JSON whatever the encoding.
    const bad = await app.inject('/api/metrics?runs=nope-nope&encoding=binary');
    expect(bad.statusCode).toBe(404);
    expect(bad.json().message).toMatch(/nope-nope/);
  });

  it('stepMin/stepMax: buckets only the points in the range, in every encoding, fresh and from the cache', async () => {
    const ids = [fixture.ids['vgg11-adam'], fixture.ids['vgg16-sgd'], fixture.ids['quickstart-nan']];
    const reader = openStore(fixture.dbFile, { readonly: true });
    try {
      const cases: [number, number | undefined, number | undefined][] = [
        [1000, 50, 120],
        [3, 50, 120],
        [4, 95, undefined],
        [1000, undefined, 40],
        [1000, 100_000, 200_000],
      ];
      for (const [maxPoints, stepMin, stepMax] of cases) {
        const range = `${stepMin === undefined ? '' : `&stepMin=${stepMin}`}${stepMax === undefined ? '' : `&stepMax=${stepMax}`}`;
        const query = `runs=${ids.join(',')}&keys=train/loss,val/accuracy&maxPoints=${maxPoints}${range}`;
        const label = `maxPoints ${maxPoints}${range}`;
        const expected = reader.getMetricSeries({ runIds: ids, keys: ['train/loss', 'val/accuracy'], maxPoints, stepMin, stepMax });
        const full = (await app.inject(`/api/metrics?${query}`)).json();
        expect(full.series, label).toEqual(JSON.parse(JSON.stringify(expected.map(seriesColumns))));
        for (const s of full.series) {
          expect(s.step.every((step: number) => step >= (stepMin ?? -Infinity) && step <= (stepMax ?? Infinity)), label).toBe(true);
        }
        for (const round of ['fresh', 'cached']) {
          const binary = decodeBinarySeries((await app.inject(`/api/metrics?${query}&encoding=binary`)).rawPayload);
          expect(binary.series, `${label} binary ${round}`).toEqual(full.series);
          const compact = (await app.inject(`/api/metrics?${query}&encoding=compact`)).json();
          expect(compact.series.map((c: any) => decodeCompactSeries(c).step), `${label} compact ${round}`).toEqual(full.series.map((f: any) => f.step));
        }
      }
      // The numbers of one case: vgg11-adam logs train/loss every 10 steps from 10 to 250.
      const id = fixture.ids['vgg11-adam'];
      const inRange = (await getJson(`/api/metrics?runs=${id}&keys=train/loss&stepMin=50&stepMax=120`)).body.series[0];
      expect(inRange.step).toEqual([50, 60, 70, 80, 90, 100, 110, 120]);
      expect([inRange.totalPoints, inRange.downsampled]).toEqual([8, false]);
      const bucketed = (await getJson(`/api/metrics?runs=${id}&keys=train/loss&stepMin=50&stepMax=120&maxPoints=3`)).body.series[0];
      expect([bucketed.totalPoints, bucketed.downsampled, bucketed.step.length]).toEqual([8, true, 3]);
      expect(Math.max(...bucketed.max)).toBe(Math.max(...inRange.value));
      const beyond = (await getJson(`/api/metrics?runs=${id}&keys=train/loss&stepMin=100000`)).body.series[0];
      expect([beyond.totalPoints, beyond.downsampled, beyond.step]).toEqual([0, false, []]);
      // The range is part of the cache key: the whole series, then a range, then the whole series again.
      const whole = `/api/metrics?runs=${id}&keys=train/loss&encoding=binary`;
      expect(decodeBinarySeries((await app.inject(whole)).rawPayload).series[0]!.step).toHaveLength(25);
      expect(decodeBinarySeries((await app.inject(`${whole}&stepMin=50&stepMax=120`)).rawPayload).series[0]!.step).toEqual(inRange.step);
      expect(decodeBinarySeries((await app.inject(whole)).rawPayload).series[0]!.step).toHaveLength(25);
    } finally {
      reader.close();
    }
  });

  it('answers a bad step range with a 400 naming the parameter', async () => {
    const id = fixture.ids['vgg11-adam'];
    const cases: [string, RegExp][] = [
      ['stepMin=abc', /query parameter 'stepMin' must be integer, received 'abc'/],
      ['stepMax=1.5', /query parameter 'stepMax' must be integer/],
      ['stepMin=1e300', /query parameter 'stepMin' must be <= 9007199254740991/],
      ['stepMin=10&stepMax=9', /query parameter 'stepMin' must not exceed 'stepMax', received stepMin 10 and stepMax 9/],
      ['stepMin=1&stepMin=2', /stepMin/],
      ['stepmin=1', /unknown query parameter 'stepmin'/],
    ];
    for (const [params, message] of cases) {
      for (const encoding of ['full', 'binary']) {
        const response = await app.inject(`/api/metrics?runs=${id}&keys=train/loss&${params}&encoding=${encoding}`);
        expect(response.statusCode, params).toBe(400);
        expect(response.json().message, params).toMatch(message);
      }
    }
  });

  it('rejects an unknown encoding with a 400 naming it', async () => {
    const { status, body } = await getJson(`/api/metrics?runs=${fixture.ids['vgg11-adam']}&encoding=gzip`);
    expect(status).toBe(400);
    expect(body.message).toMatch(/encoding/);
  });

  it('exports metric points as CSV with NaN and infinities spelled out', async () => {
    const response = await app.inject(`/api/metrics.csv?runs=${fixture.ids['quickstart-nan']}`);
    expect(response.statusCode).toBe(200);
    const lines = response.body.trim().split('\n');
    expect(lines[0]).toBe('run_id,run_name,key,step,epoch,timestamp,value');
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.split(',').pop())).toEqual(['value', '2.3', 'inf', 'nan']);
  });

  it('lists metric keys of the chosen runs', async () => {
    const { body } = await getJson(`/api/metric-keys?runs=${fixture.ids['quickstart-nan']}`);
    expect(body.keys).toEqual(['train/loss']);
  });

  it('answers 404 for a series of an unknown run', async () => {
    const response = await getJson('/api/metrics?runs=0123456789abcdef');
    expect(response.status).toBe(404);
  });
});

describe('facets', () => {
  it('counts statuses, models, optimizers and tag keys for the filter menus', async () => {
    const { body } = await getJson('/api/facets');
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

describe('files', () => {
  const secret = 'TOP-SECRET';

  it('serves a checkpoint file of the run', async () => {
    const id = fixture.ids['vgg11-adam'];
    const response = await app.inject(`/api/runs/${id}/files/${id}/checkpoint-best/model.json`);
    expect(response.statusCode).toBe(200);
    expect(response.json().format).toBe('layers-model');
    expect(response.headers['content-disposition']).toBe('attachment; filename="model.json"');
  });

  it('refuses every path that leaves the runs folder or is not an artifact of the run', async () => {
    const id = fixture.ids['vgg11-adam'];
    const other = fixture.ids['vgg16-adam'];
    const link = join(fixture.runsDir, id, 'checkpoint-best', 'escape.txt');
    symlinkSync(fixture.secretFile, link);
    const attempts = [
      `/api/runs/${id}/files/..%2fsecret.txt`,
      `/api/runs/${id}/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
      `/api/runs/${id}/files/${id}%2f..%2f..%2fsecret.txt`,
      `/api/runs/${id}/files/%2Fetc%2Fpasswd`,
      `/api/runs/${id}/files/${encodeURIComponent(fixture.secretFile)}`,
      `/api/runs/${id}/files/..%5csecret.txt`,
      `/api/runs/${id}/files/${id}/checkpoint-best/escape.txt`,
      `/api/runs/${id}/files/${id}/not-an-artifact.txt`,
      `/api/runs/${id}/files/vgglab.db`,
      `/api/runs/${other}/files/${id}/checkpoint-best/model.json`,
      `/api/runs/${id}/files/${id}/checkpoint-best/model.json%00.txt`,
    ];
    for (const url of attempts) {
      const response = await app.inject(url);
      expect([400, 403, 404], url).toContain(response.statusCode);
      expect(response.body, url).not.toContain(secret);
      expect(response.body, url).not.toContain('SQLite format');
    }
  });

  it('serves the page but nothing outside its build folder', async () => {
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');
    const attempts = [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/assets/..%2f..%2fpackage.json',
      '/..%5cpackage.json',
      '/assets/%2e%2e/%2e%2e/src/server.ts',
      `/${'..%2f'.repeat(8)}etc/passwd`,
      '/.gitignore',
    ];
    for (const url of attempts) {
      const response = await app.inject(url);
      expect(response.statusCode, url).not.toBe(200);
      expect(response.body, url).not.toContain('@vgglab/dashboard');
      expect(response.body, url).not.toContain('root:x:0');
      expect(response.body, url).not.toContain('createServer');
    }
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const response = await app.inject('/api/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.json().message).toMatch(/no API route GET \/api\/nothing-here/);
  });
});

describe('predict', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  it('answers 501 with a clear message when no predict function was given', async () => {
    const response = await app.inject({
      method: 'POST',
      url: `/api/runs/${fixture.ids['vgg11-adam']}/predict`,
      headers: { 'content-type': 'image/png' },
      payload: png,
    });
    expect(response.statusCode).toBe(501);
    expect(response.json().message).toMatch(/vgglab serve/);
  });

  describe('with a predict function', () => {
    let withPredict: FastifyInstance;
    const calls: { runId: string; bytes: number }[] = [];
    const predict: PredictFn = async (runId, imageBytes) => {
      calls.push({ runId, bytes: imageBytes.length });
      if (imageBytes[0] !== 0x89) throw Object.assign(new Error('not a PNG or JPEG image'), { statusCode: 422 });
      return [
        { label: 'circle', probability: 0.1 },
        { label: 'star', probability: 0.6 },
        { label: 'square', probability: 0.25 },
        { label: 'triangle', probability: 0.05 },
      ];
    };

    beforeAll(async () => {
      withPredict = await createServer({ dbFile: fixture.dbFile, predict, predictMaxBytes: 1024 });
    });
    afterAll(async () => {
      await withPredict?.close();
    });

    it('passes the full run id and image bytes, and returns the top classes by probability', async () => {
      const id = fixture.ids['vgg11-adam'];
      const response = await withPredict.inject({
        method: 'POST',
        url: `/api/runs/${id.slice(0, 8)}/predict?top=2`,
        headers: { 'content-type': 'image/png' },
        payload: png,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().predictions).toEqual([
        { label: 'star', probability: 0.6 },
        { label: 'square', probability: 0.25 },
      ]);
      expect(calls.at(-1)).toEqual({ runId: id, bytes: png.length });
    });

    it('answers 413 for an image over the size limit, before calling predict', async () => {
      const before = calls.length;
      const response = await withPredict.inject({
        method: 'POST',
        url: `/api/runs/${fixture.ids['vgg11-adam']}/predict`,
        headers: { 'content-type': 'image/jpeg' },
        payload: Buffer.alloc(4096, 1),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().message).toMatch(/1024 bytes/);
      expect(calls.length).toBe(before);
    });

    it('rejects other content types (415), an empty body (400), bad top (400) and passes predict errors on', async () => {
      const url = `/api/runs/${fixture.ids['vgg11-adam']}/predict`;
      const json = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(json.statusCode).toBe(415);
      expect(json.json().message).toMatch(/image\/png/);
      const empty = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(0) });
      expect(empty.statusCode).toBe(400);
      const top = await withPredict.inject({ method: 'POST', url: `${url}?top=0`, headers: { 'content-type': 'image/png' }, payload: png });
      expect(top.statusCode).toBe(400);
      const notImage = await withPredict.inject({ method: 'POST', url, headers: { 'content-type': 'image/png' }, payload: Buffer.from('hello') });
      expect(notImage.statusCode).toBe(422);
      expect(notImage.json().message).toMatch(/not a PNG/);
      const unknownRun = await withPredict.inject({ method: 'POST', url: '/api/runs/ffffffffffff/predict', headers: { 'content-type': 'image/png' }, payload: png });
      expect(unknownRun.statusCode).toBe(404);
    });
  });
});

describe('server', () => {
  it('opens the store read-only', () => {
    expect(app.runStore.readonly).toBe(true);
  });

  it('on a loopback address, refuses requests for another host name (DNS rebinding)', async () => {
    const local = await createServer({ dbFile: fixture.dbFile, loopbackOnly: true });
    try {
      for (const host of ['127.0.0.1:6006', 'localhost:6006', '[::1]:6006', 'localhost']) {
        expect((await local.inject({ url: '/api/health', headers: { host } })).statusCode, host).toBe(200);
      }
      for (const host of ['evil.example', 'evil.example:6006', '127.0.0.1.evil.example']) {
        const response = await local.inject({ url: '/api/runs', headers: { host } });
        expect(response.statusCode, host).toBe(403);
        expect(response.json().message).toMatch(/this machine only/);
      }
    } finally {
      await local.close();
    }
  });

  it('starts on 127.0.0.1 by default and serves the page over HTTP', async () => {
    const { app: started, url } = await startServer({ dbFile: fixture.dbFile, port: 0 });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((started.server.address() as { address: string }).address).toBe('127.0.0.1');
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const runs = await fetch(`${url}api/runs?limit=1`);
      expect(((await runs.json()) as RunPage).total).toBe(6);
    } finally {
      await started.close();
    }
  });

  it('refuses a missing db file with a message saying what to do', async () => {
    await expect(createServer({ dbFile: join(fixture.dir, 'nope.db') })).rejects.toThrow(/no run store at .*nope\.db.*--db/);
  });
});

/** Opens a server-sent event stream and collects its events. */
async function openStream(port: number, path: string) {
  const events: { event: string; data: any }[] = [];
  let buffer = '';
  const request = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream' } });
  await new Promise<void>((resolve, reject) => {
    request.on('response', (response) => {
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/event-stream');
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve();
    });
    request.on('error', reject);
    request.end();
  });
  return { events, close: () => request.destroy() };
}

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !predicate(); i++) await new Promise((r) => setTimeout(r, 30));
  expect(predicate()).toBe(true);
}

describe('live stream', () => {
  it('sends new points of the watched runs and their status changes', async () => {
    // Its own store: this test writes to it.
    const own = makeFixture();
    const live = await createServer({ dbFile: own.dbFile, livePollMs: 40 });
    await live.listen({ host: '127.0.0.1', port: 0 });
    const port = (live.server.address() as { port: number }).port;
    const runId = own.ids['quickstart-live'];
    const other = own.ids['vgg16-sgd'];
    const watched = await openStream(port, `/api/live?runs=${runId}`);
    const runEvents = await openStream(port, '/api/live?metrics=false');
    const writer = openStore(own.dbFile);
    try {
      await waitFor(() => watched.events.some((e) => e.event === 'ready') && runEvents.events.some((e) => e.event === 'ready'));
      writer.logBatch(runId, {
        metrics: [
          { key: 'train/loss', value: 0.42, step: 1000, epoch: 3 },
          { key: 'train/loss', value: NaN, step: 1010, epoch: 3 },
        ],
      });
      writer.logBatch(other, { metrics: [{ key: 'train/loss', value: 9, step: 5000 }] });
      await waitFor(() => watched.events.some((e) => e.event === 'metrics'));
      const points = watched.events.filter((e) => e.event === 'metrics').flatMap((e) => e.data.points);
      expect(points.map((p: any) => [p.runId, p.step, p.value, p.nonFinite])).toEqual([
        [runId, 1000, 0.42, undefined],
        [runId, 1010, null, 'NaN'],
      ]);
      writer.setRunStatus(runId, 'finished');
      await waitFor(() => watched.events.some((e) => e.event === 'runs'));
      expect(watched.events.find((e) => e.event === 'runs')!.data.changed).toEqual([
        expect.objectContaining({ id: runId, status: 'finished' }),
      ]);
      // The run-events-only stream saw the status change and a new run, and no metric points.
      const started = writer.createRun({ specHash: 'test-spec', experiment: 'quickstart', name: 'new', resolvedSpec: {} });
      await waitFor(() => runEvents.events.some((e) => e.event === 'runs' && e.data.changed.some((c: any) => c.id === started.id)));
      const changes = runEvents.events.filter((e) => e.event === 'runs').flatMap((e) => e.data.changed);
      expect(changes).toEqual([
        expect.objectContaining({ id: runId, status: 'finished' }),
        expect.objectContaining({ id: started.id, status: 'running' }),
      ]);
      expect(runEvents.events.some((e) => e.event === 'metrics')).toBe(false);
    } finally {
      writer.close();
      watched.close();
      runEvents.close();
      await live.close();
      own.cleanup();
    }
  });
});
