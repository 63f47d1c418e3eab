import type { MetricExportQuery, RunListQuery, RunStore } from './types.ts';

/** CSV lines (header first, each ending in "\n") of every run matching the query (all pages): run columns,
 * then one column per param (`param:<key>`) and per latest metric (`metric:<key>`, `metric.min:`, `metric.max:`). */
export function* runListCsv(store: RunStore, query: Omit<RunListQuery, 'pageToken'> = {}): Generator<string> {
  void store;
  void query;
  throw new Error('runListCsv: not implemented yet (interface only)');
}

/** CSV lines `run_id,run_name,key,step,epoch,timestamp,value` of every point of the runs, streamed. */
export function* metricsCsv(store: RunStore, query: MetricExportQuery): Generator<string> {
  void store;
  void query;
  throw new Error('metricsCsv: not implemented yet (interface only)');
}
