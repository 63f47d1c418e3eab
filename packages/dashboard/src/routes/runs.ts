/** Routes over the run list: health, experiments, filter menus, the paged list, params vs metric, the CSV export. */
import type { FastifyPluginAsync } from 'fastify';
import { runListCsv } from '@vgglab/store';
import { toRunListQuery, type RunFilterQuerystring, type RunListQuerystring } from '../query.ts';
import * as schemas from '../schemas.ts';
import { isLoopbackClient } from '../server/hosts.ts';
import type { HealthJson, ParamMetricJson } from '../wire/api-json.ts';
import { sendCsv } from './reply.ts';

type ParamMetricQuerystring = RunFilterQuerystring & { x: string; y: string; color?: string; limit: number };

const finiteOrNull = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const runListRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/health', { schema: { querystring: schemas.emptyQuery } }, async (request): Promise<HealthJson> => ({
    ok: true,
    // A file-system path only for a client on this machine.
    ...(isLoopbackClient(request) ? { dbFile: app.dashboard.dbFile } : {}),
    schemaVersion: app.runStore.schemaVersion,
    predict: app.dashboard.predict !== undefined,
    auth: app.tokenAuth.everyRoute,
    edits: app.dashboard.edits,
  }));

  app.get('/api/experiments', { schema: { querystring: schemas.emptyQuery } }, async () => ({
    experiments: app.runStore.listExperiments(),
  }));

  app.get('/api/facets', { schema: { querystring: schemas.emptyQuery } }, async () => app.runStore.getRunFacets());

  app.get<{ Querystring: RunListQuerystring }>('/api/runs', { schema: { querystring: schemas.runListQuery } }, async (request) =>
    app.runStore.listRuns(toRunListQuery(request.query)),
  );

  app.get<{ Querystring: ParamMetricQuerystring }>(
    '/api/param-metric',
    { schema: { querystring: schemas.paramMetricQuery } },
    async (request): Promise<ParamMetricJson> => {
      const { x, y, color, limit, ...filters } = request.query;
      // One page of the run list carrying only the two params and the metric (latest, min and max per run).
      const page = app.runStore.listRuns({
        ...toRunListQuery(filters),
        limit,
        includeParams: color === undefined ? [x] : [x, color],
        includeMetrics: [y],
      });
      const runs = page.runs.map((run) => {
        const metric = run.metrics[y];
        return {
          id: run.id,
          name: run.name,
          status: run.status,
          x: run.params[x] ?? null,
          color: color === undefined ? null : (run.params[color] ?? null),
          last: finiteOrNull(metric?.value),
          min: finiteOrNull(metric?.min),
          max: finiteOrNull(metric?.max),
        };
      });
      return { x, y, color: color ?? null, total: page.total, limit, runs };
    },
  );

  app.get<{ Querystring: RunFilterQuerystring }>(
    '/api/runs.csv',
    { schema: { querystring: schemas.runListCsvQuery } },
    async (request, reply) => {
      const query = toRunListQuery(request.query);
      return sendCsv(app, reply, 'vgglab-runs.csv', (reader) => runListCsv(reader, query));
    },
  );
};
