/** Routes of metric series: several runs x keys in one call (three encodings, cached), the CSV export, and keys. */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { metricsCsv, type RunReader } from '@vgglab/store';
import { BadQueryError } from '../query.ts';
import * as schemas from '../schemas.ts';
import { SeriesCache } from '../series/cache.ts';
import { binarySeries, columnsJson, type CachedSeries, type SeriesEncoding } from '../series/encode.ts';
import { joinBinarySeries, type EncodedSeries } from '../wire/binary-series.ts';
import { runIdOf, sendCsv } from './reply.ts';

interface SeriesQuerystring {
  runs: string[];
  keys?: string[];
  maxPoints: number;
  stepMin?: number;
  stepMax?: number;
  encoding: SeriesEncoding;
}

/**
 * A version stamp per metric key of a run (point count, last step, last write time): it changes whenever the
 * run's series changes (new points, or points replaced after a resume), so cached series can be reused.
 */
function seriesVersions(store: RunReader, runId: string): Map<string, string> {
  const latest = store.getLatestMetrics(runId);
  return new Map(Object.values(latest).map((m) => [m.key, `${m.count}:${m.step}:${m.timestamp}`]));
}

/** The encoded series of one run's keys, in key order: those whose version stamp is unchanged from the cache, the
 * rest read in one store call (and cached). */
function runSeries(app: FastifyInstance, runId: string, keys: string[], query: Omit<SeriesQuerystring, 'runs' | 'keys'>): CachedSeries[] {
  const { maxPoints, stepMin, stepMax, encoding } = query;
  const cache = app.seriesCache;
  const cacheKey = (key: string) => `${SeriesCache.key(runId, key, maxPoints, { stepMin, stepMax })}\u0000${encoding}`;
  const versions = seriesVersions(app.runStore, runId);
  const found = new Map<string, CachedSeries>();
  for (const key of keys) {
    const cached = cache.get(cacheKey(key), versions.get(key));
    if (cached !== undefined) found.set(key, cached);
  }
  const missing = keys.filter((key) => !found.has(key));
  if (missing.length > 0) {
    const read = { runIds: [runId], keys: missing, maxPoints, stepMin, stepMax };
    const encoded: [string, CachedSeries][] =
      encoding === 'binary'
        ? app.runStore.getPackedMetricColumns(read).map((packed) => [packed.key, binarySeries(packed)])
        : app.runStore.getMetricColumns(read).map((columns) => [columns.key, columnsJson(columns, encoding)]);
    for (const [key, series] of encoded) {
      found.set(key, series);
      cache.set(cacheKey(key), versions.get(key), series);
    }
  }
  return keys.map((key) => found.get(key)!);
}

export const metricRoutes: FastifyPluginAsync = async (app) => {
  const store = app.runStore;

  app.get<{ Querystring: SeriesQuerystring }>('/api/metrics', { schema: { querystring: schemas.seriesQuery } }, async (request, reply) => {
    const { runs, keys: askedKeys, ...query } = request.query;
    const { stepMin, stepMax, encoding } = query;
    if (stepMin !== undefined && stepMax !== undefined && stepMin > stepMax) {
      throw new BadQueryError(`query parameter 'stepMin' must not exceed 'stepMax', received stepMin ${stepMin} and stepMax ${stepMax}`);
    }
    // The cursor is read first: a live stream opened with `after=cursor` then misses nothing.
    const cursor = store.lastMetricId();
    const runIds = runs.map((id) => runIdOf(app, id));
    const keys = askedKeys ?? store.listMetricKeys(runIds);
    const parts = runIds.flatMap((runId) => runSeries(app, runId, keys, query));
    if (encoding === 'binary') {
      const body = joinBinarySeries(cursor, parts as EncodedSeries[]);
      return reply.type('application/octet-stream').send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    }
    // Sent as bytes: a 1.6 MB string costs fastify/node noticeably more to write than one Buffer.
    return reply.type('application/json; charset=utf-8').send(Buffer.from(`{"cursor":${cursor},"encoding":"${encoding}","series":[${parts.join(',')}]}`));
  });

  app.get<{ Querystring: { runs: string[]; keys?: string[] } }>(
    '/api/metrics.csv',
    { schema: { querystring: schemas.metricsCsvQuery } },
    async (request, reply) => {
      const runIds = request.query.runs.map((id) => runIdOf(app, id));
      return sendCsv(app, reply, 'vgglab-metrics.csv', (reader) => metricsCsv(reader, { runIds, keys: request.query.keys }));
    },
  );

  app.get<{ Querystring: { runs?: string[] } }>('/api/metric-keys', { schema: { querystring: schemas.runsOnlyQuery } }, async (request) => ({
    keys: store.listMetricKeys(request.query.runs?.map((id) => runIdOf(app, id))),
  }));

  app.get<{ Querystring: { runs?: string[] } }>('/api/param-keys', { schema: { querystring: schemas.runsOnlyQuery } }, async (request) => ({
    keys: store.listParamKeys(request.query.runs?.map((id) => runIdOf(app, id))),
  }));
};
