/**
 * The tracking server's write API (`/api/tracking/*`, `vgglab server`): runs on other machines create runs, log
 * batches, status, heartbeats and artifact files here, and this server is the only writer of the SQLite file. Every
 * route needs the token, on loopback too (they write). Paths, bodies and schemas are @vgglab/store's `remote/wire.ts`,
 * which the client imports as well.
 */
import type { FastifyPluginAsync } from 'fastify';
import { DASHBOARD_DEFAULTS } from '../../defaults.ts';
import { artifactFileRoutes } from './files.ts';
import { trackingRunRoutes } from './runs.ts';

export const trackingRoutes: FastifyPluginAsync = async (app) => {
  if (!app.tracking) return;
  app.addHook('onRequest', app.requireToken);
  // This plugin's own parser (the server reads no other JSON bodies): a body that is not JSON is a 400.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: DASHBOARD_DEFAULTS.maxJsonBodyBytes }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(Object.assign(new Error(`the body is not JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined);
    }
  });
  await app.register(trackingRunRoutes);
  await app.register(artifactFileRoutes);
};
