import { DEFAULT_QUEUE_FLUSH_EVERY_MS, DEFAULT_QUEUE_MAX_PENDING, MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import type { MetricQueue, MetricQueueOptions, RunWriter } from '../interfaces.ts';
import type { KeyValue, LogBatchInput, MetricInput } from '../types.ts';
import { checkBatch, checkSafeInteger, invalid } from '../validate.ts';

/**
 * An asynchronous batching queue for one run's writes (the training loop's logger): calls return at once,
 * points are written together every `flushEveryMs` or when `maxPending` accumulate, split to respect the batch
 * limits. Entries are validated when queued, so a bad value fails at the call that logged it. Pending entries
 * are flushed synchronously when the process exits (better-sqlite3 is synchronous, so an 'exit' handler can
 * still write).
 */
export function createMetricQueue(store: RunWriter, runId: string, options: MetricQueueOptions = {}): MetricQueue {
  const flushEveryMs = options.flushEveryMs ?? DEFAULT_QUEUE_FLUSH_EVERY_MS;
  const maxPending = options.maxPending ?? DEFAULT_QUEUE_MAX_PENDING;
  const heartbeat = options.heartbeat ?? true;
  checkSafeInteger(flushEveryMs, 'createMetricQueue: flushEveryMs');
  checkSafeInteger(maxPending, 'createMetricQueue: maxPending');
  if (flushEveryMs < 0) throw invalid(`createMetricQueue: flushEveryMs must be >= 0, received ${flushEveryMs}`);
  if (maxPending < 1) throw invalid(`createMetricQueue: maxPending must be >= 1, received ${maxPending}`);
  // Fail now on an unknown run, not at the first background flush. A writer's own call (a writer over HTTP has no
  // reads), and a true one: the run's process is alive.
  store.heartbeat(runId);
  return new BatchingQueue(store, runId, flushEveryMs, maxPending, heartbeat);
}

const openQueues = new Set<BatchingQueue>();

function flushOpenQueues(): void {
  for (const queue of openQueues) {
    try {
      queue.flushBeforeExit();
    } catch {
      // the process is exiting; there is no caller left to report to
    }
  }
}

class BatchingQueue implements MetricQueue {
  private metrics: MetricInput[] = [];
  private params: KeyValue[] = [];
  private tags: KeyValue[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private closed = false;

  constructor(
    private readonly store: RunWriter,
    private readonly runId: string,
    private readonly flushEveryMs: number,
    private readonly maxPending: number,
    private readonly heartbeat: boolean,
  ) {
    openQueues.add(this);
    if (openQueues.size === 1) process.on('exit', flushOpenQueues);
  }

  /** Called on process exit. */
  flushBeforeExit(): void {
    this.flushNow();
  }

  get pending(): number {
    return this.metrics.length + this.params.length + this.tags.length;
  }

  logBatch(batch: LogBatchInput): void {
    this.checkUsable();
    // The queue accepts any size; limits apply per written batch. Validate entries with the limits lifted.
    for (let i = 0; i < (batch.metrics?.length ?? 0); i += MAX_METRICS_PER_BATCH) checkBatch({ metrics: batch.metrics!.slice(i, i + MAX_METRICS_PER_BATCH) });
    for (let i = 0; i < (batch.params?.length ?? 0); i += MAX_PARAMS_PER_BATCH) checkBatch({ params: batch.params!.slice(i, i + MAX_PARAMS_PER_BATCH) });
    for (let i = 0; i < (batch.tags?.length ?? 0); i += MAX_TAGS_PER_BATCH) checkBatch({ tags: batch.tags!.slice(i, i + MAX_TAGS_PER_BATCH) });
    const now = Date.now();
    // Stamp the time of the call, not of the flush.
    for (const m of batch.metrics ?? []) this.metrics.push({ ...m, timestamp: m.timestamp ?? now });
    if (batch.params) this.params.push(...batch.params);
    if (batch.tags) this.tags.push(...batch.tags);
    if (this.pending >= this.maxPending) this.flushNow();
    else this.schedule();
  }

  logMetric(metric: MetricInput): void {
    this.logBatch({ metrics: [metric] });
  }

  logParam(key: string, value: string): void {
    this.logBatch({ params: [{ key, value }] });
  }

  setTag(key: string, value: string): void {
    this.logBatch({ tags: [{ key, value }] });
  }

  async flush(): Promise<void> {
    this.throwFailure();
    this.flushNow();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.throwFailure();
    this.flushNow();
    this.closed = true;
    this.clearTimer();
    openQueues.delete(this);
    if (openQueues.size === 0) process.off('exit', flushOpenQueues);
  }

  private checkUsable(): void {
    if (this.closed) throw new StoreError('INVALID', `metric queue of run ${this.runId} is closed`);
    this.throwFailure();
  }

  /** A background flush failed: its entries are still pending; report the error once, at the next call. */
  private throwFailure(): void {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }

  private schedule(): void {
    if (this.timer || this.pending === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.flushNow();
      } catch (err) {
        this.failure = err;
      }
    }, this.flushEveryMs);
    // The queue alone must not keep a finished program alive; the exit handler writes what is left.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dropFirst(batch: LogBatchInput): void {
    this.metrics.splice(0, batch.metrics!.length);
    this.params.splice(0, batch.params!.length);
    this.tags.splice(0, batch.tags!.length);
  }

  /** Writes in limit-sized batches; an entry leaves the queue only once its batch is committed. */
  private flushNow(): void {
    this.clearTimer();
    let wrote = false;
    while (this.pending > 0) {
      const batch: LogBatchInput = {
        metrics: this.metrics.slice(0, MAX_METRICS_PER_BATCH),
        params: this.params.slice(0, MAX_PARAMS_PER_BATCH),
        tags: this.tags.slice(0, MAX_TAGS_PER_BATCH),
      };
      try {
        this.store.logBatch(this.runId, batch);
      } catch (err) {
        if (err instanceof StoreError) {
          // Permanent (a param changing value, a deleted run): retrying cannot help; drop this batch, report it.
          this.dropFirst(batch);
        } else {
          this.schedule(); // transient (SQLITE_BUSY past the timeout, I/O): keep the entries, try again later
        }
        throw err;
      }
      this.dropFirst(batch);
      wrote = true;
    }
    // logBatch already refreshes the heartbeat; an idle flush still says "alive".
    if (!wrote && this.heartbeat && !this.closed) this.store.heartbeat(this.runId);
  }
}
