import { DEFAULT_QUEUE_FLUSH_EVERY_MS, DEFAULT_QUEUE_HEARTBEAT_EVERY_MS, DEFAULT_QUEUE_MAX_PENDING, MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import type { Eventually, MetricQueue, MetricQueueOptions, RunWriter } from '../interfaces.ts';
import type { KeyValue, LogBatchInput, MetricInput } from '../types.ts';
import { checkBatch, checkSafeInteger, invalid } from '../validate.ts';

/**
 * An asynchronous batching queue for one run's writes (the training loop's logger): calls return at once,
 * points are written together every `flushEveryMs` or when `maxPending` accumulate, split to respect the batch
 * limits. Entries are validated when queued, so a bad value fails at the call that logged it. With the SQLite store
 * (a writer that answers at once) writes happen synchronously, and pending entries are flushed when the process exits;
 * with a writer that answers with promises (the tracking server's client) one batch is written at a time, in order,
 * and `flush()` resolves once every entry logged before it is acknowledged. Between writes, a heartbeat every
 * `heartbeatEveryMs` says the run is alive.
 */
export function createMetricQueue(store: RunWriter, runId: string, options: MetricQueueOptions = {}): MetricQueue {
  const flushEveryMs = options.flushEveryMs ?? DEFAULT_QUEUE_FLUSH_EVERY_MS;
  const maxPending = options.maxPending ?? DEFAULT_QUEUE_MAX_PENDING;
  const heartbeat = options.heartbeat ?? true;
  const heartbeatEveryMs = heartbeat ? (options.heartbeatEveryMs ?? DEFAULT_QUEUE_HEARTBEAT_EVERY_MS) : 0;
  checkSafeInteger(flushEveryMs, 'createMetricQueue: flushEveryMs');
  checkSafeInteger(maxPending, 'createMetricQueue: maxPending');
  checkSafeInteger(heartbeatEveryMs, 'createMetricQueue: heartbeatEveryMs');
  if (flushEveryMs < 0) throw invalid(`createMetricQueue: flushEveryMs must be >= 0, received ${flushEveryMs}`);
  if (maxPending < 1) throw invalid(`createMetricQueue: maxPending must be >= 1, received ${maxPending}`);
  if (heartbeatEveryMs < 0) throw invalid(`createMetricQueue: heartbeatEveryMs must be >= 0, received ${heartbeatEveryMs}`);
  // Fail now on an unknown run, not at the first background flush. A writer's own call (a writer over HTTP has no
  // reads), and a true one: the run's process is alive. An answer that comes later reports at the next call.
  const first = store.heartbeat(runId);
  const queue = new BatchingQueue(store, runId, { flushEveryMs, maxPending, heartbeat, heartbeatEveryMs });
  if (first instanceof Promise) first.catch((err: unknown) => queue.fail(err));
  return queue;
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

interface QueueSettings {
  flushEveryMs: number;
  maxPending: number;
  heartbeat: boolean;
  heartbeatEveryMs: number;
}

class BatchingQueue implements MetricQueue {
  private metrics: MetricInput[] = [];
  private params: KeyValue[] = [];
  private tags: KeyValue[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pulse: NodeJS.Timeout | undefined;
  private failure: unknown;
  private closed = false;
  /** The last asynchronous write; the next one starts after it (one write of the run at a time, in order). */
  private tail: Promise<void> | undefined;
  private lastSignOfLife = Date.now();
  private heartbeatInFlight = false;

  constructor(
    private readonly store: RunWriter,
    private readonly runId: string,
    private readonly settings: QueueSettings,
  ) {
    openQueues.add(this);
    if (openQueues.size === 1) process.on('exit', flushOpenQueues);
    if (settings.heartbeatEveryMs > 0) {
      this.pulse = setInterval(() => this.beatIfQuiet(), settings.heartbeatEveryMs);
      // The queue alone must not keep a finished program alive.
      this.pulse.unref();
    }
  }

  /** Called on process exit: a writer that answers at once can still write; one over the network cannot. */
  flushBeforeExit(): void {
    if (this.tail) return;
    const done = this.writeAll(false);
    if (done instanceof Promise) done.catch(() => undefined);
  }

  /** Reports an error at the next call. */
  fail(err: unknown): void {
    this.failure ??= err;
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
    if (this.pending >= this.settings.maxPending) this.background(this.flushNow());
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
    await this.flushNow();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.throwFailure();
    await this.flushNow();
    this.closed = true;
    this.clearTimer();
    clearInterval(this.pulse);
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

  /** A write nobody awaits: its failure is reported at the next call. */
  private background(done: Eventually<void>): void {
    if (done instanceof Promise) done.catch((err: unknown) => this.fail(err));
  }

  private schedule(): void {
    if (this.timer || this.pending === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.background(this.flushNow());
      } catch (err) {
        this.fail(err);
      }
    }, this.settings.flushEveryMs);
    // The queue alone must not keep a finished program alive; the exit handler writes what is left.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Nothing written for a while (a long validation pass): say the run is alive. */
  private beatIfQuiet(): void {
    if (this.closed || this.heartbeatInFlight || Date.now() - this.lastSignOfLife < this.settings.heartbeatEveryMs / 2) return;
    try {
      const done = this.store.heartbeat(this.runId);
      this.lastSignOfLife = Date.now();
      if (done instanceof Promise) {
        this.heartbeatInFlight = true;
        done.then(
          () => (this.heartbeatInFlight = false),
          (err: unknown) => {
            this.heartbeatInFlight = false;
            this.fail(err);
          },
        );
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private dropFirst(batch: LogBatchInput): void {
    this.metrics.splice(0, batch.metrics!.length);
    this.params.splice(0, batch.params!.length);
    this.tags.splice(0, batch.tags!.length);
  }

  /** Writes everything pending: at once for a writer that answers at once, else after the write before it. */
  private flushNow(): Eventually<void> {
    this.clearTimer();
    const write = (): Eventually<void> => this.writeAll(false);
    if (this.tail) return this.track(this.tail.then(write, write));
    const done = write();
    return done instanceof Promise ? this.track(done) : undefined;
  }

  private track(done: Promise<void>): Promise<void> {
    const settled: Promise<void> = done.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled;
    void settled.then(() => {
      if (this.tail === settled) this.tail = undefined;
    });
    return done;
  }

  /** Writes in limit-sized batches; an entry leaves the queue only once its batch is acknowledged. */
  private writeAll(wrote: boolean): Eventually<void> {
    while (this.pending > 0) {
      const batch: LogBatchInput = {
        metrics: this.metrics.slice(0, MAX_METRICS_PER_BATCH),
        params: this.params.slice(0, MAX_PARAMS_PER_BATCH),
        tags: this.tags.slice(0, MAX_TAGS_PER_BATCH),
      };
      let done: Eventually<void>;
      try {
        done = this.store.logBatch(this.runId, batch);
      } catch (err) {
        throw this.failed(batch, err);
      }
      if (done instanceof Promise) {
        return done.then(
          () => {
            this.written(batch);
            return this.writeAll(true);
          },
          (err: unknown) => {
            throw this.failed(batch, err);
          },
        );
      }
      this.written(batch);
      wrote = true;
    }
    // logBatch already refreshes the heartbeat; an idle flush still says "alive".
    if (!wrote && this.settings.heartbeat && !this.closed) {
      this.lastSignOfLife = Date.now();
      return this.store.heartbeat(this.runId);
    }
  }

  private written(batch: LogBatchInput): void {
    this.dropFirst(batch);
    this.lastSignOfLife = Date.now();
  }

  private failed(batch: LogBatchInput, err: unknown): unknown {
    if (err instanceof StoreError) {
      // Permanent (a param changing value, a deleted run, a newer attempt): retrying cannot help; drop this batch.
      this.dropFirst(batch);
    } else {
      this.schedule(); // transient (SQLITE_BUSY past the timeout, I/O): keep the entries, try again later
    }
    return err;
  }
}
