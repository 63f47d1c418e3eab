/**
 * Artifact files over the write API (checkpoints of runs on other machines). An upload is streamed to a temporary
 * file in the run's upload folder, fsynced, checked against the sha256 the client sent, renamed to a name of its
 * own, and only then recorded (fenced by the writer's attempt, replacing the run's previous artifact of that kind in
 * the same transaction); the replaced file is deleted after. An upload cut short leaves nothing: its temporary file
 * is removed, and nothing was recorded. A download streams the recorded file with the sha256 recorded at upload,
 * which the client checks.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync } from 'fastify';
import { ARTIFACT_HEADERS, type Artifact, StoreError, TRACKING_ROUTES, artifactFileParamsSchema, artifactFileQuerySchema } from '@vgglab/store';
import { isInside } from '../../files.ts';

type FileRequest = {
  Params: { runId: string; kind: string };
  Querystring: { attempt?: number; step?: number; epoch?: number; name?: string };
  Body: NodeJS.ReadableStream;
};

const TEMP_PREFIX = '.upload-';

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

export const artifactFileRoutes: FastifyPluginAsync = async (app) => {
  const { store, settings } = app.tracking!;
  const { runsDir } = app.dashboard;
  /** Temporary files of uploads in progress in this process; others in an upload folder are leftovers of a server
   * that was killed mid-upload, removed when the folder is next used. */
  const active = new Set<string>();
  // The body stays a stream: the route reads it.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  const uploadDir = (runId: string): string => {
    const dir = join(runsDir, runId, 'uploads');
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.startsWith(TEMP_PREFIX) && !active.has(path)) rmSync(path, { force: true });
    }
    return dir;
  };

  /** Streams the body to `tmp`, returning its sha256 and size; a body cut short or too large is an error. */
  const receive = async (body: NodeJS.ReadableStream, tmp: string, expectedBytes: number | undefined): Promise<{ sha256: string; bytes: number }> => {
    const hash = createHash('sha256');
    let bytes = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > settings.maxArtifactBytes) return done(badRequest(`artifact file too large: the limit is ${settings.maxArtifactBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(body, counting, createWriteStream(tmp, { mode: 0o600 }));
    if (expectedBytes !== undefined && bytes !== expectedBytes) throw badRequest(`the upload was cut short: ${bytes} of ${expectedBytes} bytes`);
    return { sha256: hash.digest('hex'), bytes };
  };

  app.put<FileRequest>(
    TRACKING_ROUTES.artifactFile,
    { schema: { params: artifactFileParamsSchema, querystring: artifactFileQuerySchema } },
    async (request): Promise<Artifact> => {
      const { runId, kind } = request.params;
      const { attempt, step, epoch, name = 'artifact' } = request.query;
      const expectedSha = String(request.headers[ARTIFACT_HEADERS.sha256] ?? '');
      if (!/^[0-9a-f]{64}$/.test(expectedSha)) throw badRequest(`send the file's sha256 (64 lowercase hex digits) in ${ARTIFACT_HEADERS.sha256}`);
      let metadata: unknown;
      const metadataHeader = request.headers[ARTIFACT_HEADERS.metadata];
      if (metadataHeader !== undefined) {
        try {
          metadata = JSON.parse(decodeURIComponent(String(metadataHeader)));
        } catch {
          throw badRequest(`${ARTIFACT_HEADERS.metadata} must be percent-encoded JSON`);
        }
      }
      // Refuse an older attempt before reading the body (the write below checks again, in its transaction).
      const run = store.getRun(runId);
      if (!run) throw new StoreError('NOT_FOUND', `no run '${runId}'`);
      if (attempt !== undefined && attempt !== run.attempt) {
        throw new StoreError('CONFLICT', `run '${runId}' is at attempt ${run.attempt}; this upload of attempt ${attempt} was refused`);
      }
      const length = request.headers['content-length'];
      const dir = uploadDir(runId);
      const tmp = join(dir, `${TEMP_PREFIX}${randomUUID()}.tmp`);
      const final = join(dir, `${kind}-a${attempt ?? run.attempt}-s${step ?? 'none'}-${randomUUID().slice(0, 8)}-${name}`);
      active.add(tmp);
      try {
        const got = await receive(request.body, tmp, length === undefined ? undefined : Number(length));
        if (got.sha256 !== expectedSha) throw badRequest(`the file received has sha256 ${got.sha256}, not the ${expectedSha} sent: upload it again`);
        fsyncPath(tmp);
        renameSync(tmp, final);
        fsyncPath(dir);
        const replaced = store.listArtifacts(runId, kind).filter((a) => a.sha256 !== null);
        const path = relative(runsDir, final).split(sep).join('/');
        let artifact: Artifact;
        try {
          artifact = store.logArtifact(runId, { kind, path, step, epoch, metadata, sha256: got.sha256, bytes: got.bytes }, { attempt, replaceKind: true });
        } catch (error) {
          rmSync(final, { force: true });
          throw error;
        }
        for (const old of replaced) {
          const oldPath = resolve(runsDir, old.path);
          if (old.path !== path && isInside(runsDir, oldPath)) rmSync(oldPath, { force: true });
        }
        return artifact;
      } finally {
        rmSync(tmp, { force: true });
        active.delete(tmp);
      }
    },
  );

  app.get<{ Params: { runId: string; kind: string } }>(TRACKING_ROUTES.artifactFile, { schema: { params: artifactFileParamsSchema } }, async (request, reply) => {
    const { runId, kind } = request.params;
    const artifact = store.listArtifacts(runId, kind).find((a) => a.sha256 !== null);
    const path = artifact && resolve(runsDir, artifact.path);
    if (!artifact || !path || !isInside(runsDir, path) || !existsSync(path)) {
      throw new StoreError('NOT_FOUND', `run '${runId}' has no uploaded ${kind} file`);
    }
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-length', statSync(path).size);
    reply.header(ARTIFACT_HEADERS.sha256, artifact.sha256!);
    reply.header(ARTIFACT_HEADERS.artifact, encodeURIComponent(JSON.stringify(artifact)));
    return reply.send(createReadStream(path));
  });
};
