/**
 * The dashboard server: fastify over a read-only run store, serving the built page and the JSON API.
 * Every route declares its params and querystring schemas; validation errors become a 400 naming the parameter.
 */
import { createReadStream, existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import {
  metricsCsv,
  openStore,
  runListCsv,
  StoreError,
  type MetricColumns,
  type MetricSeries,
  type PackedMetricColumns,
  type RunStore,
  type StoreErrorCode,
} from '@vgglab/store';
import { ensurePageBuilt, defaultDistDir } from './build-page.ts';
import { DASHBOARD_DEFAULTS } from './defaults.ts';
import { artifactFiles, checkArtifactFile } from './files.ts';
import { LiveHub } from './live.ts';
import { SeriesCache } from './series-cache.ts';
import { encodeSeriesColumns, joinBinarySeries, type EncodedSeries } from './web/binary-series.ts';
import { arithmeticRuns, DELTA_COLUMNS, float32Column, integerDeltas, RUN_COLUMNS } from './web/compact-series.ts';
import { BadQueryError, splitCommaLists, toRunListQuery, type RunFilterQuerystring, type RunListQuerystring } from './query.ts';
import * as schemas from './schemas.ts';
import { describeValidationError } from './validation.ts';

/** One class of a prediction, as the runner's predict returns it. */
export interface Prediction {
  label: string;
  probability: number;
}

/** Runs a run's checkpoint on one encoded image (PNG, JPEG, …). Provided by the runner (`vgglab serve`): the
 * dashboard never imports model code. Throw an error with `statusCode` 4xx for a bad image or missing checkpoint. */
export type PredictFn = (runId: string, imageBytes: Buffer) => Promise<Prediction[]>;

export interface DashboardOptions {
  /** The run store's SQLite file. It must exist: the dashboard opens it read-only. */
  dbFile: string;
  /** Folder whose artifact files may be served. Defaults to the db file's folder (where the runner writes). */
  runsDir?: string;
  /** Built page to serve. Defaults to packages/dashboard/dist, built with Vite at start when missing or stale. */
  distDir?: string;
  predict?: PredictFn;
  /** Largest accepted image for predict. Defaults to 10 MiB. */
  predictMaxBytes?: number;
  /** How often live streams poll the store. Defaults to 1000 ms. */
  livePollMs?: number;
  /** Memory for serialised series reused across requests. Defaults to 64 MiB; 0 turns the cache off. */
  seriesCacheBytes?: number;
  /** fastify's logger: off by default (tests); the CLI turns it on. */
  logger?: boolean;
  /** Build the page at start when it is missing or stale. Defaults to true for the default distDir. */
  buildPage?: boolean;
  /** Answer only requests whose Host header names this machine (localhost, 127.0.0.1, [::1]), so a web page
   * cannot read the API through DNS rebinding. startServer turns it on when listening on a loopback address. */
  loopbackOnly?: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a Host header (`127.0.0.1:6006` -> `127.0.0.1`, `[::1]:80` -> `[::1]`). */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  const host = header.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0];
}

export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

declare module 'fastify' {
  interface FastifyInstance {
    runStore: RunStore;
    liveHub: LiveHub;
  }
}

const STORE_ERROR_STATUS: Record<StoreErrorCode, number> = {
  BATCH_LIMIT: 400,
  INVALID: 400,
  NOT_FOUND: 404,
  AMBIGUOUS: 400,
  CONFLICT: 409,
  READONLY: 403,
  SCHEMA: 500,
  PERMISSION: 500,
};

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'application/octet-stream'];

/** `full`: JSON, values and timestamps as stored; `compact`: JSON, float32 values, timestamps as deltas, steps/epochs as
 * runs (web/compact-series.ts); `binary`: the store's float64 columns as bytes (web/binary-series.ts). */
export type SeriesEncoding = 'full' | 'compact' | 'binary';

/** One series of the `binary` encoding, from the store's typed arrays without a per-value step in JavaScript. */
export function binarySeries(packed: PackedMetricColumns): EncodedSeries {
  const { runId, key, totalPoints, downsampled, step, epoch, timestamp, value, min, max } = packed;
  const { columns, bytes } = encodeSeriesColumns(downsampled && min && max ? { step, epoch, timestamp, value, min, max } : { step, epoch, timestamp, value });
  return { meta: { runId, key, totalPoints, downsampled, length: step.length, columns }, bytes };
}

/** What the series cache holds: a series' JSON text, or its binary encoding. */
type CachedSeries = string | EncodedSeries;
const cachedSize = (entry: CachedSeries): number => (typeof entry === 'string' ? entry.length : entry.bytes.byteLength + 200);

/** Name of a non-finite value, for `nonFinite` (JSON has no NaN or ±Inf: columns carry null there). */
function nonFiniteName(value: number): 'NaN' | 'Infinity' | '-Infinity' {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/**
 * The JSON of one series as columns (compact; what uPlot takes): runId, key, totalPoints, downsampled, step, epoch,
 * timestamp, value, then min/max for downsampled series, and `nonFinite` (index -> 'NaN' | 'Infinity' |
 * '-Infinity') when some values are not finite. The store's arrays go to JSON.stringify as they are (it writes
 * NaN and ±Inf as null): no copy, no object per point.
 */
export function columnsJson(columns: MetricColumns, encoding: 'full' | 'compact' = 'full'): string {
  const { runId, key, totalPoints, downsampled, step, epoch, timestamp, value } = columns;
  const out: Record<string, unknown> = { runId, key, totalPoints, downsampled, step, epoch, timestamp, value };
  if (downsampled) {
    out.min = columns.min ?? [];
    out.max = columns.max ?? [];
  }
  if (encoding === 'compact') {
    // See web/compact-series.ts: float32 values, integer timestamps as deltas, steps/epochs as runs (all restore what the page shows).
    for (const name of DELTA_COLUMNS) {
      const deltas = integerDeltas(columns[name]);
      if (!deltas) continue;
      delete out[name];
      out[`${name}Start`] = deltas.start;
      out[`${name}Delta`] = deltas.delta;
    }
    for (const name of RUN_COLUMNS) {
      const runs = arithmeticRuns(columns[name]);
      if (!runs) continue;
      delete out[name];
      out[`${name}Runs`] = runs;
    }
    out.value = float32Column(value);
    if (downsampled) {
      out.min = float32Column(columns.min ?? []);
      out.max = float32Column(columns.max ?? []);
    }
  }
  let nonFinite: Record<number, string> | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    // v - v is NaN exactly for NaN and ±Infinity
    if (v - v !== 0) (nonFinite ??= {})[i] = nonFiniteName(v);
  }
  if (nonFinite) out.nonFinite = nonFinite;
  return JSON.stringify(out);
}

/** The same JSON from the store's point objects (getMetricSeries). */
export function seriesColumns(series: MetricSeries): Record<string, unknown> {
  const { points } = series;
  const columns: MetricColumns = {
    runId: series.runId,
    key: series.key,
    totalPoints: series.totalPoints,
    downsampled: series.downsampled,
    step: points.map((p) => p.step),
    epoch: points.map((p) => p.epoch),
    timestamp: points.map((p) => p.timestamp),
    value: points.map((p) => p.value),
    min: points.map((p) => p.min),
    max: points.map((p) => p.max),
  };
  return JSON.parse(columnsJson(columns)) as Record<string, unknown>;
}

/**
 * A version stamp per metric key of a run (point count, last step, last write time): it changes whenever the
 * run's series changes (new points, or points replaced after a resume), so cached series can be reused.
 */
function seriesVersions(store: RunStore, runId: string): Map<string, string> {
  const latest = store.getLatestMetrics(runId);
  return new Map(Object.values(latest).map((m) => [m.key, `${m.count}:${m.step}:${m.timestamp}`]));
}

function attachmentHeader(fileName: string): string {
  const safe = fileName.replace(/[^\w.-]+/g, '_');
  return `attachment; filename="${safe}"`;
}

export async function createServer(options: DashboardOptions): Promise<FastifyInstance> {
  const dbFile = resolve(options.dbFile);
  if (!existsSync(dbFile)) {
    throw new Error(
      `no run store at ${dbFile}: run an experiment first (npm run quickstart), or pass --db <file> / set VGGLAB_DB`,
    );
  }
  const runsDir = realpathSync(resolve(options.runsDir ?? dirname(dbFile)));
  const distDir = resolve(options.distDir ?? defaultDistDir);
  const predictMaxBytes = options.predictMaxBytes ?? DASHBOARD_DEFAULTS.predictMaxBytes;

  const app = Fastify({
    logger: options.logger ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, verbose: true } },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeValidationError(errors, dataVar)),
  });

  if (options.buildPage ?? distDir === defaultDistDir) {
    await ensurePageBuilt((line) => app.log.info(line));
  }
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error(`the dashboard page is not built: no index.html in ${distDir} (run npx nx run dashboard:build)`);
  }

  const store = openStore(dbFile, { readonly: true });
  app.decorate('runStore', store);
  const hub = new LiveHub(store, options.livePollMs ?? DASHBOARD_DEFAULTS.livePollMs, (error) =>
    app.log.error({ err: error }, 'live poll failed'),
  );
  app.decorate('liveHub', hub);
  const seriesCache = new SeriesCache<CachedSeries>(options.seriesCacheBytes ?? DASHBOARD_DEFAULTS.seriesCacheBytes, cachedSize);
  app.addHook('onClose', async () => {
    hub.close();
    store.close();
  });

  if (options.loopbackOnly) {
    app.addHook('onRequest', async (request, reply) => {
      const host = hostName(request.headers.host);
      if (!isLoopbackAddress(host)) {
        return reply.code(403).send({
          statusCode: 403,
          error: 'Forbidden',
          message: `the dashboard listens on this machine only; Host '${request.headers.host ?? ''}' is refused (start it with --host to serve other addresses)`,
        });
      }
    });
  }

  // Comma-separated lists become arrays before validation.
  app.addHook('preValidation', async (request) => {
    if (request.query && typeof request.query === 'object') splitCommaLists(request.query as Record<string, unknown>);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: error.message });
    }
    if (error instanceof StoreError) {
      const statusCode = STORE_ERROR_STATUS[error.code] ?? 500;
      return reply.code(statusCode).send({ statusCode, error: error.code, message: error.message });
    }
    const statusCode = error.statusCode ?? 500;
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `image too large: the limit is ${predictMaxBytes} bytes`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content type '${request.headers['content-type'] ?? ''}': send the image bytes as ${IMAGE_TYPES.join(', ')}`
          : statusCode >= 500
            ? `internal error: ${error.message}`
            : error.message;
    return reply.code(statusCode).send({ statusCode, error: error.name, message });
  });

  // Images for predict arrive as raw bytes; the only body this server accepts.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: predictMaxBytes }, (_request, body, done) =>
    done(null, body),
  );

  /** Full run id from an id or prefix; StoreError NOT_FOUND/AMBIGUOUS become 404/400. */
  const runIdOf = (idOrPrefix: string) => store.resolveRunId(idOrPrefix);

  app.get('/api/health', { schema: { querystring: schemas.emptyQuery } }, async () => ({
    ok: true,
    dbFile,
    schemaVersion: store.schemaVersion,
    predict: options.predict !== undefined,
  }));

  app.get('/api/experiments', { schema: { querystring: schemas.emptyQuery } }, async () => ({
    experiments: store.listExperiments(),
  }));

  app.get('/api/facets', { schema: { querystring: schemas.emptyQuery } }, async () => store.getRunFacets());

  app.get<{ Querystring: RunListQuerystring }>(
    '/api/runs',
    { schema: { querystring: schemas.runListQuery } },
    async (request) => store.listRuns(toRunListQuery(request.query)),
  );

  app.get<{ Querystring: RunFilterQuerystring & { x: string; y: string; color?: string; limit: number } }>(
    '/api/param-metric',
    { schema: { querystring: schemas.paramMetricQuery } },
    async (request) => {
      const { x, y, color, limit, ...filters } = request.query;
      // One page of the run list carrying only the two params and the metric (latest, min and max per run).
      const page = store.listRuns({
        ...toRunListQuery(filters),
        limit,
        includeParams: color === undefined ? [x] : [x, color],
        includeMetrics: [y],
      });
      const finiteOrNull = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
      return {
        x,
        y,
        color: color ?? null,
        total: page.total,
        limit,
        runs: page.runs.map((run) => {
          const metric = run.metrics[y];
          return {
            id: run.id,
            name: run.name,
            status: run.status,
            x: run.params[x] ?? null,
            color: color === undefined ? null : (run.params[color] ?? null),
            last: finiteOrNull(metric?.value),
            min: finiteOrNull(metric?.min),
            max: finiteOrNull(metric?.max),
          };
        }),
      };
    },
  );

  app.get<{ Querystring: RunFilterQuerystring }>(
    '/api/runs.csv',
    { schema: { querystring: schemas.runListCsvQuery } },
    async (request, reply) => {
      const query = toRunListQuery(request.query);
      // The export reads on its own connection: a streamed query keeps its connection busy between chunks.
      const exportStore = openStore(dbFile, { readonly: true });
      const stream = Readable.from(runListCsv(exportStore, query));
      stream.on('close', () => exportStore.close());
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', attachmentHeader('vgglab-runs.csv'));
      return reply.send(stream);
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/api/runs/:runId',
    { schema: { params: schemas.runIdParams, querystring: schemas.emptyQuery } },
    async (request) => {
      const run = store.getRun(runIdOf(request.params.runId));
      if (!run) throw new StoreError('NOT_FOUND', `no run '${request.params.runId}'`);
      return {
        ...run,
        artifacts: run.artifacts.map((artifact) => ({ ...artifact, files: artifactFiles(runsDir, artifact) })),
      };
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { evaluation?: number } }>(
    '/api/runs/:runId/confusion-matrix',
    { schema: { params: schemas.runIdParams, querystring: schemas.confusionQuery } },
    async (request, reply) => {
      const runId = runIdOf(request.params.runId);
      const evaluations = store.listEvaluations(runId);
      const wanted = request.query.evaluation;
      const evaluation = wanted === undefined ? evaluations[0] : evaluations.find((e) => e.id === wanted);
      if (!evaluation) {
        return reply.code(404).send({
          statusCode: 404,
          error: 'Not Found',
          message:
            wanted === undefined
              ? `run '${runId}' has no evaluation yet: run \`vgglab evaluate --run ${runId}\``
              : `run '${runId}' has no evaluation ${wanted}`,
        });
      }
      const perClassAccuracy = evaluation.confusionMatrix.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0);
        return total === 0 ? null : row[i] / total;
      });
      return { ...evaluation, perClassAccuracy, evaluations: evaluations.map((e) => ({ id: e.id, dataset: e.dataset, createdAt: e.createdAt })) };
    },
  );

  app.get<{ Params: { runId: string; '*': string } }>(
    '/api/runs/:runId/files/*',
    { schema: { params: schemas.fileParams, querystring: schemas.emptyQuery } },
    async (request, reply) => {
      const runId = runIdOf(request.params.runId);
      const check = checkArtifactFile(runsDir, store.listArtifacts(runId), request.params['*']);
      if (!check.ok) {
        return reply.code(check.statusCode).send({ statusCode: check.statusCode, error: 'File refused', message: check.message });
      }
      reply.header('content-type', check.path.endsWith('.json') ? 'application/json' : 'application/octet-stream');
      reply.header('content-length', check.size);
      reply.header('content-disposition', attachmentHeader(basename(check.path)));
      return reply.send(createReadStream(check.path));
    },
  );

  app.get<{ Querystring: { runs: string[]; keys?: string[]; maxPoints: number; stepMin?: number; stepMax?: number; encoding: SeriesEncoding } }>(
    '/api/metrics',
    { schema: { querystring: schemas.seriesQuery } },
    async (request, reply) => {
      const { maxPoints, stepMin, stepMax, encoding } = request.query;
      if (stepMin !== undefined && stepMax !== undefined && stepMin > stepMax) {
        throw new BadQueryError(`query parameter 'stepMin' must not exceed 'stepMax', received stepMin ${stepMin} and stepMax ${stepMax}`);
      }
      // The cursor is read first: a live stream opened with `after=cursor` then misses nothing.
      const cursor = store.lastMetricId();
      const runIds = request.query.runs.map(runIdOf);
      const keys = request.query.keys ?? store.listMetricKeys(runIds);
      const range = { stepMin, stepMax };
      const cacheKey = (runId: string, key: string) => `${SeriesCache.key(runId, key, maxPoints, range)}\u0000${encoding}`;
      // Series whose version stamp is unchanged come from the cache; the rest are read per run in one call.
      const parts: CachedSeries[] = [];
      for (const runId of runIds) {
        const versions = seriesVersions(store, runId);
        const found = new Map<string, CachedSeries>();
        for (const key of keys) {
          const cached = seriesCache.get(cacheKey(runId, key), versions.get(key));
          if (cached !== undefined) found.set(key, cached);
        }
        const missing = keys.filter((key) => !found.has(key));
        if (missing.length > 0) {
          const query = { runIds: [runId], keys: missing, maxPoints, stepMin, stepMax };
          const read: [string, CachedSeries][] =
            encoding === 'binary'
              ? store.getPackedMetricColumns(query).map((packed) => [packed.key, binarySeries(packed)])
              : store.getMetricColumns(query).map((columns) => [columns.key, columnsJson(columns, encoding)]);
          for (const [key, encoded] of read) {
            found.set(key, encoded);
            seriesCache.set(cacheKey(runId, key), versions.get(key), encoded);
          }
        }
        for (const key of keys) parts.push(found.get(key)!);
      }
      if (encoding === 'binary') {
        const body = joinBinarySeries(cursor, parts as EncodedSeries[]);
        return reply.type('application/octet-stream').send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      }
      // Sent as bytes: a 1.6 MB string costs fastify/node noticeably more to write than one Buffer.
      return reply.type('application/json; charset=utf-8').send(Buffer.from(`{"cursor":${cursor},"encoding":"${encoding}","series":[${parts.join(',')}]}`));
    },
  );

  app.get<{ Querystring: { runs: string[]; keys?: string[] } }>(
    '/api/metrics.csv',
    { schema: { querystring: schemas.metricsCsvQuery } },
    async (request, reply) => {
      const runIds = request.query.runs.map(runIdOf);
      const exportStore = openStore(dbFile, { readonly: true });
      const stream = Readable.from(metricsCsv(exportStore, { runIds, keys: request.query.keys }));
      stream.on('close', () => exportStore.close());
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', attachmentHeader('vgglab-metrics.csv'));
      return reply.send(stream);
    },
  );

  app.get<{ Querystring: { runs?: string[] } }>(
    '/api/metric-keys',
    { schema: { querystring: schemas.runsOnlyQuery } },
    async (request) => ({ keys: store.listMetricKeys(request.query.runs?.map(runIdOf)) }),
  );

  app.get<{ Querystring: { runs?: string[] } }>(
    '/api/param-keys',
    { schema: { querystring: schemas.runsOnlyQuery } },
    async (request) => ({ keys: store.listParamKeys(request.query.runs?.map(runIdOf)) }),
  );

  app.get<{ Querystring: { runs: string[]; all: boolean } }>(
    '/api/params',
    { schema: { querystring: schemas.paramsDiffQuery } },
    async (request) => {
      const runIds = request.query.runs.map(runIdOf);
      const runs = runIds.map((id) => {
        const run = store.getRun(id);
        if (!run) throw new StoreError('NOT_FOUND', `no run '${id}'`);
        return run;
      });
      const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
      const rows = keys
        .map((key) => ({ key, values: runs.map((r) => r.params[key] ?? null) }))
        .filter((row) => request.query.all || new Set(row.values).size > 1);
      return { runs: runs.map((r) => ({ id: r.id, name: r.name })), params: rows };
    },
  );

  app.get<{ Querystring: { runs?: string[]; keys?: string[]; after?: number; metrics: boolean } }>(
    '/api/live',
    { schema: { querystring: schemas.liveQuery } },
    async (request, reply) => {
      const runIds = request.query.runs?.map(runIdOf);
      const lastEventId = Number(request.headers['last-event-id']);
      const after = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : request.query.after;
      reply.hijack();
      hub.open(reply.raw, { runIds, keys: request.query.keys, after, metrics: request.query.metrics });
    },
  );

  app.post<{ Params: { runId: string }; Querystring: { top: number }; Body: Buffer }>(
    '/api/runs/:runId/predict',
    { schema: { params: schemas.runIdParams, querystring: schemas.predictQuery }, bodyLimit: predictMaxBytes },
    async (request, reply) => {
      const runId = runIdOf(request.params.runId);
      if (!options.predict) {
        return reply.code(501).send({
          statusCode: 501,
          error: 'Not Implemented',
          message: 'predict needs the model code: start the dashboard with `vgglab serve`, which provides it',
        });
      }
      const image = request.body;
      if (!Buffer.isBuffer(image) || image.length === 0) {
        throw new BadQueryError(`send the image bytes as the request body (${IMAGE_TYPES.join(', ')})`);
      }
      const predictions = await options.predict(runId, image);
      const top = [...predictions].sort((a, b) => b.probability - a.probability).slice(0, request.query.top);
      return { runId, predictions: top };
    },
  );

  app.all('/api/*', { schema: { querystring: { type: 'object' } } }, async (request, reply) =>
    reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no API route ${request.method} ${request.url.split('?')[0]}` }),
  );

  await app.register(fastifyStatic, {
    root: distDir,
    prefix: '/',
    index: ['index.html'],
    dotfiles: 'deny',
    setHeaders: (reply, path) => {
      // Hashed assets never change; the page itself is always revalidated.
      reply.header('cache-control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });

  return app;
}

export interface StartOptions {
  dbFile: string;
  port?: number;
  /** Defaults to 127.0.0.1: another address only when asked. */
  host?: string;
  predict?: PredictFn;
  runsDir?: string;
  logger?: boolean;
}

/** Starts the dashboard and resolves once it listens. */
export async function startServer(options: StartOptions): Promise<{ app: FastifyInstance; url: string }> {
  const host = options.host ?? DASHBOARD_DEFAULTS.host;
  const app = await createServer({
    dbFile: options.dbFile,
    predict: options.predict,
    runsDir: options.runsDir,
    logger: options.logger,
    loopbackOnly: isLoopbackAddress(host.toLowerCase()),
  });
  await app.listen({ host, port: options.port ?? DASHBOARD_DEFAULTS.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { app, url: `http://${shownHost}:${port}/` };
}
