/** The one write primitive: metrics, params and tags of a run in one transaction. */
import type { Connection } from '../storage/connection.ts';
import { checkFence, fencedRunPk } from '../runs/fence.ts';
import type { LogBatchInput, WriteFence } from '../types.ts';
import { checkBatch } from '../validate.ts';
import { insertMetrics } from './metrics.ts';
import { insertParams, upsertTags } from './params-tags.ts';

/** Limits (and the fence's shape) are checked before anything is written; the batch refreshes the run's heartbeat.
 * A fence naming another attempt than the run's refuses the whole batch (CONFLICT). */
export function logBatch(c: Connection, runId: string, batch: LogBatchInput, fence?: WriteFence): void {
  checkBatch(batch);
  checkFence(fence, 'logBatch');
  const now = Date.now();
  c.write(() => {
    const pk = fencedRunPk(c, runId, fence);
    if (batch.params?.length) insertParams(c, pk, batch.params);
    if (batch.tags?.length) upsertTags(c, pk, batch.tags);
    if (batch.metrics?.length) insertMetrics(c, pk, batch.metrics, now);
    c.sql('UPDATE runs SET heartbeat_at = ? WHERE pk = ?').run(now, pk);
  });
}
