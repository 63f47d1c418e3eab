/** The one write primitive: metrics, params and tags of a run in one transaction. */
import type { Connection } from '../storage/connection.ts';
import type { LogBatchInput } from '../types.ts';
import { checkBatch } from '../validate.ts';
import { insertMetrics } from './metrics.ts';
import { insertParams, upsertTags } from './params-tags.ts';

/** Limits are checked before anything is written; the batch refreshes the run's heartbeat. */
export function logBatch(c: Connection, runId: string, batch: LogBatchInput): void {
  checkBatch(batch);
  const now = Date.now();
  c.write(() => {
    const pk = c.runPk(runId);
    if (batch.params?.length) insertParams(c, pk, batch.params);
    if (batch.tags?.length) upsertTags(c, pk, batch.tags);
    if (batch.metrics?.length) insertMetrics(c, pk, batch.metrics, now);
    c.sql('UPDATE runs SET heartbeat_at = ? WHERE pk = ?').run(now, pk);
  });
}
