/**
 * Where runs are written: the one place the runner picks its writer. Without a tracking server it is the SQLite store
 * (`--db`, VGGLAB_DB, the spec's `store.db`, runs/vgglab.db); with one (`--server http://host:port`, else
 * VGGLAB_TRACKING_URI) it is the server's HTTP client, and checkpoints, still written to this machine's runs folder
 * first, travel to the server and back through it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHttpRunWriter, openStore, type JobClaim, type Run, type RunDetails, type RunStore, type RunWriter, type TrackingClient } from '@vgglab/store';
import { TOKEN_ENV_VAR, TRACKING_URI_ENV_VAR } from '../defaults.ts';
import { CliError } from '../errors.ts';
import { resolveDbFile, resolveRunsDir } from '../paths.ts';

/** The tracking server's URL: `--server`, else VGGLAB_TRACKING_URI; undefined for the local store. */
export function trackingUri(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return flag || env[TRACKING_URI_ENV_VAR] || undefined;
}

/** The reads a training command needs, the same whether the store is a file here or behind a server. */
export interface TargetReads {
  resolveRunId(idOrPrefix: string): Promise<string>;
  getRun(runId: string): Promise<RunDetails | undefined>;
  findRunBySpecHash(experiment: string, specHash: string): Promise<Run | undefined>;
}

export interface RunTarget {
  /** The SQLite store, or the tracking server's client. */
  writer: RunWriter;
  reads: TargetReads;
  /** The store when local (its reads are synchronous), else null. */
  local: RunStore | null;
  /** The tracking server's client when remote, else null. */
  remote: TrackingClient | null;
  /** This machine's folder of the runs' files (checkpoints, data caches). */
  runsDir: string;
  /** What a message names: the db file or the server's URL. */
  where: string;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** `--server`. */
  server?: string;
  /** `--db`. */
  dbFlag?: string;
  /** The spec's `store` block and its folder, when a spec is at hand. */
  specStore?: { db?: string; dir?: string };
  specDir?: string;
  env: NodeJS.ProcessEnv;
  /** A worker's child: the job it runs, checked by the server before an attempt starts. */
  claim?: JobClaim;
  /** Told when the server stops answering and when it answers again. */
  onRetry?(message: string): void;
}

/** A client of the tracking server at `url`, with the token from VGGLAB_TOKEN. */
export function trackingClient(url: string, env: NodeJS.ProcessEnv, extra: { claim?: JobClaim; spoolDir?: string; onRetry?(message: string): void } = {}): TrackingClient {
  try {
    return createHttpRunWriter({ url, token: env[TOKEN_ENV_VAR], ...extra });
  } catch (error) {
    throw new CliError(`--server / ${TRACKING_URI_ENV_VAR}: ${(error as Error).message}`);
  }
}

export function openRunTarget(options: TargetOptions): RunTarget {
  const dbFile = resolveDbFile({ flag: options.dbFlag, specDb: options.specStore?.db, specDir: options.specDir }, options.env);
  const runsDir = resolveRunsDir(dbFile, options.specDir, options.specStore?.dir);
  const url = trackingUri(options.server, options.env);
  if (url) {
    if (options.dbFlag) throw new CliError(`--db and a tracking server (${url}) exclude each other: runs go to the server's store`);
    fs.mkdirSync(runsDir, { recursive: true });
    const client = trackingClient(url, options.env, { claim: options.claim, spoolDir: path.join(runsDir, '.spool'), onRetry: options.onRetry });
    return { writer: client, reads: client, local: null, remote: client, runsDir, where: client.url, close: () => client.close() };
  }
  const store = openStore(dbFile);
  return {
    writer: store,
    reads: {
      resolveRunId: async (idOrPrefix) => store.resolveRunId(idOrPrefix),
      getRun: async (runId) => store.getRun(runId),
      findRunBySpecHash: async (experiment, specHash) => store.findRunBySpecHash(experiment, specHash),
    },
    local: store,
    remote: null,
    runsDir,
    where: dbFile,
    close: async () => store.close(),
  };
}
