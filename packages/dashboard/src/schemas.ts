/**
 * JSON schemas of every route's params, querystring and body (fastify validates them with its own ajv). Lists
 * are repeated parameters (`runs=a&runs=b`) or comma-separated (`runs=a,b`), or both.
 */
import { MAX_NOTE_LENGTH, MAX_RUN_NAME_LENGTH, RUN_STATUSES } from '@vgglab/store';
import { DASHBOARD_DEFAULTS } from './defaults.ts';

/** A run id, or a unique prefix of one (at least 4 characters; the store resolves it). */
const runId = { type: 'string', minLength: 4, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' } as const;
const metricKey = { type: 'string', minLength: 1, maxLength: 250 } as const;
const stringList = (item: object, maxItems = 100) => ({ type: 'array', items: item, maxItems }) as const;

export const runIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['runId'],
  properties: { runId },
} as const;

export const RUN_COLUMNS = ['startTime', 'endTime', 'duration', 'name', 'status', 'experiment', 'id'] as const;
const sortPattern = `^(${RUN_COLUMNS.join('|')}|param:.+|metric:.+|metric\\.min:.+|metric\\.max:.+)$`;

/** The run list's filters and sort, shared by the JSON list and its CSV export. */
const runFilterProperties = {
  q: { type: 'string', maxLength: 200, description: 'Case-insensitive text in id, name, experiment, model, optimizer or a tag value.' },
  // The store's statuses, whatever they are (a newer store adds `crashed`): one list, not a copy.
  status: stringList({ type: 'string', enum: [...RUN_STATUSES] }, RUN_STATUSES.length),
  experiment: { type: 'string', minLength: 1, maxLength: 250 },
  model: { type: 'string', minLength: 1, maxLength: 250 },
  optimizer: { type: 'string', minLength: 1, maxLength: 250 },
  tag: stringList({ type: 'string', minLength: 1, maxLength: 500, description: '`key` (has the tag) or `key=value`' }, 20),
  param: stringList({ type: 'string', minLength: 3, maxLength: 500, pattern: '^[^=]+=', description: '`key=value`' }, 20),
  where: stringList(
    { type: 'string', minLength: 3, maxLength: 300, description: '`val/accuracy>0.9`, `max(val/accuracy)>=0.9`, `min(val/loss)<0.5`' },
    20,
  ),
  sort: { type: 'string', maxLength: 260, pattern: sortPattern },
  order: { type: 'string', enum: ['asc', 'desc'] },
  brush: stringList(
    {
      type: 'string',
      minLength: 2,
      maxLength: 20_000,
      description: 'JSON: {"param":"optimizer.lr","min":0.001,"max":0.01}, {"param":"model.name","values":["vgg11"]}, {"metric":"val/accuracy","of":"max","min":0.9}',
    },
    20,
  ),
  starred: { type: 'boolean', description: 'Only starred runs (true) or only the others (false).' },
} as const;

export const runListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...runFilterProperties,
    limit: { type: 'integer', minimum: 1, maximum: DASHBOARD_DEFAULTS.maxPageSize, default: DASHBOARD_DEFAULTS.pageSize },
    pageToken: { type: 'string', minLength: 1, maxLength: 2000 },
    withParams: stringList({ type: 'string', minLength: 1, maxLength: 250, description: 'param keys, or `all`' }),
    withMetrics: stringList({ type: 'string', minLength: 1, maxLength: 250, description: 'metric keys, or `all`' }),
  },
} as const;

/** How many of a filter's runs a whole-filter view reads: the first of the sorted list, at most a page. */
const firstRunsLimit = {
  type: 'integer',
  minimum: 1,
  maximum: DASHBOARD_DEFAULTS.maxPageSize,
  default: DASHBOARD_DEFAULTS.maxPageSize,
  description: 'At most this many runs: the first of the filtered list in its sort order.',
} as const;

/** Params vs metric across the runs of a filter: one row per run, just what a scatter needs. */
export const paramMetricQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['x', 'y'],
  properties: {
    ...runFilterProperties,
    x: { type: 'string', minLength: 1, maxLength: 250, description: 'Param key on the x axis, e.g. `optimizer.lr`.' },
    y: { ...metricKey, description: 'Metric key whose latest, min and max are returned, e.g. `val/accuracy`.' },
    color: { type: 'string', minLength: 1, maxLength: 250, description: 'Param key to colour by (its value per run).' },
    limit: firstRunsLimit,
  },
} as const;

export const runListCsvQuery = {
  type: 'object',
  additionalProperties: false,
  properties: runFilterProperties,
} as const;

export const seriesQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['runs'],
  properties: {
    runs: stringList(runId, DASHBOARD_DEFAULTS.maxRunsPerRequest),
    keys: stringList(metricKey, DASHBOARD_DEFAULTS.maxKeysPerRequest),
    maxPoints: {
      type: 'integer',
      minimum: 2,
      maximum: DASHBOARD_DEFAULTS.maxPointsLimit,
      default: DASHBOARD_DEFAULTS.maxPoints,
    },
    stepMin: {
      type: 'integer',
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Only points at this step or later (a zoomed chart asks for its range); bucketed as a whole series is.',
    },
    stepMax: {
      type: 'integer',
      minimum: -Number.MAX_SAFE_INTEGER,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Only points at this step or earlier; at least stepMin.',
    },
    encoding: {
      type: 'string',
      enum: ['full', 'compact', 'binary'],
      default: 'full',
      description:
        'binary: columns as little-endian bytes, values exact (the page asks so; wire/binary-series.ts); ' +
        'compact: JSON with float32 values, timestamps as timestampStart + timestampDelta, steps/epochs as runs.',
    },
  },
} as const;

export const metricsCsvQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['runs'],
  properties: {
    runs: stringList(runId, DASHBOARD_DEFAULTS.maxRunsPerRequest),
    keys: stringList(metricKey, DASHBOARD_DEFAULTS.maxKeysPerRequest),
  },
} as const;

export const runsOnlyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    runs: stringList(runId, DASHBOARD_DEFAULTS.maxRunsPerRequest),
  },
} as const;

export const paramsDiffQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['runs'],
  properties: {
    runs: stringList(runId, DASHBOARD_DEFAULTS.maxRunsPerRequest),
    all: { type: 'boolean', default: false, description: 'Also list params equal in every run.' },
  },
} as const;

export const liveQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    runs: stringList(runId, DASHBOARD_DEFAULTS.maxRunsPerRequest),
    keys: stringList(metricKey, DASHBOARD_DEFAULTS.maxKeysPerRequest),
    after: { type: 'integer', minimum: 0, description: 'Metric cursor to resume from (as /api/metrics returns).' },
    metrics: { type: 'boolean', default: true, description: 'false: only run events (the run table listens so).' },
  },
} as const;

export const confusionQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    evaluation: { type: 'integer', minimum: 1, description: 'Evaluation id; the newest when omitted.' },
  },
} as const;

export const predictQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    top: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
  },
} as const;

export const fileParams = {
  type: 'object',
  additionalProperties: false,
  required: ['runId', '*'],
  properties: {
    runId,
    '*': { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

export const emptyQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/** `/api/compare`: a few runs side by side. */
export const compareQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['runs'],
  properties: { runs: stringList(runId, DASHBOARD_DEFAULTS.maxRunsPerRequest) },
} as const;

/** `/api/param-space`: the run list's filters and sort, a metric, and how many runs. */
export const paramSpaceQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['metric'],
  properties: {
    ...runFilterProperties,
    metric: { ...metricKey, description: 'Metric whose latest, min and max are returned per run, e.g. `val/accuracy`.' },
    limit: firstRunsLimit,
  },
} as const;

/** PATCH `/api/runs/:runId`: what a user changes about a run (the store checks it again, naming the field). */
export const runEditBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: MAX_RUN_NAME_LENGTH },
    note: { type: 'string', maxLength: MAX_NOTE_LENGTH },
    starred: { type: 'boolean' },
    tags: {
      type: 'object',
      additionalProperties: false,
      properties: {
        set: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 100 },
        remove: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 250 }, maxItems: 100 },
      },
    },
  },
} as const;

/** An evaluation of a run. */
export const evaluationParams = {
  type: 'object',
  additionalProperties: false,
  required: ['runId', 'evaluationId'],
  properties: { runId, evaluationId: { type: 'integer', minimum: 1 } },
} as const;

export const evaluationFileParams = {
  type: 'object',
  additionalProperties: false,
  required: ['runId', 'evaluationId', '*'],
  properties: { runId, evaluationId: { type: 'integer', minimum: 1 }, '*': { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

/** One cell of a confusion matrix: true class row, predicted class column. */
export const cellQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['true', 'predicted'],
  properties: {
    true: { type: 'integer', minimum: 0, maximum: 100_000 },
    predicted: { type: 'integer', minimum: 0, maximum: 100_000 },
  },
} as const;
