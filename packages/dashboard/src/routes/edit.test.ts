import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { openStore } from '@vgglab/store';
import { createServer } from '../server/create.ts';
import { makeFixture, type Fixture } from '../testing/fixture.ts';

const TOKEN = 'edit-token-0123456789abcdef';
let fixture: Fixture;
/** A loopback server (edits open to this machine), and one beyond loopback (edits need the token). */
let local: FastifyInstance;
let remote: FastifyInstance;

beforeAll(async () => {
  fixture = makeFixture();
  local = await createServer({ dbFile: fixture.dbFile, loopbackOnly: true });
  remote = await createServer({ dbFile: fixture.dbFile, token: TOKEN, tokenEveryRoute: true });
});
afterAll(async () => {
  await local?.close();
  await remote?.close();
  fixture?.cleanup();
});

const patch = (id: string, body: unknown, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'PATCH',
  url: `/api/runs/${id}`,
  headers: { 'content-type': 'application/json', host: '127.0.0.1:6006', ...headers },
  payload: JSON.stringify(body),
});

/** What the store holds about a run, read with a connection of its own. */
function stored(id: string) {
  const store = openStore(fixture.dbFile, { readonly: true });
  try {
    return store.getRun(id);
  } finally {
    store.close();
  }
}

describe('editing runs from the page', () => {
  it('a loopback server renames, notes, stars and retags a run in the store', async () => {
    const id = fixture.ids['vgg11-sgd'];
    const response = await local.inject(patch(id, { name: 'sgd baseline', note: 'lr too high?', starred: true, tags: { set: { reviewed: 'yes' }, remove: ['sweep'] } }));
    expect(response.statusCode).toBe(200);
    expect(response.json().run).toMatchObject({ id, name: 'sgd baseline', note: 'lr too high?', starred: true });
    expect(stored(id)).toMatchObject({ name: 'sgd baseline', note: 'lr too high?', starred: true, tags: { reviewed: 'yes' } });
    // the read-only side sees it at once
    expect((await local.inject({ url: `/api/runs/${id}`, headers: { host: '127.0.0.1:6006' } })).json().note).toBe('lr too high?');
  });

  it('refuses bad edits with a 400 naming the field, unknown runs with 404, and writes nothing', async () => {
    const id = fixture.ids['vgg16-adam'];
    const cases: [unknown, number, RegExp][] = [
      [{ name: '' }, 400, /name/],
      [{ note: 'x'.repeat(10_001) }, 400, /note/],
      [{ owner: 'me' }, 400, /owner/],
      [{}, 400, /fewer than 1 properties|at least 1/],
      [{ tags: { set: { a: 'b' }, remove: ['a'] } }, 400, /tag "a" is both set and removed/],
    ];
    for (const [body, status, message] of cases) {
      const response = await local.inject(patch(id, body));
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      expect(response.json().message, JSON.stringify(body)).toMatch(message);
    }
    const notJson = await local.inject({ ...patch(id, {}), payload: '{"note":' });
    expect(notJson.statusCode).toBe(400);
    expect((await local.inject(patch('ffffffffffff', { note: 'x' }))).statusCode).toBe(404);
    expect(stored(id)).toMatchObject({ name: 'vgg16-adam', note: '', starred: false });
  });

  it('refuses an edit sent by a page of another origin, and bodies that are not JSON', async () => {
    const id = fixture.ids['vgg16-adam'];
    const cross = await local.inject(patch(id, { note: 'from evil' }, { origin: 'http://evil.example' }));
    expect(cross.statusCode).toBe(403);
    expect(cross.json().message).toMatch(/another origin/);
    const same = await local.inject(patch(id, { note: 'same origin' }, { origin: 'http://127.0.0.1:6006' }));
    expect(same.statusCode).toBe(200);
    const form = await local.inject({ ...patch(id, {}), headers: { host: '127.0.0.1:6006', 'content-type': 'text/plain' }, payload: 'note=x' });
    expect(form.statusCode).toBe(415);
    expect(stored(id)!.note).toBe('same origin');
  });

  it('beyond loopback, edits need the token', async () => {
    const id = fixture.ids['vgg16-sgd'];
    const refused = await remote.inject(patch(id, { note: 'no token' }));
    expect(refused.statusCode).toBe(401);
    const allowed = await remote.inject(patch(id, { note: 'with token' }, { authorization: `Bearer ${TOKEN}` }));
    expect(allowed.statusCode).toBe(200);
    expect(stored(id)!.note).toBe('with token');
  });

  it('a server neither on loopback nor with a token refuses edits; a read-only dashboard never writes the file', async () => {
    const open = await createServer({ dbFile: fixture.dbFile });
    try {
      const before = statSync(fixture.dbFile).mtimeMs;
      expect((await open.inject({ url: '/api/runs' })).statusCode).toBe(200);
      const response = await open.inject(patch(fixture.ids['vgg16-sgd'], { note: 'nope' }));
      expect(response.statusCode).toBe(401);
      expect(response.json().message).toMatch(/this server has no token/);
      expect((await open.inject({ url: '/api/health' })).json().edits).toBe(false);
      expect(statSync(fixture.dbFile).mtimeMs).toBe(before);
    } finally {
      await open.close();
    }
    expect((await local.inject({ url: '/api/health', headers: { host: 'localhost' } })).json().edits).toBe(true);
  });

  it('deletes a finished run with its folder, refuses a running one (409), and a folder outside the runs folder is left', async () => {
    const id = fixture.ids['vgg11-adam']; // has checkpoint files in <runs>/<id>/
    const folder = join(fixture.runsDir, id);
    expect(existsSync(folder)).toBe(true);
    const running = fixture.ids['quickstart-live'];
    const refused = await local.inject({ method: 'DELETE', url: `/api/runs/${running}`, headers: { host: '127.0.0.1:6006' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/is running .*stop it first/);
    expect(refused.json().message).not.toContain(fixture.runsDir);
    expect(stored(running)).toBeDefined();

    const deleted = await local.inject({ method: 'DELETE', url: `/api/runs/${id}`, headers: { host: '127.0.0.1:6006' } });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ deleted: id, folderRemoved: true });
    expect(stored(id)).toBeUndefined();
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(fixture.secretFile)).toBe(true);

    // A run whose artifact folder named after it lies outside the runs folder: the rows go, the folder stays.
    const outside = join(fixture.dir, 'elsewhere', 'abcd12345678');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'weights.bin'), 'x');
    const writer = openStore(fixture.dbFile);
    try {
      const run = writer.createRun({ id: 'abcd12345678', experiment: 'e', resolvedSpec: {}, specHash: 'h', pid: null, host: 'elsewhere' });
      writer.logArtifact(run.id, { kind: 'checkpoint-best', path: outside });
      writer.setRunStatus(run.id, 'finished');
    } finally {
      writer.close();
    }
    const response = await local.inject({ method: 'DELETE', url: '/api/runs/abcd12345678', headers: { host: '127.0.0.1:6006' } });
    expect(response.json()).toEqual({ deleted: 'abcd12345678', folderRemoved: false });
    expect(existsSync(join(outside, 'weights.bin'))).toBe(true);
  });
});
