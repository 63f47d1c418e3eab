/** Keys and distinct values across runs: what the run table's filter menus and column pickers offer. */
import { MAX_FACET_VALUES } from '../defaults.ts';
import { PARAM_KEYS } from '../param-keys.ts';
import { SHOWN_STATUS_SQL } from '../runs/liveness.ts';
import type { Connection } from '../storage/connection.ts';
import type { FacetValue, RunFacets } from '../types.ts';
import { checkKey, checkSafeInteger, invalid } from '../validate.ts';

/** Distinct keys of `series` (metrics) or `params` of these runs (all runs when omitted), sorted. */
export function keysOf(c: Connection, table: 'series' | 'params', runIds?: readonly string[]): string[] {
  return c.read(() => {
    if (runIds === undefined) return (c.sql(`SELECT DISTINCT key FROM ${table} ORDER BY key`).all() as { key: string }[]).map((r) => r.key);
    const pks = runIds.map((id) => c.runPk(id));
    if (pks.length === 0) return [];
    const rows = c.db.prepare(`SELECT DISTINCT key FROM ${table} WHERE run_pk IN (${pks.map(() => '?').join(', ')}) ORDER BY key`).all(...pks) as {
      key: string;
    }[];
    return rows.map((r) => r.key);
  });
}

function checkLimit(limit: number): void {
  checkSafeInteger(limit, 'limit');
  if (limit < 1) throw invalid(`limit must be at least 1, received ${limit}`);
}

export function listParamValues(c: Connection, key: string, options: { limit?: number } = {}): FacetValue[] {
  checkKey(key, 'param key');
  const limit = options.limit ?? MAX_FACET_VALUES;
  checkLimit(limit);
  return c.sql('SELECT value, count(*) AS count FROM params WHERE key = ? GROUP BY value ORDER BY count DESC, value LIMIT ?').all(key, limit) as FacetValue[];
}

export function listTagKeys(c: Connection, options: { limit?: number } = {}): FacetValue[] {
  const limit = options.limit ?? MAX_FACET_VALUES;
  checkLimit(limit);
  return c.sql('SELECT key AS value, count(*) AS count FROM tags GROUP BY key ORDER BY count DESC, key LIMIT ?').all(limit) as FacetValue[];
}

export function getRunFacets(c: Connection): RunFacets {
  return c.read(() => ({
    // the status each run shows: crashed runs are counted as crashed
    statuses: c.sql(`SELECT ${SHOWN_STATUS_SQL} AS value, count(*) AS count FROM runs r GROUP BY value ORDER BY count DESC, value`).all() as FacetValue[],
    experiments: c
      .sql(
        `SELECT e.name AS value, count(r.pk) AS count FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
         GROUP BY e.id ORDER BY e.created_at DESC, e.id DESC LIMIT ?`,
      )
      .all(MAX_FACET_VALUES) as FacetValue[],
    models: listParamValues(c, PARAM_KEYS.modelName),
    optimizers: listParamValues(c, PARAM_KEYS.optimizerName),
    tagKeys: listTagKeys(c),
  }));
}
