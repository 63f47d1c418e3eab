/**
 * Attempt fencing. A run started again elsewhere (a queue's job picked up by another worker after the first one
 * stalled) gets a new attempt number from `resumeRun`; a write that names an older attempt is refused here, inside
 * the write's own transaction, so nothing of it is written. Delivery by the queue is at-least-once; this makes the
 * run's rows those of one attempt.
 */
import { StoreError } from '../errors.ts';
import type { Connection } from '../storage/connection.ts';
import type { WriteFence } from '../types.ts';
import { checkSafeInteger, invalid, show } from '../validate.ts';

/** Checks a fence's shape before any transaction. */
export function checkFence(fence: WriteFence | undefined, where: string): void {
  if (fence === undefined || fence === null) return;
  if (typeof fence !== 'object') throw invalid(`${where}: expected { attempt }, received ${show(fence)}`);
  if (fence.attempt !== undefined) {
    checkSafeInteger(fence.attempt, `${where}: attempt`);
    if (fence.attempt < 1) throw invalid(`${where}: attempt must be >= 1, received ${fence.attempt}`);
  }
}

/**
 * The run's pk, inside the caller's write transaction, after checking the fence: StoreError CONFLICT when the run is
 * at another attempt. A write of the current attempt to a run recorded `crashed` (its heartbeats were late, its
 * process was alive) makes it `running` again.
 */
export function fencedRunPk(c: Connection, runId: string, fence: WriteFence | undefined): number {
  if (fence?.attempt === undefined) return c.runPk(runId);
  const pk = c.runPk(runId);
  const row = c.sql('SELECT attempt, status FROM runs WHERE pk = ?').get(pk) as { attempt: number; status: string };
  if (row.attempt !== fence.attempt) {
    throw new StoreError(
      'CONFLICT',
      `run ${show(runId)} is at attempt ${row.attempt}; this write of attempt ${fence.attempt} was refused (the run was started again elsewhere)`,
    );
  }
  if (row.status === 'crashed') c.sql("UPDATE runs SET status = 'running', end_time = NULL WHERE pk = ?").run(pk);
  return pk;
}
