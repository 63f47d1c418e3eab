/**
 * Runs over the write API: experiments, create (idempotent under the id the client chose), resume (a new attempt),
 * status, heartbeat, batches (one transaction each), truncation, artifact records, evaluations; and the reads a
 * training process needs (a run, an id from a prefix, a run by spec hash). Writes carry the writer's attempt; the
 * store refuses an older one (409) in the write's own transaction.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import {
  type ArtifactBody,
  type BatchBody,
  type CreateRunBody,
  type EvaluationBody,
  type HeartbeatBody,
  type JobClaim,
  type ResumeBody,
  type Run,
  type StatusBody,
  StoreError,
  type TruncateBody,
  TRACKING_ROUTES,
  artifactBodySchema,
  batchBodySchema,
  createRunBodySchema,
  decodeBatch,
  encodeRunDetails,
  evaluationBodySchema,
  experimentBodySchema,
  findQuerySchema,
  heartbeatBodySchema,
  resumeBodySchema,
  runIdParamsSchema,
  statusBodySchema,
  truncateBodySchema,
} from '@vgglab/store';

type RunParams = { Params: { runId: string } };

/** A worker may start an attempt of its job's run only while it holds the job's lock. */
async function checkClaim(app: FastifyInstance, claim: JobClaim | undefined): Promise<void> {
  if (!claim) return;
  if (!app.queueView) {
    throw Object.assign(new Error('this tracking server has no queue (start it with --redis) and cannot check the job lock a worker sends'), { statusCode: 400 });
  }
  if (!(await app.queueView.holdsLock(claim))) {
    throw new StoreError('CONFLICT', `job ${claim.jobId} is no longer held by this worker (its lock expired and another worker may have it): the attempt was not started`);
  }
}

export const trackingRunRoutes: FastifyPluginAsync = async (app) => {
  const store = app.tracking!.store;
  const params = { params: runIdParamsSchema };

  app.post<{ Body: { name: string } }>(TRACKING_ROUTES.experiments, { schema: { body: experimentBodySchema } }, async (request) =>
    store.createExperiment(request.body.name),
  );

  app.post<{ Body: CreateRunBody }>(TRACKING_ROUTES.runs, { schema: { body: createRunBodySchema } }, async (request): Promise<Run> => {
    const { run, claim } = request.body;
    await checkClaim(app, claim);
    try {
      return store.createRun(run);
    } catch (error) {
      // A retried create (its answer was lost): the run it made is the answer.
      const existing = error instanceof StoreError && error.code === 'CONFLICT' ? store.getRun(run.id) : undefined;
      if (existing && existing.specHash === run.specHash && existing.attempt === 1) {
        const { params: _p, tags: _t, metrics: _m, artifacts: _a, evaluations: _e, durationMs: _d, ...asRun } = existing;
        return asRun;
      }
      throw error;
    }
  });

  app.get<RunParams>(TRACKING_ROUTES.run, { schema: params }, async (request) => {
    const run = store.getRun(request.params.runId);
    if (!run) throw new StoreError('NOT_FOUND', `no run '${request.params.runId}'`);
    return encodeRunDetails(run);
  });

  app.get<{ Params: { idOrPrefix: string } }>(TRACKING_ROUTES.resolve, async (request) => ({ id: store.resolveRunId(request.params.idOrPrefix) }));

  app.get<{ Querystring: { experiment: string; specHash: string } }>(TRACKING_ROUTES.find, { schema: { querystring: findQuerySchema } }, async (request) => ({
    run: store.findRunBySpecHash(request.query.experiment, request.query.specHash) ?? null,
  }));

  app.post<RunParams & { Body: ResumeBody }>(TRACKING_ROUTES.resume, { schema: { ...params, body: resumeBodySchema } }, async (request) => {
    const { claim, ...options } = request.body;
    await checkClaim(app, claim);
    return store.resumeRun(request.params.runId, options);
  });

  app.post<RunParams & { Body: BatchBody }>(TRACKING_ROUTES.batch, { schema: { ...params, body: batchBodySchema } }, async (request) => {
    store.logBatch(request.params.runId, decodeBatch(request.body), { attempt: request.body.attempt });
    return { ok: true };
  });

  app.post<RunParams & { Body: StatusBody }>(TRACKING_ROUTES.status, { schema: { ...params, body: statusBodySchema } }, async (request) => {
    const { status, ...options } = request.body;
    store.setRunStatus(request.params.runId, status, options);
    return { ok: true };
  });

  app.post<RunParams & { Body: HeartbeatBody }>(TRACKING_ROUTES.heartbeat, { schema: { ...params, body: heartbeatBodySchema } }, async (request) => {
    store.heartbeat(request.params.runId, request.body.pid, { attempt: request.body.attempt });
    return { ok: true };
  });

  app.post<RunParams & { Body: TruncateBody }>(TRACKING_ROUTES.truncate, { schema: { ...params, body: truncateBodySchema } }, async (request) => ({
    deleted: store.deleteMetricsAfter(request.params.runId, request.body.step, { attempt: request.body.attempt }),
  }));

  app.post<RunParams & { Body: ArtifactBody }>(TRACKING_ROUTES.artifacts, { schema: { ...params, body: artifactBodySchema } }, async (request) =>
    store.logArtifact(request.params.runId, request.body.artifact, { attempt: request.body.attempt, replaceKind: request.body.replaceKind }),
  );

  app.post<RunParams & { Body: EvaluationBody }>(TRACKING_ROUTES.evaluations, { schema: { ...params, body: evaluationBodySchema } }, async (request) =>
    store.logEvaluation(request.params.runId, request.body),
  );
};
