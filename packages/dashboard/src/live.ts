/**
 * Server-sent events of new metric points and run status changes. One poller serves every open stream: each
 * tick costs one `lastMetricId()` (an index lookup) and one list of running runs; points are read only when the
 * id moved, once for all clients, then fanned out by each client's run and key filters.
 */
import type { ServerResponse } from 'node:http';
import type { MetricPoint, RunReader, RunStatus } from '@vgglab/store';
import type { LivePoint, RunStatusChange } from './wire/api-json.ts';

interface LiveClient {
  response: ServerResponse;
  runIds: Set<string> | null;
  keys: Set<string> | null;
  /** false: run events only. */
  metrics: boolean;
}

/** Most points read in one tick; a burst larger than this is read over the following ticks. */
const POINTS_PER_TICK = 20_000;
const PAGE = 5000;
/** Comment lines keep proxies and browsers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export function pointJson(point: MetricPoint): LivePoint {
  const out: LivePoint = {
    runId: point.runId,
    key: point.key,
    step: point.step,
    epoch: point.epoch,
    timestamp: point.timestamp,
    value: Number.isFinite(point.value) ? point.value : null,
  };
  if (!Number.isFinite(point.value)) out.nonFinite = Number.isNaN(point.value) ? 'NaN' : point.value > 0 ? 'Infinity' : '-Infinity';
  return out;
}

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private timer: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private cursor = 0;
  private running = new Map<string, RunStatus>();

  constructor(
    private readonly store: RunReader,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Starts a stream on a raw response. `after` replays points logged since that cursor first. */
  open(response: ServerResponse, filter: { runIds?: string[]; keys?: string[]; after?: number; metrics?: boolean }): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const client: LiveClient = {
      response,
      runIds: filter.runIds?.length ? new Set(filter.runIds) : null,
      keys: filter.keys?.length ? new Set(filter.keys) : null,
      metrics: filter.metrics ?? true,
    };
    if (this.clients.size === 0) this.start();
    this.clients.add(client);
    response.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stop();
    });
    response.write(`retry: 2000\n\n`);
    // Replay what the client missed (a reconnect, or points logged after its series request).
    if (client.metrics && filter.after !== undefined && filter.after < this.cursor) {
      let after = filter.after;
      while (after < this.cursor) {
        const page = this.store.getMetricsAfter({
          afterId: after,
          runIds: filter.runIds,
          keys: filter.keys,
          limit: PAGE,
        });
        const points = page.points.filter((p) => p.id <= this.cursor);
        if (points.length > 0) this.send(client, 'metrics', { points: points.map(pointJson) }, points[points.length - 1].id);
        if (page.points.length < PAGE || page.cursor === after) break;
        after = page.cursor;
      }
    }
    this.send(client, 'ready', { cursor: this.cursor, running: [...this.running.keys()] }, this.cursor);
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    for (const client of this.clients) client.response.end();
    this.clients.clear();
    this.stop();
  }

  private start(): void {
    this.cursor = this.store.lastMetricId();
    this.running = this.runningRuns();
    this.timer = setInterval(() => this.tickSafely(), this.pollMs);
    this.keepalive = setInterval(() => {
      for (const client of this.clients) client.response.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.timer.unref();
    this.keepalive.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    clearInterval(this.keepalive);
    this.timer = undefined;
    this.keepalive = undefined;
  }

  private runningRuns(): Map<string, RunStatus> {
    const page = this.store.listRuns({ status: 'running', limit: 1000, includeParams: [], includeMetrics: [] });
    return new Map(page.runs.map((r) => [r.id, r.status]));
  }

  private tickSafely(): void {
    try {
      this.tick();
    } catch (error) {
      this.onError(error);
    }
  }

  /** One poll: new metric points, then runs that started or stopped. Public for tests. */
  tick(): void {
    const last = this.store.lastMetricId();
    let read = 0;
    while (last > this.cursor && read < POINTS_PER_TICK) {
      const page = this.store.getMetricsAfter({ afterId: this.cursor, limit: PAGE });
      if (page.points.length === 0) break;
      read += page.points.length;
      this.cursor = page.cursor;
      this.fanOut(page.points);
    }
    // Deleted points (a resumed run) can move the highest id back; follow it so new ids are not missed.
    if (last < this.cursor) this.cursor = last;

    const nowRunning = this.runningRuns();
    const changed: RunStatusChange[] = [];
    for (const id of this.running.keys()) {
      if (nowRunning.has(id)) continue;
      const run = this.store.getRun(id);
      if (run) changed.push({ id, status: run.status, endTime: run.endTime });
    }
    for (const id of nowRunning.keys()) {
      if (!this.running.has(id)) changed.push({ id, status: 'running', endTime: null });
    }
    this.running = nowRunning;
    if (changed.length > 0) {
      for (const client of this.clients) {
        const mine = client.runIds ? changed.filter((c) => client.runIds!.has(c.id)) : changed;
        if (mine.length > 0) this.send(client, 'runs', { changed: mine }, this.cursor);
      }
    }
  }

  private fanOut(points: MetricPoint[]): void {
    for (const client of this.clients) {
      if (!client.metrics) continue;
      const mine = points.filter(
        (p) => (client.runIds === null || client.runIds.has(p.runId)) && (client.keys === null || client.keys.has(p.key)),
      );
      if (mine.length > 0) this.send(client, 'metrics', { points: mine.map(pointJson) }, this.cursor);
    }
  }

  private send(client: LiveClient, event: string, data: unknown, id: number): void {
    client.response.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
