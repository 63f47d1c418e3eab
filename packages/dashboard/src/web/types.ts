import type { RunStatus, RunSummary } from './api.ts';

/** What the page keeps of a run it shows in the table or the comparison (its status as the wire carries it: the
 * live stream may name a status this page does not know). */
export type RunLite = Pick<
  RunSummary,
  'id' | 'name' | 'startTime' | 'endTime' | 'experimentName' | 'params' | 'metrics' | 'tags' | 'durationMs'
> & { status: RunStatus };
