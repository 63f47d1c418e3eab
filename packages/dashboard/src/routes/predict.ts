/**
 * `POST /api/runs/:runId/predict`: an uploaded image through the run's model. The model code comes from the runner
 * (`vgglab serve` gives a PredictFn); without it the route answers 501. Images are the only request bodies this
 * server reads, so their parser lives here.
 */
import type { FastifyPluginAsync } from 'fastify';
import { BadQueryError } from '../query.ts';
import * as schemas from '../schemas.ts';
import { IMAGE_TYPES } from '../server/errors.ts';
import type { Prediction } from '../wire/api-json.ts';
import { runIdOf } from './reply.ts';

export const predictRoutes: FastifyPluginAsync = async (app) => {
  const { predict, predictMaxBytes } = app.dashboard;
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer', bodyLimit: predictMaxBytes }, (_request, body, done) => done(null, body));

  app.post<{ Params: { runId: string }; Querystring: { top: number }; Body: Buffer }>(
    '/api/runs/:runId/predict',
    { schema: { params: schemas.runIdParams, querystring: schemas.predictQuery }, bodyLimit: predictMaxBytes },
    async (request, reply): Promise<{ runId: string; predictions: Prediction[] }> => {
      const runId = runIdOf(app, request.params.runId);
      if (!predict) {
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
      const predictions = await predict(runId, image);
      const top = [...predictions].sort((a, b) => b.probability - a.probability).slice(0, request.query.top);
      return { runId, predictions: top };
    },
  );
};
