/** Routes of one run (or a few): details, confusion matrix, artifact files, and the params that differ. */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { StoreError } from '@vgglab/store';
import { artifactFiles, checkArtifactFile } from '../files.ts';
import * as schemas from '../schemas.ts';
import type { ConfusionJson, ParamsDiff, RunDetailsJson } from '../wire/api-json.ts';
import { attachmentHeader, runIdOf } from './reply.ts';

type RunParams = { runId: string };

export const runRoutes: FastifyPluginAsync = async (app) => {
  const store = app.runStore;

  app.get<{ Params: RunParams }>(
    '/api/runs/:runId',
    { schema: { params: schemas.runIdParams, querystring: schemas.emptyQuery } },
    async (request): Promise<RunDetailsJson> => {
      const run = store.getRun(runIdOf(app, request.params.runId));
      if (!run) throw new StoreError('NOT_FOUND', `no run '${request.params.runId}'`);
      const { runsDir } = app.dashboard;
      return { ...run, artifacts: run.artifacts.map((artifact) => ({ ...artifact, files: artifactFiles(runsDir, artifact) })) };
    },
  );

  app.get<{ Params: RunParams; Querystring: { evaluation?: number } }>(
    '/api/runs/:runId/confusion-matrix',
    { schema: { params: schemas.runIdParams, querystring: schemas.confusionQuery } },
    async (request, reply): Promise<ConfusionJson> => {
      const runId = runIdOf(app, request.params.runId);
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

  app.get<{ Params: RunParams & { '*': string } }>(
    '/api/runs/:runId/files/*',
    { schema: { params: schemas.fileParams, querystring: schemas.emptyQuery } },
    async (request, reply) => {
      const runId = runIdOf(app, request.params.runId);
      const check = checkArtifactFile(app.dashboard.runsDir, store.listArtifacts(runId), request.params['*']);
      if (!check.ok) {
        return reply.code(check.statusCode).send({ statusCode: check.statusCode, error: 'File refused', message: check.message });
      }
      reply.header('content-type', check.path.endsWith('.json') ? 'application/json' : 'application/octet-stream');
      reply.header('content-length', check.size);
      reply.header('content-disposition', attachmentHeader(basename(check.path)));
      return reply.send(createReadStream(check.path));
    },
  );

  app.get<{ Querystring: { runs: string[]; all: boolean } }>(
    '/api/params',
    { schema: { querystring: schemas.paramsDiffQuery } },
    async (request): Promise<ParamsDiff> => {
      const runs = request.query.runs.map((idOrPrefix) => {
        const id = runIdOf(app, idOrPrefix);
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
};
