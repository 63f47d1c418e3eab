/**
 * Routes that read runs side by side: `/api/compare` (a few chosen runs, every param and metric summary: the compare
 * table's best/last rows) and `/api/param-space` (the first runs of a filter, only the params that vary among them,
 * and one metric: parallel coordinates, param importance, param menus).
 */
import type { FastifyPluginAsync } from 'fastify';
import { StoreError, type LatestMetric } from '@vgglab/store';
import { toRunListQuery, type RunFilterQuerystring } from '../query.ts';
import * as schemas from '../schemas.ts';
import { varyingParams } from '../web/params-vary.ts';
import type { CompareJson, MetricSummaryJson, ParamSpaceJson } from '../wire/compare-json.ts';
import { runIdOf } from './reply.ts';

const finiteOrNull = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function summary(metric: LatestMetric): MetricSummaryJson {
  return { last: finiteOrNull(metric.value), min: finiteOrNull(metric.min), max: finiteOrNull(metric.max), step: metric.step };
}

export const compareRoutes: FastifyPluginAsync = async (app) => {
  const store = app.runStore;

  app.get<{ Querystring: { runs: string[] } }>('/api/compare', { schema: { querystring: schemas.compareQuery } }, async (request): Promise<CompareJson> => {
    const runs = request.query.runs.map((idOrPrefix) => {
      const id = runIdOf(app, idOrPrefix);
      const run = store.getRun(id);
      if (!run) throw new StoreError('NOT_FOUND', `no run '${id}'`);
      return {
        id: run.id,
        name: run.name,
        status: run.status,
        starred: run.starred,
        params: run.params,
        metrics: Object.fromEntries(Object.entries(run.metrics).map(([key, m]) => [key, summary(m)])),
      };
    });
    return { runs };
  });

  app.get<{ Querystring: RunFilterQuerystring & { metric: string; limit: number } }>(
    '/api/param-space',
    { schema: { querystring: schemas.paramSpaceQuery } },
    async (request): Promise<ParamSpaceJson> => {
      const { metric, limit, ...filters } = request.query;
      const page = store.listRuns({ ...toRunListQuery(filters), limit, includeParams: 'all', includeMetrics: [metric] });
      const { varying, constant } = varyingParams(page.runs);
      const first = page.runs[0]?.params ?? {};
      return {
        metric,
        total: page.total,
        limit,
        varying,
        constant: constant.map((key) => ({ key, value: first[key]! })),
        runs: page.runs.map((run) => {
          const m = run.metrics[metric];
          return {
            id: run.id,
            name: run.name,
            status: run.status,
            params: Object.fromEntries(varying.filter((k) => k in run.params).map((k) => [k, run.params[k]!])),
            last: finiteOrNull(m?.value),
            min: finiteOrNull(m?.min),
            max: finiteOrNull(m?.max),
          };
        }),
      };
    },
  );
};
