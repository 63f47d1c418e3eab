/** The dashboard's defaults, in one place. */
export const DASHBOARD_DEFAULTS = {
  /** Loopback only unless the user asks for another address. */
  host: '127.0.0.1',
  port: 6006,
  /** Run list page size when the client gives none, and the largest page it may ask for. */
  pageSize: 100,
  maxPageSize: 1000,
  /** Points per series after downsampling when the client gives no maxPoints; the ceiling it may ask for. */
  maxPoints: 1000,
  maxPointsLimit: 20000,
  /** Runs and metric keys one series request may ask for. */
  maxRunsPerRequest: 50,
  maxKeysPerRequest: 20,
  /** Largest image accepted by predict: 10 MiB (a 224x224 photo is a few hundred KiB). */
  predictMaxBytes: 10 * 1024 * 1024,
  /** Serialised series kept for reuse (finished runs' curves do not change): 64 MiB. */
  seriesCacheBytes: 64 * 1024 * 1024,
  /** How often the live stream checks the store for new metric points. */
  livePollMs: 1000,
  /** Rows per CSV export of the run list; the export streams in pages of this size. */
  csvPageSize: 1000,
  /** The tracking server: a run without a heartbeat this long, held by no live job, is recorded crashed. */
  staleAfterMs: 60_000,
  reapEveryMs: 10_000,
  /** Largest uploaded artifact file (a checkpoint): 16 GiB. */
  maxArtifactBytes: 16 * 1024 ** 3,
  /** The tracking server's WAL checkpoints, in a worker thread (the store's checkpointEveryMs). */
  checkpointEveryMs: 1000,
  /** Largest JSON body of the write API (a batch of 1,000 points is ~100 KB). */
  maxJsonBodyBytes: 16 * 1024 * 1024,
} as const;
