/**
 * The tracking server's client: a RunWriter over HTTP (for a run on another machine, or any run when
 * VGGLAB_TRACKING_URI is set), plus the few reads a training process needs remotely (resolve and get a run, find one
 * by spec hash) and artifact files (upload, download checked against its sha256).
 *
 * Writes go through an outbox (./outbox.ts): delivered in order, one at a time, retried until acknowledged, spooled
 * to disk while the server is unreachable. Each carries the run's attempt, learnt from createRun/resumeRun; a 409
 * (the run was started again elsewhere) rejects that write and every later one of the run with StoreError CONFLICT,
 * and the process should stop the run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { StoreError } from '../errors.ts';
import type { RunWriter } from '../interfaces.ts';
import type {
  Artifact,
  Evaluation,
  Experiment,
  LogArtifactOptions,
  LogBatchInput,
  MetricInput,
  NewArtifact,
  NewEvaluation,
  NewRun,
  ResumedRun,
  ResumeOptions,
  Run,
  RunDetails,
  SetStatusOptions,
  StoreErrorCode,
  StoredRunStatus,
  WriteFence,
} from '../types.ts';
import { type HttpAnswer, type HttpTarget, exchange, httpTarget, isTransientStatus, openExchange, TransportError } from './http.ts';
import { packFolder, unpackFolder } from './bundle.ts';
import { type Delivery, Outbox } from './outbox.ts';
import {
  ARTIFACT_HEADERS,
  type ArtifactBody,
  type CreateRunBody,
  decodeRunDetails,
  encodeBatch,
  type HeartbeatBody,
  type JobClaim,
  type ResumeBody,
  type StatusBody,
  TRACKING_ROUTES,
  trackingPath,
  type TruncateBody,
  type WireRunDetails,
} from './wire.ts';

export interface TrackingClientOptions {
  /** The server, e.g. `http://127.0.0.1:6006`. */
  url: string;
  /** VGGLAB_TOKEN of the server: every write route needs it. */
  token?: string;
  /** Where writes wait while the server is unreachable, past `memoryLimit`. Defaults to <tmp>/vgglab-spool. */
  spoolDir?: string;
  /** Writes kept in memory before they are spooled to disk. Defaults to 256. */
  memoryLimit?: number;
  /** One request's limit. Defaults to 30 s. */
  requestTimeoutMs?: number;
  /** First and longest pause between retries. Default 100 ms and 5 s. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** Reads (getRun, findRunBySpecHash, …) give up after this long without an answer. Defaults to 30 s. */
  readRetryForMs?: number;
  /** Sent with createRun/resumeRun: the queue's job this process runs (a worker's child). */
  claim?: JobClaim;
  /** Told when the server stops answering, and when it answers again. */
  onRetry?(message: string): void;
}

const DEFAULTS = { memoryLimit: 256, requestTimeoutMs: 30_000, firstRetryMs: 100, maxRetryMs: 5000, readRetryForMs: 30_000 };

const STORE_CODES = new Set<StoreErrorCode>(['BATCH_LIMIT', 'INVALID', 'NOT_FOUND', 'AMBIGUOUS', 'CONFLICT', 'READONLY', 'SCHEMA', 'PERMISSION']);

/** The server's answer as an error: StoreError for the store's refusals (409 CONFLICT, 404 NOT_FOUND, …). */
function answerError(answer: HttpAnswer, what: string): Error {
  let body: { error?: string; message?: string } = {};
  try {
    body = JSON.parse(answer.body.toString('utf8')) as typeof body;
  } catch {
    // not JSON: keep the status
  }
  const message = body.message ?? `status ${answer.status}`;
  if (STORE_CODES.has(body.error as StoreErrorCode)) return new StoreError(body.error as StoreErrorCode, message);
  if (answer.status === 409) return new StoreError('CONFLICT', message);
  if (answer.status === 404) return new StoreError('NOT_FOUND', message);
  if (answer.status === 400) return new StoreError('INVALID', message);
  if (answer.status === 401) return new Error(`the tracking server refused ${what}: ${message}`);
  return new Error(`the tracking server answered ${answer.status} to ${what}: ${message}`);
}

function json<T>(answer: HttpAnswer): T {
  return JSON.parse(answer.body.toString('utf8')) as T;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export class TrackingClient implements RunWriter {
  readonly url: string;
  private readonly target: HttpTarget;
  private readonly outbox: Outbox;
  private readonly options: Required<Pick<TrackingClientOptions, 'requestTimeoutMs' | 'readRetryForMs' | 'firstRetryMs' | 'maxRetryMs'>>;
  private readonly spoolDir: string;
  /** The attempt each run is at, as this process started it. */
  private readonly attempts = new Map<string, number>();
  /** Runs another process took over: every later write of theirs is refused here. */
  private readonly fenced = new Map<string, StoreError>();

  constructor(private readonly config: TrackingClientOptions) {
    this.target = httpTarget(config.url, config.token);
    this.url = this.target.base.origin;
    this.options = {
      requestTimeoutMs: config.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      readRetryForMs: config.readRetryForMs ?? DEFAULTS.readRetryForMs,
      firstRetryMs: config.firstRetryMs ?? DEFAULTS.firstRetryMs,
      maxRetryMs: config.maxRetryMs ?? DEFAULTS.maxRetryMs,
    };
    this.spoolDir = config.spoolDir ?? join(tmpdir(), 'vgglab-spool');
    this.outbox = new Outbox((delivery) => this.send(delivery), {
      memoryLimit: config.memoryLimit ?? DEFAULTS.memoryLimit,
      spoolDir: this.spoolDir,
      firstRetryMs: this.options.firstRetryMs,
      maxRetryMs: this.options.maxRetryMs,
      onRetry: config.onRetry,
    });
  }

  /** Writes not yet acknowledged, and how many of them wait on disk. */
  get pendingWrites(): { total: number; spooled: number } {
    return { total: this.outbox.size, spooled: this.outbox.spooled };
  }

  /** The attempt this process holds of a run (after createRun/resumeRun). */
  attemptOf(runId: string): number | undefined {
    return this.attempts.get(runId);
  }

  // --- RunWriter

  async createExperiment(name: string): Promise<Experiment> {
    return json<Experiment>(await this.write({ method: 'POST', path: TRACKING_ROUTES.experiments, body: JSON.stringify({ name }) }, 'createExperiment'));
  }

  async createRun(input: NewRun): Promise<Run> {
    // The id is chosen here, so a retried request (its answer lost) finds the run it made instead of making another.
    const body: CreateRunBody = { run: { ...input, id: input.id ?? randomUUID().replaceAll('-', '') }, ...(this.config.claim ? { claim: this.config.claim } : {}) };
    const run = json<Run>(await this.write({ method: 'POST', path: TRACKING_ROUTES.runs, body: JSON.stringify(body) }, 'createRun'));
    this.attempts.set(run.id, run.attempt);
    this.fenced.delete(run.id);
    return run;
  }

  async resumeRun(runId: string, options: ResumeOptions): Promise<ResumedRun> {
    const body: ResumeBody = { ...options, ...(this.config.claim ? { claim: this.config.claim } : {}) };
    const path = trackingPath(TRACKING_ROUTES.resume, { runId });
    const run = json<ResumedRun>(await this.write({ method: 'POST', path, body: JSON.stringify(body) }, 'resumeRun'));
    this.attempts.set(runId, run.attempt);
    this.fenced.delete(runId);
    return run;
  }

  async setRunStatus(runId: string, status: StoredRunStatus, options: SetStatusOptions = {}): Promise<void> {
    const body: StatusBody = { ...this.fence(runId, options), status, ...(options.endTime === undefined ? {} : { endTime: options.endTime }) };
    await this.runWrite(runId, TRACKING_ROUTES.status, body, 'setRunStatus');
  }

  async heartbeat(runId: string, pid?: number, fence?: WriteFence): Promise<void> {
    const body: HeartbeatBody = { ...this.fence(runId, fence), ...(pid === undefined ? {} : { pid }) };
    await this.runWrite(runId, TRACKING_ROUTES.heartbeat, body, 'heartbeat');
  }

  async deleteMetricsAfter(runId: string, step: number, fence?: WriteFence): Promise<number> {
    const body: TruncateBody = { ...this.fence(runId, fence), step };
    return json<{ deleted: number }>(await this.runWrite(runId, TRACKING_ROUTES.truncate, body, 'deleteMetricsAfter')).deleted;
  }

  async logBatch(runId: string, batch: LogBatchInput, fence?: WriteFence): Promise<void> {
    await this.runWrite(runId, TRACKING_ROUTES.batch, encodeBatch(batch, this.fence(runId, fence).attempt), 'logBatch');
  }

  logMetric(runId: string, metric: MetricInput): Promise<void> {
    return this.logBatch(runId, { metrics: [metric] });
  }

  logParam(runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(runId, { params: [{ key, value }] });
  }

  setTag(runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(runId, { tags: [{ key, value }] });
  }

  async logArtifact(runId: string, artifact: NewArtifact, options: LogArtifactOptions = {}): Promise<Artifact> {
    const body: ArtifactBody = { ...this.fence(runId, options), artifact, ...(options.replaceKind ? { replaceKind: true } : {}) };
    return json<Artifact>(await this.runWrite(runId, TRACKING_ROUTES.artifacts, body, 'logArtifact'));
  }

  async logEvaluation(runId: string, evaluation: NewEvaluation): Promise<Evaluation> {
    return json<Evaluation>(await this.runWrite(runId, TRACKING_ROUTES.evaluations, evaluation, 'logEvaluation'));
  }

  /** Waits until every write is acknowledged (retrying while the server is unreachable), then lets go. */
  async close(): Promise<void> {
    await this.outbox.close();
    this.target.agent.destroy();
  }

  /** Resolves once every write made so far is answered. */
  drained(): Promise<void> {
    return this.outbox.drained();
  }

  // --- artifact files

  /**
   * Uploads a file as the run's artifact of `kind`, replacing the previous one of that kind once the server has it
   * whole (streamed to a temporary file, fsynced, checked against the sha256 sent, renamed into place). Queued after
   * every write made before it, so a checkpoint is committed only after the points logged before it are.
   */
  async uploadArtifact(runId: string, meta: { kind: string; step?: number; epoch?: number; metadata?: unknown; name?: string }, file: string): Promise<Artifact> {
    const sha256 = await sha256OfFile(file);
    const { size } = statSync(file);
    const query = new URLSearchParams();
    const attempt = this.attempts.get(runId);
    if (attempt !== undefined) query.set('attempt', String(attempt));
    if (meta.step !== undefined) query.set('step', String(meta.step));
    if (meta.epoch !== undefined) query.set('epoch', String(meta.epoch));
    query.set('name', meta.name ?? (basename(file).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '') || 'artifact'));
    const headers: Record<string, string> = { [ARTIFACT_HEADERS.sha256]: sha256 };
    if (meta.metadata !== undefined) headers[ARTIFACT_HEADERS.metadata] = encodeURIComponent(JSON.stringify(meta.metadata));
    const path = `${trackingPath(TRACKING_ROUTES.artifactFile, { runId, kind: meta.kind })}?${query}`;
    return json<Artifact>(await this.runWrite(runId, path, undefined, 'uploadArtifact', { method: 'PUT', path, headers, file: { path: file, bytes: size } }));
  }

  /**
   * Downloads the run's artifact file of `kind` to `dest`: streamed to a temporary file beside it, fsynced, checked
   * against the sha256 the server recorded at upload (and `expectSha256` when given), then renamed into place. A
   * transfer cut short is retried; a checksum that does not match is an error and leaves nothing at `dest`.
   */
  async downloadArtifact(runId: string, kind: string, dest: string, options: { expectSha256?: string } = {}): Promise<Artifact> {
    const path = trackingPath(TRACKING_ROUTES.artifactFile, { runId, kind });
    return this.read(`download ${kind} of run ${runId}`, async () => {
      const response = await openExchange(this.target, { method: 'GET', path, timeoutMs: this.options.requestTimeoutMs });
      if (response.statusCode !== 200) {
        const chunks: Buffer[] = [];
        for await (const chunk of response) chunks.push(chunk as Buffer);
        return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) };
      }
      const artifact = JSON.parse(decodeURIComponent(String(response.headers[ARTIFACT_HEADERS.artifact]))) as Artifact;
      const recorded = String(response.headers[ARTIFACT_HEADERS.sha256] ?? '');
      const tmp = join(dirname(dest), `.${basename(dest)}.part-${randomUUID()}`);
      const hash = createHash('sha256');
      try {
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        let cut = false;
        response.on('aborted', () => (cut = true));
        await pipeline(response, hashing, createWriteStream(tmp, { mode: 0o600 })).catch((err: NodeJS.ErrnoException) => {
          throw cut || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? new TransportError('the download was cut short') : err;
        });
        if (cut || response.complete === false) throw new TransportError('the download was cut short');
        const got = hash.digest('hex');
        if (got !== recorded || (options.expectSha256 !== undefined && got !== options.expectSha256)) {
          throw new StoreError('INVALID', `artifact ${kind} of run ${runId}: the file received has sha256 ${got}, the server recorded ${recorded}${options.expectSha256 ? ` (expected ${options.expectSha256})` : ''}`);
        }
        const fd = openSync(tmp, 'r');
        fsyncSync(fd);
        closeSync(fd);
        renameSync(tmp, dest);
        return { status: 200, headers: response.headers, body: Buffer.from(JSON.stringify(artifact)) };
      } finally {
        rmSync(tmp, { force: true });
      }
    }).then((answer) => json<Artifact>(answer));
  }

  /**
   * Uploads a folder (a checkpoint) as one artifact file of `kind` (./bundle.ts), replacing the previous one; the
   * bundle is written to a temporary file first and removed once the server has it.
   */
  async uploadFolder(runId: string, meta: { kind: string; step?: number; epoch?: number; metadata?: unknown }, dir: string): Promise<Artifact> {
    const file = join(this.spoolDir, `bundle-${randomUUID()}.vgglab-dir`);
    mkdirSync(this.spoolDir, { recursive: true });
    try {
      await packFolder(dir, file);
      return await this.uploadArtifact(runId, { ...meta, name: `${meta.kind}.vgglab-dir` }, file);
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Downloads the run's folder artifact of `kind` into `dest` (checked, then swapped into place). */
  async downloadFolder(runId: string, kind: string, dest: string, options: { expectSha256?: string } = {}): Promise<Artifact> {
    mkdirSync(dirname(dest), { recursive: true });
    const file = join(dirname(dest), `.${basename(dest)}.download-${randomUUID()}`);
    try {
      const artifact = await this.downloadArtifact(runId, kind, file, options);
      unpackFolder(file, dest);
      return artifact;
    } finally {
      rmSync(file, { force: true });
    }
  }

  // --- reads a training process needs

  async getRun(runId: string): Promise<RunDetails | undefined> {
    const answer = await this.get(trackingPath(TRACKING_ROUTES.run, { runId }), `get run ${runId}`, [404]);
    return answer.status === 404 ? undefined : decodeRunDetails(json<WireRunDetails>(answer));
  }

  async resolveRunId(idOrPrefix: string): Promise<string> {
    return json<{ id: string }>(await this.get(trackingPath(TRACKING_ROUTES.resolve, { idOrPrefix }), `resolve run ${idOrPrefix}`)).id;
  }

  async findRunBySpecHash(experiment: string, specHash: string): Promise<Run | undefined> {
    const query = new URLSearchParams({ experiment, specHash });
    return json<{ run: Run | null }>(await this.get(`${TRACKING_ROUTES.find}?${query}`, 'find a run by spec hash')).run ?? undefined;
  }

  /** Any read route of the server (`/api/runs?…`, the dashboard's API), as JSON, with the token; retried while the
   * server does not answer, for at most readRetryForMs. */
  async getJson<T>(path: string): Promise<T> {
    return json<T>(await this.get(path, `read ${path.split('?')[0]}`));
  }

  // --- plumbing

  private fence(runId: string, fence: WriteFence | undefined): { attempt?: number } {
    const attempt = fence?.attempt ?? this.attempts.get(runId);
    return attempt === undefined ? {} : { attempt };
  }

  /** A write of a run: refused here once the run was taken over, and a 409 marks it so. */
  private async runWrite(runId: string, route: string, body: unknown, what: string, delivery?: Delivery): Promise<HttpAnswer> {
    const refused = this.fenced.get(runId);
    if (refused) throw refused;
    const path = route.includes(':') ? trackingPath(route, { runId }) : route;
    try {
      return await this.write(delivery ?? { method: 'POST', path, body: JSON.stringify(body) }, what);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'CONFLICT' && /attempt/.test(error.message)) this.fenced.set(runId, error);
      throw error;
    }
  }

  private async write(delivery: Delivery, what: string): Promise<HttpAnswer> {
    const answer = await this.outbox.push(delivery);
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw answerError(answer, what);
  }

  private send(delivery: Delivery): Promise<HttpAnswer> {
    const { file } = delivery;
    return exchange(this.target, {
      method: delivery.method,
      path: delivery.path,
      headers: delivery.headers,
      body: file ? () => createReadStream(file.path) : delivery.body,
      bodyBytes: file?.bytes,
      timeoutMs: this.options.requestTimeoutMs,
    });
  }

  private get(path: string, what: string, accept: number[] = []): Promise<HttpAnswer> {
    return this.read(what, () => exchange(this.target, { method: 'GET', path, timeoutMs: this.options.requestTimeoutMs }), accept);
  }

  /** A read, retried while the server does not answer, for at most readRetryForMs. */
  private async read(what: string, attempt: () => Promise<HttpAnswer>, accept: number[] = []): Promise<HttpAnswer> {
    const deadline = Date.now() + this.options.readRetryForMs;
    let pause = this.options.firstRetryMs;
    for (;;) {
      let problem: string;
      try {
        const answer = await attempt();
        if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) return answer;
        if (!isTransientStatus(answer.status)) throw answerError(answer, what);
        problem = `status ${answer.status}`;
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        problem = error.message;
      }
      if (Date.now() + pause > deadline) throw new Error(`cannot reach the tracking server at ${this.url} to ${what}: ${problem}`);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(this.options.maxRetryMs, pause * 2);
    }
  }
}

/** A RunWriter over HTTP to the tracking server at `options.url`. */
export function createHttpRunWriter(options: TrackingClientOptions): TrackingClient {
  return new TrackingClient(options);
}
