/** What createServer and startServer take. Defaults live in ../defaults.ts. */
import type { QueueView } from '@vgglab/queue';
import type { Prediction } from '../wire/api-json.ts';

/** What the server asks of the queue (`--redis`): @vgglab/queue's view over BullMQ. */
export type { QueueView };

export type { Prediction };

/** Runs a run's checkpoint on one encoded image (PNG, JPEG, …). Provided by the runner (`vgglab serve`): the
 * dashboard never imports model code. Throw an error with `statusCode` 4xx for a bad image or missing checkpoint. */
export type PredictFn = (runId: string, imageBytes: Buffer) => Promise<Prediction[]>;

export interface DashboardOptions {
  /** The run store's SQLite file. It must exist: the dashboard opens it read-only. */
  dbFile: string;
  /** Folder whose artifact files may be served. Defaults to the db file's folder (where the runner writes). */
  runsDir?: string;
  /** Built page to serve. Defaults to packages/dashboard/dist, built with Vite at start when missing or stale. */
  distDir?: string;
  predict?: PredictFn;
  /** Largest accepted image for predict. Defaults to 10 MiB. */
  predictMaxBytes?: number;
  /** How often live streams poll the store. Defaults to 1000 ms. */
  livePollMs?: number;
  /** Memory for serialised series reused across requests. Defaults to 64 MiB; 0 turns the cache off. */
  seriesCacheBytes?: number;
  /** fastify's logger: off by default (tests); the CLI turns it on. */
  logger?: boolean;
  /** Build the page at start when it is missing or stale. Defaults to true for the default distDir. */
  buildPage?: boolean;
  /** Answer only requests whose Host header names this machine (localhost, 127.0.0.1, [::1]), so a web page
   * cannot read the API through DNS rebinding. startServer turns it on when listening on a loopback address. */
  loopbackOnly?: boolean;
  /** The access token (src/auth). Routes that need it check it; with `tokenEveryRoute`, all of them do. */
  token?: string;
  /** Every request needs the token. startServer turns it on when listening beyond loopback. */
  tokenEveryRoute?: boolean;
  /** The tracking server (`vgglab server`): the store is opened for writing (created when missing), the write API
   * (src/routes/tracking, always behind the token) is served, and runs whose heartbeat stopped are recorded
   * crashed. Without it the dashboard is read-only. */
  tracking?: TrackingOptions;
  /** The queue's view (waiting / running / failed per sweep): the `/api/queue` panel. */
  queue?: QueueView;
}

export interface TrackingOptions {
  /** A run without a heartbeat for this long, that no live job holds, is recorded crashed. Defaults to 60 s (the
   * metric queue beats every 10 s). */
  staleAfterMs?: number;
  /** How often the server looks for such runs. Defaults to 10 s. */
  reapEveryMs?: number;
  /** Largest artifact file accepted. Defaults to 16 GiB. */
  maxArtifactBytes?: number;
}

export interface StartOptions {
  dbFile: string;
  port?: number;
  /** Defaults to 127.0.0.1: another address only when asked. Any address beyond loopback needs `token`. */
  host?: string;
  /** The access token (`--token` or VGGLAB_TOKEN); required when `host` is not a loopback address. */
  token?: string;
  predict?: PredictFn;
  runsDir?: string;
  logger?: boolean;
  tracking?: TrackingOptions;
  queue?: QueueView;
}
