/**
 * The tracking server's write API on the wire: paths, request bodies (as JSON Schemas the server validates with), the
 * encodings of what JSON cannot carry, and the headers of artifact files. One definition, imported by the server's
 * routes (packages/dashboard/src/routes/tracking) and by the HTTP client (./client.ts).
 *
 * Every write of a run may carry `attempt` (WriteFence): the server refuses a write of an older attempt with 409.
 * Writes are idempotent, so a client retries any of them until it is acknowledged: metric points are keyed by
 * (run, key, step), params are write-once, tags/status/heartbeat overwrite, a run is created under an id the client
 * chose (a retried create answers the run it made), an artifact file replaces the previous one of its kind.
 */
import type { LogBatchInput, MetricInput, NewArtifact, NewEvaluation, NewRun, ResumeOptions, RunDetails, StoredRunStatus } from '../types.ts';
import { STORED_RUN_STATUSES } from '../validate.ts';

/** Every route of the write API starts with this; the server guards all of them with its token. */
export const TRACKING_PREFIX = '/api/tracking';

export const TRACKING_ROUTES = {
  experiments: `${TRACKING_PREFIX}/experiments`,
  runs: `${TRACKING_PREFIX}/runs`,
  /** GET ?experiment=…&specHash=… -> { run: Run | null } */
  find: `${TRACKING_PREFIX}/find`,
  /** GET -> { id } */
  resolve: `${TRACKING_PREFIX}/resolve/:idOrPrefix`,
  /** GET -> RunDetails (wire-encoded) */
  run: `${TRACKING_PREFIX}/runs/:runId`,
  resume: `${TRACKING_PREFIX}/runs/:runId/resume`,
  batch: `${TRACKING_PREFIX}/runs/:runId/batch`,
  status: `${TRACKING_PREFIX}/runs/:runId/status`,
  heartbeat: `${TRACKING_PREFIX}/runs/:runId/heartbeat`,
  truncate: `${TRACKING_PREFIX}/runs/:runId/truncate`,
  artifacts: `${TRACKING_PREFIX}/runs/:runId/artifacts`,
  /** PUT (upload, body = the file's bytes) and GET (download) */
  artifactFile: `${TRACKING_PREFIX}/runs/:runId/artifacts/:kind/file`,
  evaluations: `${TRACKING_PREFIX}/runs/:runId/evaluations`,
} as const;

/** A route with its `:params` filled in (each encoded). */
export function trackingPath(route: string, params: Record<string, string>): string {
  return route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/** Headers of an artifact file: its sha256 (hex; sent with an upload, answered with a download), the artifact's
 * metadata as JSON (percent-encoded, on upload), and the attempt of a fenced write. */
export const ARTIFACT_HEADERS = { sha256: 'x-vgglab-sha256', metadata: 'x-vgglab-metadata', artifact: 'x-vgglab-artifact' } as const;

/** A job of the queue that a run's attempt belongs to: the server checks with the queue that the caller still holds
 * the job's lock before it creates or resumes the run, so a worker that lost its job cannot start an attempt. */
export interface JobClaim {
  queue: string;
  jobId: string;
  /** The lock token BullMQ gave the worker for this job. */
  token: string;
  /** The worker's lock duration: checking the lock extends it by this much. */
  lockMs: number;
}

// --- what JSON cannot carry: NaN and ±Infinity, sent as strings where a number is expected.

export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(value: number): WireNumber {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

export function decodeNumber(value: WireNumber | null): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return Number.NaN;
}

export type WireMetric = Omit<MetricInput, 'value'> & { value: WireNumber };

// --- request bodies

export interface CreateRunBody {
  run: NewRun & { id: string };
  claim?: JobClaim;
}

export interface ResumeBody extends Pick<ResumeOptions, 'fromStep' | 'fromArtifact' | 'pid' | 'host' | 'processStart'> {
  claim?: JobClaim;
}

export interface BatchBody {
  attempt?: number;
  metrics?: WireMetric[];
  params?: LogBatchInput['params'];
  tags?: LogBatchInput['tags'];
}

export interface StatusBody {
  attempt?: number;
  status: StoredRunStatus;
  endTime?: number;
}

export interface HeartbeatBody {
  attempt?: number;
  pid?: number;
}

export interface TruncateBody {
  attempt?: number;
  step: number;
}

export interface ArtifactBody {
  attempt?: number;
  artifact: NewArtifact;
  replaceKind?: boolean;
}

export type EvaluationBody = NewEvaluation;

export function encodeBatch(batch: LogBatchInput, attempt: number | undefined): BatchBody {
  return {
    ...(attempt === undefined ? {} : { attempt }),
    metrics: (batch.metrics ?? []).map((m) => ({ ...m, value: encodeNumber(m.value) })),
    params: [...(batch.params ?? [])],
    tags: [...(batch.tags ?? [])],
  };
}

export function decodeBatch(body: BatchBody): LogBatchInput {
  return { metrics: (body.metrics ?? []).map((m) => ({ ...m, value: decodeNumber(m.value) })), params: body.params, tags: body.tags };
}

/** RunDetails on the wire: latest values (NaN possible) as WireNumbers. */
export type WireRunDetails = Omit<RunDetails, 'metrics'> & {
  metrics: Record<string, Omit<RunDetails['metrics'][string], 'value'> & { value: WireNumber }>;
};

export function encodeRunDetails(run: RunDetails): WireRunDetails {
  return { ...run, metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, { ...m, value: encodeNumber(m.value) }])) };
}

export function decodeRunDetails(run: WireRunDetails): RunDetails {
  return { ...run, metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, { ...m, value: decodeNumber(m.value) }])) };
}

// --- JSON Schemas of the bodies (the server validates each request with them before the store sees it)

const attempt = { type: 'integer', minimum: 1 } as const;
const key = { type: 'string', minLength: 1, maxLength: 250 } as const;
const keyValues = (max: number) =>
  ({
    type: 'array',
    maxItems: max,
    items: { type: 'object', additionalProperties: false, required: ['key', 'value'], properties: { key, value: { type: 'string' } } },
  }) as const;
const safeInteger = { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } as const;
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] }) as const;

export const runIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['runId'],
  properties: { runId: { type: 'string', minLength: 4, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' } },
} as const;

export const jobClaimSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['queue', 'jobId', 'token', 'lockMs'],
  properties: {
    queue: { type: 'string', minLength: 1, maxLength: 200 },
    jobId: { type: 'string', minLength: 1, maxLength: 300 },
    token: { type: 'string', minLength: 1, maxLength: 200 },
    lockMs: { type: 'integer', minimum: 1000, maximum: 3_600_000 },
  },
} as const;

export const createRunBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['run'],
  properties: {
    run: {
      type: 'object',
      additionalProperties: false,
      required: ['experiment', 'id', 'resolvedSpec', 'specHash'],
      properties: {
        experiment: { anyOf: [key, { type: 'integer', minimum: 1 }] },
        id: { type: 'string', minLength: 1, maxLength: 64 },
        name: { type: 'string', minLength: 1, maxLength: 500 },
        specText: nullable({ type: 'string', maxLength: 1_000_000 }),
        resolvedSpec: {},
        specHash: { type: 'string', minLength: 1, maxLength: 200 },
        seed: nullable(safeInteger),
        gitCommit: nullable({ type: 'string', maxLength: 200 }),
        packageVersions: { type: 'object', additionalProperties: { type: 'string' } },
        backend: nullable({ type: 'string', maxLength: 100 }),
        host: { type: 'string', minLength: 1, maxLength: 255 },
        pid: nullable(safeInteger),
        processStart: nullable({ type: 'string', maxLength: 200 }),
        sweepValues: nullable({ type: 'object' }),
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        startTime: safeInteger,
        command: nullable({ type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 10_000 } }),
        overrides: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 10_000 } },
      },
    },
    claim: jobClaimSchema,
  },
} as const;

export const resumeBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fromStep: safeInteger,
    fromArtifact: key,
    pid: safeInteger,
    host: { type: 'string', minLength: 1, maxLength: 255 },
    processStart: nullable({ type: 'string', maxLength: 200 }),
    claim: jobClaimSchema,
  },
} as const;

export const batchBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    attempt,
    metrics: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'value', 'step'],
        properties: {
          key,
          value: { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] },
          step: safeInteger,
          epoch: nullable({ type: 'number' }),
          timestamp: safeInteger,
        },
      },
    },
    params: keyValues(100),
    tags: keyValues(100),
  },
} as const;

export const statusBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { attempt, status: { type: 'string', enum: [...STORED_RUN_STATUSES] }, endTime: safeInteger },
} as const;

export const heartbeatBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { attempt, pid: safeInteger },
} as const;

export const truncateBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['step'],
  properties: { attempt, step: safeInteger },
} as const;

const newArtifactSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'path'],
  properties: {
    kind: key,
    path: { type: 'string', minLength: 1, maxLength: 4096 },
    step: nullable(safeInteger),
    epoch: nullable({ type: 'number' }),
    metadata: {},
    sha256: nullable({ type: 'string', pattern: '^[0-9a-f]{64}$' }),
    bytes: nullable(safeInteger),
  },
} as const;

export const artifactBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['artifact'],
  properties: { attempt, artifact: newArtifactSchema, replaceKind: { type: 'boolean' } },
} as const;

/** The query of an artifact file upload: the artifact's step and epoch, the file's name, the writer's attempt. */
export const artifactFileQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    attempt,
    step: safeInteger,
    epoch: { type: 'number' },
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  },
} as const;

export const artifactFileParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['runId', 'kind'],
  properties: { ...runIdParamsSchema.properties, kind: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } },
} as const;

export const evaluationBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['dataset', 'accuracy', 'classNames', 'perClass', 'confusionMatrix'],
  properties: {
    dataset: { type: 'string', minLength: 1, maxLength: 4096 },
    checkpoint: nullable({ type: 'string', maxLength: 4096 }),
    step: nullable(safeInteger),
    epoch: nullable({ type: 'number' }),
    accuracy: { type: 'number' },
    classNames: { type: 'array', items: { type: 'string' }, maxItems: 10_000 },
    perClass: { type: 'array', maxItems: 10_000, items: { type: 'object' } },
    confusionMatrix: { type: 'array', maxItems: 10_000, items: { type: 'array', items: { type: 'number' } } },
    extra: { type: 'object' },
    // The images it got wrong (the store checks their shape): paths on the machine that evaluated.
    misclassified: nullable({ type: 'object' }),
  },
} as const;

export const findQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['experiment', 'specHash'],
  properties: { experiment: key, specHash: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const experimentBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: key },
} as const;
