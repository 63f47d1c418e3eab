/**
 * One error handler for every route: validation errors are 400s naming the parameter, the store's errors map to
 * their status, and no message leaves the server with a file-system path of the server in it (the db file, the
 * runs folder, the temporary folder): a client learns what went wrong, not where the files are.
 */
import { tmpdir } from 'node:os';
import { dirname, sep } from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import { StoreError, type StoreErrorCode } from '@vgglab/store';

const STORE_ERROR_STATUS: Record<StoreErrorCode, number> = {
  BATCH_LIMIT: 400,
  INVALID: 400,
  NOT_FOUND: 404,
  AMBIGUOUS: 400,
  CONFLICT: 409,
  READONLY: 403,
  SCHEMA: 500,
  PERMISSION: 500,
};

/** Content types predict accepts (the only request bodies this server reads). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'application/octet-stream'];

/**
 * Replaces the server's own paths in a message with what they are: the db file as "the run store", the runs folder
 * as "the runs folder", anything in the temporary folder as "a temporary file". Longest first, so the db file is
 * not cut into "the runs folder/vgglab.db".
 */
export function pathRedactor(places: { dbFile: string; runsDir: string }): (message: string) => string {
  const temporary = tmpdir();
  const named: [string, string][] = [
    [places.dbFile, 'the run store'],
    [places.runsDir, 'the runs folder'],
    [dirname(places.dbFile), 'the runs folder'],
  ];
  named.sort((a, b) => b[0].length - a[0].length);
  // A path under the temporary folder, to the next space, quote or colon-space (the end of a path in a message).
  const temporaryPath = new RegExp(`${escapeRegExp(temporary)}(?=$|[\\s'":]|${escapeRegExp(sep)})(?:${escapeRegExp(sep)}[^\\s'":]*)?`, 'g');
  return (message) => {
    let out = message;
    for (const [path, name] of named) out = out.split(path).join(name);
    return out.replace(temporaryPath, 'a temporary file');
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Sets the server's error handler (children inherit it). */
export function setErrorHandling(app: FastifyInstance): void {
  const redact = pathRedactor(app.dashboard);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: redact(error.message) });
    }
    if (error instanceof StoreError) {
      const statusCode = STORE_ERROR_STATUS[error.code] ?? 500;
      return reply.code(statusCode).send({ statusCode, error: error.code, message: redact(error.message) });
    }
    const statusCode = error.statusCode ?? 500;
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `image too large: the limit is ${app.dashboard.predictMaxBytes} bytes`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content type '${request.headers['content-type'] ?? ''}': send the image bytes as ${IMAGE_TYPES.join(', ')}`
          : statusCode >= 500
            ? `internal error: ${error.message}`
            : error.message;
    return reply.code(statusCode).send({ statusCode, error: error.name, message: redact(message) });
  });
}
