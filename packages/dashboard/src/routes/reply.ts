/** Small pieces several routes share: downloads, CSV streams, run ids. */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RunReader } from '@vgglab/store';

/** `Content-Disposition` for a download, the name reduced to safe characters. */
export function attachmentHeader(fileName: string): string {
  const safe = fileName.replace(/[^\w.-]+/g, '_');
  return `attachment; filename="${safe}"`;
}

/** Streams CSV lines read on a reader of their own (closed when the stream ends or the client goes). */
export function sendCsv(app: FastifyInstance, reply: FastifyReply, fileName: string, lines: (reader: RunReader) => Iterable<string>): FastifyReply {
  const reader = app.dashboard.openReader();
  const stream = Readable.from(lines(reader));
  stream.on('close', () => reader.close());
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', attachmentHeader(fileName));
  return reply.send(stream);
}

/** Full run id from an id or unique prefix; StoreError NOT_FOUND/AMBIGUOUS become 404/400. */
export function runIdOf(app: FastifyInstance, idOrPrefix: string): string {
  return app.runStore.resolveRunId(idOrPrefix);
}
