import { describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { seriesColumns } from '../series/encode.ts';
import { createServer } from '../server/create.ts';
import { makeFixture } from '../testing/fixture.ts';
import { testServer } from '../testing/server.ts';
import { decodeBinarySeries } from '../wire/binary-series.ts';
import { decodeCompactSeries } from '../wire/compact-series.ts';

const api = testServer();

describe('metric series', () => {
  it('returns several runs and keys in one request, as columns', async () => {
    const a = api.fixture.ids['vgg11-adam'];
    const b = api.fixture.ids['vgg16-sgd'];
    const { status, body } = await api.getJson(`/api/metrics?runs=${a},${b}&keys=train/loss,val/accuracy`);
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
    const ids = [api.fixture.ids['vgg11-adam'], api.fixture.ids['quickstart-nan']];
    const { body } = await api.getJson(`/api/metrics?runs=${ids.join(',')}&keys=train/loss,val/accuracy`);
    const reader = openStore(api.fixture.dbFile, { readonly: true });
    try {
      const expected = reader.getMetricSeries({ runIds: ids, keys: ['train/loss', 'val/accuracy'], maxPoints: 1000 });
      expect(body.series).toEqual(JSON.parse(JSON.stringify(expected.map(seriesColumns))));
    } finally {
      reader.close();
    }
  });

  it('downsamples long series keeping each bucket min and max', async () => {
    const id = api.fixture.ids['vgg11-adam'];
    const full = (await api.getJson(`/api/metrics?runs=${id}&keys=train/loss`)).body.series[0];
    const small = (await api.getJson(`/api/metrics?runs=${id}&keys=train/loss&maxPoints=5`)).body.series[0];
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
    const id = api.fixture.ids['quickstart-nan'];
    const { body } = await api.getJson(`/api/metrics?runs=${id}`);
    expect(body.series).toHaveLength(1);
    const s = body.series[0];
    expect(s.value).toEqual([2.3, null, null]);
    expect(s.nonFinite).toEqual({ 1: 'Infinity', 2: 'NaN' });
  });

  it('encoding=compact: same points within float32 precision, exact timestamps, non-finite values named', async () => {
    const ids = [api.fixture.ids['vgg11-adam'], api.fixture.ids['quickstart-nan'], api.fixture.ids['vgg16-sgd']];
    for (const maxPoints of [1000, 5]) {
      const query = `runs=${ids.join(',')}&keys=train/loss,val/accuracy&maxPoints=${maxPoints}`;
      const full = (await api.app.inject(`/api/metrics?${query}`)).body;
      const compactResponse = await api.app.inject(`/api/metrics?${query}&encoding=compact`);
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
    const nan = (await api.getJson(`/api/metrics?runs=${api.fixture.ids['quickstart-nan']}&encoding=compact`)).body.series[0];
    expect(nan.value).toEqual([2.3, null, null]);
    expect(nan.nonFinite).toEqual({ 1: 'Infinity', 2: 'NaN' });
  });

  it('encoding=binary decodes to exactly the full encoding (cursor and every column), fresh and from the cache', async () => {
    const ids = Object.values(api.fixture.ids);
    for (const maxPoints of [1000, 5, 2]) {
      const query = `runs=${ids.join(',')}&keys=train/loss,val/accuracy,absent/key&maxPoints=${maxPoints}`;
      const full = (await api.app.inject(`/api/metrics?${query}`)).json();
      expect(full.series.some((s: any) => s.nonFinite)).toBe(true);
      if (maxPoints === 5) expect(full.series.some((s: any) => s.downsampled)).toBe(true);
      for (const round of ['fresh', 'cached']) {
        const response = await api.app.inject(`/api/metrics?${query}&encoding=binary`);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/octet-stream');
        const decoded = decodeBinarySeries(response.rawPayload);
        expect(decoded.encoding).toBe('binary');
        expect(decoded.cursor, round).toBe(full.cursor);
        expect(decoded.series, `${round}, maxPoints ${maxPoints}`).toEqual(full.series);
      }
    }
    const nan = decodeBinarySeries((await api.app.inject(`/api/metrics?runs=${api.fixture.ids['quickstart-nan']}&encoding=binary`)).rawPayload).series[0];
    expect(nan.value).toEqual([2.3, null, null]);
    expect(nan.nonFinite).toEqual({ 1: 'Infinity', 2: 'NaN' });
    // Errors stay JSON whatever the encoding.
    const bad = await api.app.inject('/api/metrics?runs=nope-nope&encoding=binary');
    expect(bad.statusCode).toBe(404);
    expect(bad.json().message).toMatch(/nope-nope/);
  });

  it('stepMin/stepMax: buckets only the points in the range, in every encoding, fresh and from the cache', async () => {
    const ids = [api.fixture.ids['vgg11-adam'], api.fixture.ids['vgg16-sgd'], api.fixture.ids['quickstart-nan']];
    const reader = openStore(api.fixture.dbFile, { readonly: true });
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
        const full = (await api.app.inject(`/api/metrics?${query}`)).json();
        expect(full.series, label).toEqual(JSON.parse(JSON.stringify(expected.map(seriesColumns))));
        for (const s of full.series) {
          expect(s.step.every((step: number) => step >= (stepMin ?? -Infinity) && step <= (stepMax ?? Infinity)), label).toBe(true);
        }
        for (const round of ['fresh', 'cached']) {
          const binary = decodeBinarySeries((await api.app.inject(`/api/metrics?${query}&encoding=binary`)).rawPayload);
          expect(binary.series, `${label} binary ${round}`).toEqual(full.series);
          const compact = (await api.app.inject(`/api/metrics?${query}&encoding=compact`)).json();
          expect(compact.series.map((c: any) => decodeCompactSeries(c).step), `${label} compact ${round}`).toEqual(full.series.map((f: any) => f.step));
        }
      }
      // The numbers of one case: vgg11-adam logs train/loss every 10 steps from 10 to 250.
      const id = api.fixture.ids['vgg11-adam'];
      const inRange = (await api.getJson(`/api/metrics?runs=${id}&keys=train/loss&stepMin=50&stepMax=120`)).body.series[0];
      expect(inRange.step).toEqual([50, 60, 70, 80, 90, 100, 110, 120]);
      expect([inRange.totalPoints, inRange.downsampled]).toEqual([8, false]);
      const bucketed = (await api.getJson(`/api/metrics?runs=${id}&keys=train/loss&stepMin=50&stepMax=120&maxPoints=3`)).body.series[0];
      expect([bucketed.totalPoints, bucketed.downsampled, bucketed.step.length]).toEqual([8, true, 3]);
      expect(Math.max(...bucketed.max)).toBe(Math.max(...inRange.value));
      const beyond = (await api.getJson(`/api/metrics?runs=${id}&keys=train/loss&stepMin=100000`)).body.series[0];
      expect([beyond.totalPoints, beyond.downsampled, beyond.step]).toEqual([0, false, []]);
      // The range is part of the cache key: the whole series, then a range, then the whole series again.
      const whole = `/api/metrics?runs=${id}&keys=train/loss&encoding=binary`;
      expect(decodeBinarySeries((await api.app.inject(whole)).rawPayload).series[0]!.step).toHaveLength(25);
      expect(decodeBinarySeries((await api.app.inject(`${whole}&stepMin=50&stepMax=120`)).rawPayload).series[0]!.step).toEqual(inRange.step);
      expect(decodeBinarySeries((await api.app.inject(whole)).rawPayload).series[0]!.step).toHaveLength(25);
    } finally {
      reader.close();
    }
  });

  it('answers a bad step range with a 400 naming the parameter', async () => {
    const id = api.fixture.ids['vgg11-adam'];
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
        const response = await api.app.inject(`/api/metrics?runs=${id}&keys=train/loss&${params}&encoding=${encoding}`);
        expect(response.statusCode, params).toBe(400);
        expect(response.json().message, params).toMatch(message);
      }
    }
  });

  it('rejects an unknown encoding with a 400 naming it', async () => {
    const { status, body } = await api.getJson(`/api/metrics?runs=${api.fixture.ids['vgg11-adam']}&encoding=gzip`);
    expect(status).toBe(400);
    expect(body.message).toMatch(/encoding/);
  });

  it('exports metric points as CSV with NaN and infinities spelled out', async () => {
    const response = await api.app.inject(`/api/metrics.csv?runs=${api.fixture.ids['quickstart-nan']}`);
    expect(response.statusCode).toBe(200);
    const lines = response.body.trim().split('\n');
    expect(lines[0]).toBe('run_id,run_name,key,step,epoch,timestamp,value');
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.split(',').pop())).toEqual(['value', '2.3', 'inf', 'nan']);
  });

  it('lists metric keys of the chosen runs', async () => {
    const { body } = await api.getJson(`/api/metric-keys?runs=${api.fixture.ids['quickstart-nan']}`);
    expect(body.keys).toEqual(['train/loss']);
  });

  it('answers 404 for a series of an unknown run', async () => {
    const response = await api.getJson('/api/metrics?runs=0123456789abcdef');
    expect(response.status).toBe(404);
  });
});
