/** `/api/live`: server-sent events of new metric points and run status changes (the LiveHub does the work). */
import type { FastifyPluginAsync } from 'fastify';
import * as schemas from '../schemas.ts';
import { runIdOf } from './reply.ts';

export const liveRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { runs?: string[]; keys?: string[]; after?: number; metrics: boolean } }>(
    '/api/live',
    { schema: { querystring: schemas.liveQuery } },
    async (request, reply) => {
      const runIds = request.query.runs?.map((id) => runIdOf(app, id));
      const lastEventId = Number(request.headers['last-event-id']);
      const after = Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : request.query.after;
      reply.hijack();
      app.liveHub.open(reply.raw, { runIds, keys: request.query.keys, after, metrics: request.query.metrics });
    },
  );
};
