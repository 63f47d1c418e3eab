/** Reading one run: by id or prefix, with everything the run view shows, or by spec hash. */
import { listArtifacts } from '../artifacts/artifacts.ts';
import { listEvaluations } from '../artifacts/evaluations.ts';
import { MIN_RUN_ID_PREFIX } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import { experimentId } from '../runs/experiments.ts';
import type { Connection } from '../storage/connection.ts';
import { type RunRow, type SeriesRow, RUN_COLUMNS, durationOf, toLatest, toRun } from '../storage/rows.ts';
import type { KeyValue, LatestMetric, Run, RunDetails } from '../types.ts';
import { invalid, show } from '../validate.ts';

export function resolveRunId(c: Connection, idOrPrefix: string): string {
  if (typeof idOrPrefix !== 'string' || idOrPrefix.length === 0) throw invalid(`run id must be a non-empty string, received ${show(idOrPrefix)}`);
  if (c.sql('SELECT 1 FROM runs WHERE id = ?').get(idOrPrefix)) return idOrPrefix;
  if (idOrPrefix.length < MIN_RUN_ID_PREFIX) {
    throw new StoreError('NOT_FOUND', `no run with id ${show(idOrPrefix)} (a prefix needs at least ${MIN_RUN_ID_PREFIX} characters)`);
  }
  const rows = c.sql('SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2').all(idOrPrefix, `${idOrPrefix}\uffff`) as { id: string }[];
  if (rows.length === 0) throw new StoreError('NOT_FOUND', `no run with id or prefix ${show(idOrPrefix)} in ${c.file}`);
  if (rows.length > 1) throw new StoreError('AMBIGUOUS', `run id prefix ${show(idOrPrefix)} matches several runs (${rows[0]!.id}, ${rows[1]!.id}, …); give more characters`);
  return rows[0]!.id;
}

export function getRun(c: Connection, runId: string): RunDetails | undefined {
  return c.read(() => {
    const row = c.runRow(runId);
    if (!row) return undefined;
    return {
      ...toRun(row),
      durationMs: durationOf(row, Date.now()),
      params: keyValues(c, 'SELECT key, value FROM params WHERE run_pk = ? ORDER BY key', row.pk),
      tags: keyValues(c, 'SELECT key, value FROM tags WHERE run_pk = ? ORDER BY key', row.pk),
      metrics: latestMetrics(c, row.pk),
      artifacts: listArtifacts(c, runId),
      evaluations: listEvaluations(c, runId),
    };
  });
}

function keyValues(c: Connection, sql: string, pk: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of c.sql(sql).all(pk) as KeyValue[]) out[r.key] = r.value;
  return out;
}

export function latestMetrics(c: Connection, pk: number): Record<string, LatestMetric> {
  const out: Record<string, LatestMetric> = {};
  for (const r of c.sql('SELECT * FROM series WHERE run_pk = ? ORDER BY key').all(pk) as SeriesRow[]) out[r.key] = toLatest(r);
  return out;
}

export function findRunBySpecHash(c: Connection, experiment: number | string, specHash: string): Run | undefined {
  const id = experimentId(c, experiment, false);
  if (id === undefined) return undefined;
  const row = c
    .sql(
      `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id
       WHERE r.experiment_id = ? AND r.spec_hash = ? ORDER BY r.start_time DESC, r.pk DESC LIMIT 1`,
    )
    .get(id, specHash) as RunRow | undefined;
  return row && toRun(row);
}
