/**
 * The dashboard server: fastify over a read-only run store, serving the built page and the JSON API; the edit routes
 * (routes/edit.ts) open a writer of their own on the first edit.
 * Every route declares its params and querystring schemas; validation errors become a 400 naming the parameter.
 * The state the routes share is decorated first (./state.ts), then the route plugins (../routes) are registered.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { TOKEN_SOURCES, tokenAuth, tokenProblem } from '../auth/index.ts';
import { defaultDistDir, ensurePageBuilt } from '../build-page.ts';
import { splitCommaLists } from '../query.ts';
import { compareRoutes } from '../routes/compare.ts';
import { editRoutes } from '../routes/edit.ts';
import { liveRoutes } from '../routes/live.ts';
import { metricRoutes } from '../routes/metrics.ts';
import { pageRoutes } from '../routes/page.ts';
import { predictRoutes } from '../routes/predict.ts';
import { runRoutes } from '../routes/run.ts';
import { runListRoutes } from '../routes/runs.ts';
import { sampleRoutes } from '../routes/samples.ts';
import { queueRoutes } from '../routes/queue.ts';
import { trackingRoutes } from '../routes/tracking/index.ts';
import { startReaper } from '../tracking/reaper.ts';
import { describeValidationError } from '../validation.ts';
import { setErrorHandling } from './errors.ts';
import { loopbackHostCheck } from './hosts.ts';
import type { DashboardOptions } from './options.ts';
import { decorateState } from './state.ts';

/** The db file (which must exist, unless this is the tracking server, which creates it), the runs folder and the
 * page folder, resolved. */
function resolvePaths(options: DashboardOptions): { dbFile: string; runsDir: string; distDir: string } {
  const dbFile = resolve(options.dbFile);
  if (options.tracking) mkdirSync(dirname(dbFile), { recursive: true });
  else if (!existsSync(dbFile)) {
    throw new Error(
      `no run store at ${dbFile}: run an experiment first (npm run quickstart), or pass --db <file> / set VGGLAB_DB`,
    );
  }
  const runsDir = realpathSync(resolve(options.runsDir ?? dirname(dbFile)));
  return { dbFile, runsDir, distDir: resolve(options.distDir ?? defaultDistDir) };
}

/** Throws when the token options cannot work, before anything is opened. */
function checkTokenOptions(options: DashboardOptions): void {
  if (options.tokenEveryRoute && !options.token) throw new Error(`tokenEveryRoute needs a token: set ${TOKEN_SOURCES}`);
  const problem = options.token === undefined ? null : tokenProblem(options.token);
  if (problem) throw new Error(`${TOKEN_SOURCES}: ${problem}`);
}

export async function createServer(options: DashboardOptions): Promise<FastifyInstance> {
  checkTokenOptions(options);
  const paths = resolvePaths(options);
  const app = Fastify({
    logger: options.logger ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, verbose: true } },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeValidationError(errors, dataVar)),
  });

  if (options.buildPage ?? paths.distDir === defaultDistDir) {
    await ensurePageBuilt((line) => app.log.info(line));
  }
  if (!existsSync(join(paths.distDir, 'index.html'))) {
    throw new Error(`the dashboard page is not built: no index.html in ${paths.distDir} (run npx nx run dashboard:build)`);
  }

  decorateState(app, options, paths);
  setErrorHandling(app);
  if (options.loopbackOnly) app.addHook('onRequest', loopbackHostCheck);
  await app.register(tokenAuth, { token: options.token, everyRoute: options.tokenEveryRoute ?? false });

  // Comma-separated lists become arrays before validation.
  app.addHook('preValidation', async (request) => {
    if (request.query && typeof request.query === 'object') splitCommaLists(request.query as Record<string, unknown>);
  });
  // Request bodies are read only where a route says so (predict's images).
  app.removeAllContentTypeParsers();

  await app.register(runListRoutes);
  await app.register(runRoutes);
  await app.register(metricRoutes);
  await app.register(liveRoutes);
  await app.register(predictRoutes);
  await app.register(compareRoutes);
  await app.register(sampleRoutes);
  // Edits: open to this machine on a loopback server, behind the token otherwise.
  await app.register(editRoutes, { access: options.loopbackOnly ? 'loopback' : 'token' });
  await app.register(queueRoutes);
  await app.register(trackingRoutes);
  await app.register(pageRoutes, { distDir: paths.distDir });
  if (app.tracking) {
    const reaper = startReaper(app);
    app.decorate('reaper', reaper);
    app.addHook('onClose', async () => reaper.stop());
  }
  return app;
}
