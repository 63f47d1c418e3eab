import type { MetricQueue, MetricQueueOptions, RunStore } from './types.ts';

/** An asynchronous batching queue for one run's writes (the training loop's logger). */
export function createMetricQueue(store: RunStore, runId: string, options: MetricQueueOptions = {}): MetricQueue {
  void store;
  void runId;
  void options;
  throw new Error('createMetricQueue: not implemented yet (interface only)');
}
