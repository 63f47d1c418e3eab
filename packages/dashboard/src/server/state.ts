/**
 * What the routes share, as typed fastify decorations: createServer decorates the root instance before it
 * registers any route plugin, and the plugins read `app.runStore`, `app.liveHub`, `app.seriesCache` and
 * `app.dashboard` (children see their parent's decorations).
 */
import type { FastifyInstance } from 'fastify';
import { openRunReader, openStore, type RunReader, type RunStore } from '@vgglab/store';
import { DASHBOARD_DEFAULTS } from '../defaults.ts';
import { LiveHub } from '../live.ts';
import { SeriesCache } from '../series/cache.ts';
import { cachedSize, type CachedSeries } from '../series/encode.ts';
import type { DashboardOptions, PredictFn, QueueView, TrackingOptions } from './options.ts';

/** Settings the routes read (resolved from DashboardOptions). */
export interface DashboardSettings {
  /** Absolute path of the SQLite file (never sent to a client beyond this machine). */
  dbFile: string;
  /** Real path of the folder whose artifact files may be served. */
  runsDir: string;
  predict?: PredictFn;
  predictMaxBytes: number;
  /** Whether the page may edit runs: on a loopback server, or with a token (routes/edit.ts). */
  edits: boolean;
  /** A reader of its own for a streamed export: a streamed query keeps its connection busy between chunks. */
  openReader(): RunReader;
}

/** The tracking server's state: the store opened for writing (the server is its only writer), the queue. */
export interface TrackingState {
  store: RunStore;
  settings: Required<TrackingOptions>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The run store, read side only (the edit routes write through a writer of their own). */
    runStore: RunReader;
    liveHub: LiveHub;
    seriesCache: SeriesCache<CachedSeries>;
    dashboard: DashboardSettings;
    /** Only on the tracking server (`options.tracking`): the write side, for src/routes/tracking. */
    tracking: TrackingState | null;
    /** The queue's view (`--redis`), or null. */
    queueView: QueueView | null;
  }
}

/** Opens the store (read-only, or for writing on the tracking server: one connection serves both sides, so a read
 * sees every write) and decorates `app` with everything the routes read; closes it all with the server. */
export function decorateState(app: FastifyInstance, options: DashboardOptions, paths: { dbFile: string; runsDir: string }): void {
  const openReader = (): RunReader => openRunReader(paths.dbFile);
  // The tracking server commits many small batches: WAL checkpoints (and their fsyncs) happen in a worker thread,
  // not inside a commit on the event loop.
  const writer = options.tracking ? openStore(paths.dbFile, { checkpointEveryMs: DASHBOARD_DEFAULTS.checkpointEveryMs }) : null;
  const store: RunReader = writer ?? openReader();
  const hub = new LiveHub(store, options.livePollMs ?? DASHBOARD_DEFAULTS.livePollMs, (error) =>
    app.log.error({ err: error }, 'live poll failed'),
  );
  app.decorate('runStore', store);
  app.decorate('liveHub', hub);
  app.decorate('seriesCache', new SeriesCache<CachedSeries>(options.seriesCacheBytes ?? DASHBOARD_DEFAULTS.seriesCacheBytes, cachedSize));
  app.decorate('dashboard', {
    dbFile: paths.dbFile,
    runsDir: paths.runsDir,
    predict: options.predict,
    predictMaxBytes: options.predictMaxBytes ?? DASHBOARD_DEFAULTS.predictMaxBytes,
    edits: options.loopbackOnly === true || options.token !== undefined,
    openReader,
  });
  app.decorate('tracking', writer ? { store: writer, settings: trackingSettings(options.tracking!) } : null);
  app.decorate('queueView', options.queue ?? null);
  app.addHook('onClose', async () => {
    hub.close();
    store.close();
  });
}

function trackingSettings(options: TrackingOptions): Required<TrackingOptions> {
  return {
    staleAfterMs: options.staleAfterMs ?? DASHBOARD_DEFAULTS.staleAfterMs,
    reapEveryMs: options.reapEveryMs ?? DASHBOARD_DEFAULTS.reapEveryMs,
    maxArtifactBytes: options.maxArtifactBytes ?? DASHBOARD_DEFAULTS.maxArtifactBytes,
  };
}
