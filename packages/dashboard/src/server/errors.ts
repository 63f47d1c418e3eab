/**
 * One error handler for every route: validation errors are 400s naming the parameter, the store's errors map to
 * their status.
 */
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
};

/** Content types predict accepts (the only request bodies this server reads). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'application/octet-stream'];

/** Sets the server's error handler (children inherit it). */
export function setErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: error.message });
    }
    if (error instanceof StoreError) {
      const statusCode = STORE_ERROR_STATUS[error.code] ?? 500;
      return reply.code(statusCode).send({ statusCode, error: error.code, message: error.message });
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
    return reply.code(statusCode).send({ statusCode, error: error.name, message });
  });
}
