/** One metric of one run, point by point in step order (`vgglab runs show`, tests). */
import type { Connection } from '../storage/connection.ts';
import { fromDb } from '../storage/rows.ts';
import type { MetricHistoryOptions, MetricPoint } from '../types.ts';
import { checkKey, checkSafeInteger } from '../validate.ts';

export function getMetricHistory(c: Connection, runId: string, key: string, options: MetricHistoryOptions = {}): MetricPoint[] {
  checkKey(key, 'metric key');
  if (options.afterStep !== undefined) checkSafeInteger(options.afterStep, 'afterStep');
  if (options.limit !== undefined) checkSafeInteger(options.limit, 'limit');
  return c.read(() => {
    const pk = c.runPk(runId);
    const series = c.sql('SELECT id FROM series WHERE run_pk = ? AND key = ?').get(pk, key) as { id: number } | undefined;
    if (!series) return [];
    const rows = c.sql('SELECT seq, step, epoch, value, timestamp FROM metrics WHERE series_id = ? AND step > ? ORDER BY step LIMIT ?').all(
      series.id,
      options.afterStep ?? Number.MIN_SAFE_INTEGER,
      options.limit ?? -1,
    ) as { seq: number; step: number; epoch: number | null; value: number | null; timestamp: number }[];
    return rows.map((r) => ({ id: r.seq, runId, key, value: fromDb(r.value), step: r.step, epoch: r.epoch, timestamp: r.timestamp }));
  });
}
