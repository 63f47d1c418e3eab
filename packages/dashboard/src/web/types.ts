import type { RunSummary } from './api.ts';

/** What the page keeps of a run it shows in the table or the comparison. */
export type RunLite = Pick<
  RunSummary,
  'id' | 'name' | 'status' | 'startTime' | 'endTime' | 'experimentName' | 'params' | 'metrics' | 'tags' | 'durationMs'
>;
