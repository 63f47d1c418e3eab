/**
 * Editing runs from the page: `PATCH /api/runs/:runId` (rename, note, star, tags) and `DELETE /api/runs/:runId`. The
 * rest of the server reads through a read-only store; these routes open a writer on the first edit only, so a
 * dashboard nobody edits from never writes to, creates or migrates the file.
 *
 * Who may edit: on a server bound to loopback, this machine (its Host check already refuses rebinding pages); beyond
 * loopback, whoever carries the token (`app.requireToken`, even were the other routes open). A request whose Origin
 * names another site is refused as well: the edit routes take only `application/json` bodies with PATCH and DELETE,
 * which a page of another origin cannot send without a CORS preflight this server never answers; the Origin check
 * is the second lock.
 */
import { realpathSync, rmSync } from 'node:fs';
import type { FastifyPluginAsync, onRequestAsyncHookHandler } from 'fastify';
import { openStore, runFolder, StoreError, type RunEdit, type RunStore } from '@vgglab/store';
import { isInside } from '../files.ts';
import * as schemas from '../schemas.ts';
import type { DeletedRunJson, EditedRunJson } from '../wire/compare-json.ts';
import { runIdOf } from './reply.ts';

export interface EditRouteOptions {
  /** `loopback`: the server answers this machine only, edits need nothing more; `token`: edits need the token. */
  access: 'loopback' | 'token';
}

/** Largest edit body: a note of 10,000 characters (up to 4 bytes each) with room for tags. */
const EDIT_BODY_LIMIT = 64 * 1024;

/** 403 for a browser request sent by a page of another origin than the server's own. */
const sameOriginOnly: onRequestAsyncHookHandler = async (request, reply) => {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    // not a URL ("null" from a sandboxed page): refused below
  }
  if (host !== null && host === request.headers.host) return;
  return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: `edits from another origin ('${origin}') are refused` });
};

export const editRoutes: FastifyPluginAsync<EditRouteOptions> = async (app, options) => {
  if (options.access === 'token') app.addHook('onRequest', app.requireToken);
  app.addHook('onRequest', sameOriginOnly);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: EDIT_BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('the request body is not JSON'), { statusCode: 400 }), undefined);
    }
  });

  let writer: RunStore | null = null;
  // On the tracking server, the store it writes runs through (one writer connection for the process).
  const editor = (): RunStore => app.tracking?.store ?? (writer ??= openStore(app.dashboard.dbFile));
  app.addHook('onClose', async () => writer?.close());

  app.patch<{ Params: { runId: string }; Body: RunEdit }>(
    '/api/runs/:runId',
    { schema: { params: schemas.runIdParams, querystring: schemas.emptyQuery, body: schemas.runEditBody } },
    async (request): Promise<EditedRunJson> => {
      const runId = runIdOf(app, request.params.runId);
      return { run: editor().editRun(runId, request.body) };
    },
  );

  app.delete<{ Params: { runId: string } }>(
    '/api/runs/:runId',
    { schema: { params: schemas.runIdParams, querystring: schemas.emptyQuery } },
    async (request): Promise<DeletedRunJson> => {
      const runId = runIdOf(app, request.params.runId);
      const run = app.runStore.getRun(runId);
      if (!run) throw new StoreError('NOT_FOUND', `no run '${runId}'`);
      const folder = ownFolder(app.dashboard.dbFile, app.dashboard.runsDir, run);
      editor().deleteRun(runId); // refuses a running run, before any file goes
      if (folder) rmSync(folder, { recursive: true, force: true });
      return { deleted: runId, folderRemoved: folder !== null };
    },
  );
};

/** The run's folder (as `vgglab runs delete` finds it) when it exists inside the runs folder, symlinks followed. */
function ownFolder(dbFile: string, runsDir: string, run: Parameters<typeof runFolder>[1]): string | null {
  const folder = runFolder(dbFile, run);
  if (folder === undefined) return null;
  try {
    const real = realpathSync(folder);
    return isInside(runsDir, real) && real !== runsDir ? real : null;
  } catch {
    return null;
  }
}
