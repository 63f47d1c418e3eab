/**
 * The validation images behind a confusion-matrix cell: `/api/runs/:runId/evaluations/:evaluationId/misclassified`
 * lists the images an evaluation recorded for one cell (true class i, predicted j), and `…/images/<path>` serves one
 * of them from the dataset's folder. An image is served only when its path is one the evaluation recorded, it has an
 * image file's extension, and its real path (symlinks followed) lies inside the real dataset folder: a request can
 * name no other file, whatever its path says.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Evaluation } from '@vgglab/store';
import { isInside } from '../files.ts';
import * as schemas from '../schemas.ts';
import type { MisclassifiedJson } from '../wire/compare-json.ts';
import { runIdOf } from './reply.ts';

const IMAGE_CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
};
/** Most images one cell lists. */
const MAX_CELL_IMAGES = 200;
/** Largest image file served. */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

type EvaluationParams = { runId: string; evaluationId: number };

function refuse(reply: FastifyReply, statusCode: 403 | 404, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error: statusCode === 403 ? 'Forbidden' : 'Not Found', message });
}

/** URL of a recorded image, relative to the page. */
function imageUrl(runId: string, evaluationId: number, path: string): string {
  return `api/runs/${encodeURIComponent(runId)}/evaluations/${evaluationId}/images/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function noteFor(evaluation: Evaluation): string | null {
  if (!evaluation.misclassified) return 'this evaluation recorded no misclassified images (evaluate the run again to record them)';
  if (evaluation.misclassified.root === null) return 'the dataset has no image files (it is made in memory), so there is nothing to show';
  return null;
}

/** The real path of a recorded image inside the real dataset folder, or why not. */
export function checkSampleFile(evaluation: Evaluation, requested: string): { ok: true; path: string; size: number } | { ok: false; statusCode: 403 | 404; message: string } {
  const samples = evaluation.misclassified;
  if (!samples || samples.root === null) return { ok: false, statusCode: 404, message: noteFor(evaluation)! };
  if (!samples.items.some((item) => item.path === requested)) {
    return { ok: false, statusCode: 404, message: `'${requested}' is not an image this evaluation recorded` };
  }
  const contentType = IMAGE_CONTENT_TYPES[extname(requested).toLowerCase()];
  if (!contentType) return { ok: false, statusCode: 403, message: `'${requested}' is not an image file` };
  let real: string;
  let root: string;
  try {
    root = realpathSync(samples.root);
    real = realpathSync(resolve(root, requested));
  } catch {
    return { ok: false, statusCode: 404, message: `no image '${requested}' in the dataset folder` };
  }
  if (!isInside(root, real)) return { ok: false, statusCode: 403, message: `'${requested}' is outside the dataset folder` };
  const stats = statSync(real);
  if (!stats.isFile() || stats.size > MAX_IMAGE_BYTES) return { ok: false, statusCode: 404, message: `'${requested}' is not an image file of at most ${MAX_IMAGE_BYTES} bytes` };
  return { ok: true, path: real, size: stats.size };
}

export const sampleRoutes: FastifyPluginAsync = async (app) => {
  const findEvaluation = (params: EvaluationParams): { runId: string; evaluation: Evaluation | undefined } => {
    const runId = runIdOf(app, params.runId);
    return { runId, evaluation: app.runStore.listEvaluations(runId).find((e) => e.id === params.evaluationId) };
  };

  app.get<{ Params: EvaluationParams; Querystring: { true: number; predicted: number } }>(
    '/api/runs/:runId/evaluations/:evaluationId/misclassified',
    { schema: { params: schemas.evaluationParams, querystring: schemas.cellQuery } },
    async (request, reply): Promise<MisclassifiedJson> => {
      const { runId, evaluation } = findEvaluation(request.params);
      if (!evaluation) return refuse(reply, 404, `run '${runId}' has no evaluation ${request.params.evaluationId}`);
      const { true: row, predicted: column } = request.query;
      const n = evaluation.classNames.length;
      if (row >= n || column >= n) return refuse(reply, 404, `the confusion matrix has ${n} classes: no cell (${row}, ${column})`);
      const samples = evaluation.misclassified;
      const items = (samples?.items ?? []).filter((item) => item.true === row && item.predicted === column).slice(0, MAX_CELL_IMAGES);
      return {
        evaluation: evaluation.id,
        trueClass: evaluation.classNames[row]!,
        predictedClass: evaluation.classNames[column]!,
        count: evaluation.confusionMatrix[row]![column]!,
        items: items.map((item) => ({ path: item.path, url: samples?.root ? imageUrl(runId, evaluation.id, item.path) : null })),
        note: noteFor(evaluation),
      };
    },
  );

  app.get<{ Params: EvaluationParams & { '*': string } }>(
    '/api/runs/:runId/evaluations/:evaluationId/images/*',
    { schema: { params: schemas.evaluationFileParams, querystring: schemas.emptyQuery } },
    async (request, reply) => {
      const { runId, evaluation } = findEvaluation(request.params);
      if (!evaluation) return refuse(reply, 404, `run '${runId}' has no evaluation ${request.params.evaluationId}`);
      const check = checkSampleFile(evaluation, request.params['*']);
      if (!check.ok) return refuse(reply, check.statusCode, check.message);
      reply.header('content-type', IMAGE_CONTENT_TYPES[extname(check.path).toLowerCase()]!);
      reply.header('content-length', check.size);
      reply.header('cache-control', 'private, max-age=3600');
      return reply.send(createReadStream(check.path));
    },
  );
};
