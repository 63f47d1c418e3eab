/** `GET /api/queue`: the queue per sweep (waiting / running with its worker / failed with its error), when the server
 * has one (`vgglab server --redis`); `{ enabled: false }` otherwise. A read route, like the others. */
import type { FastifyPluginAsync } from 'fastify';
import * as schemas from '../schemas.ts';
import type { QueueOverviewJson } from '../wire/api-json.ts';

export const queueRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/queue', { schema: { querystring: schemas.emptyQuery } }, async (): Promise<QueueOverviewJson> => {
    if (!app.queueView) return { enabled: false, queue: null, sweeps: [] };
    return app.queueView.overview();
  });
};
