/**
 * A server bound beyond loopback needs the token on every route (inject here; the real-listen checks are in
 * server/start.test.ts), a browser trades `?token=` for a cookie, and a loopback server stays open while its
 * guarded routes (the later write API) need the token.
 */
import * as crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDistDir } from '../build-page.ts';
import { createServer } from '../server/create.ts';
import type { PredictFn } from '../server/options.ts';
import { makeFixture, type Fixture } from '../testing/fixture.ts';
import { DEFAULT_COOKIE_NAME } from './plugin.ts';
import { sessionValue } from './token.ts';

// Every comparison of a token must go through crypto.timingSafeEqual: the spy records what it compares.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const TOKEN = 'k3y-for-the-test-0123456789abcdef';
const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const predict: PredictFn = async () => [{ label: 'star', probability: 1 }];

let fixture: Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  fixture = makeFixture();
  app = await createServer({ dbFile: fixture.dbFile, predict, token: TOKEN, tokenEveryRoute: true });
});
afterAll(async () => {
  await app?.close();
  fixture?.cleanup();
});

/** One request of every kind the server answers, with the status it gets when the token is there. */
function everyRoute(): [InjectOptions, number][] {
  const id = fixture.ids['vgg11-adam'];
  const asset = readdirSync(join(defaultDistDir, 'assets'))[0];
  return [
    [{ url: '/' }, 200],
    [{ url: '/index.html' }, 200],
    [{ url: `/assets/${asset}` }, 200],
    [{ url: '/api/health' }, 200],
    [{ url: '/api/experiments' }, 200],
    [{ url: '/api/facets' }, 200],
    [{ url: '/api/runs' }, 200],
    [{ url: '/api/param-metric?x=optimizer.lr&y=val/accuracy' }, 200],
    [{ url: '/api/runs.csv' }, 200],
    [{ url: `/api/runs/${id}` }, 200],
    [{ url: `/api/runs/${id}/confusion-matrix` }, 200],
    [{ url: `/api/runs/${id}/files/${id}/checkpoint-best/model.json` }, 200],
    [{ url: `/api/metrics?runs=${id}` }, 200],
    [{ url: `/api/metrics?runs=${id}&encoding=binary` }, 200],
    [{ url: `/api/metrics.csv?runs=${id}` }, 200],
    [{ url: '/api/metric-keys' }, 200],
    [{ url: '/api/param-keys' }, 200],
    [{ url: `/api/params?runs=${id}` }, 200],
    [{ method: 'POST', url: `/api/runs/${id}/predict`, headers: { 'content-type': 'image/png' }, payload: png }, 200],
    [{ url: `/api/compare?runs=${id}` }, 200],
    [{ url: '/api/param-space?metric=val/accuracy' }, 200],
    [{ url: `/api/runs/${id}/evaluations/1/misclassified?true=0&predicted=1` }, 200],
    [{ method: 'PATCH', url: `/api/runs/${id}`, headers: { 'content-type': 'application/json' }, payload: '{"note":"seen"}' }, 200],
    [{ url: '/api/no-such-route' }, 404],
    [{ url: '/no-such-page' }, 404],
  ];
}

const withHeaders = (request: InjectOptions, headers: Record<string, string>): InjectOptions => ({
  ...request,
  headers: { ...(request.headers as Record<string, string> | undefined), ...headers },
});

describe('a server bound beyond loopback', () => {
  it('answers every route 401 without the token, and as usual with `Authorization: Bearer <token>`', async () => {
    for (const [request, status] of everyRoute()) {
      const refused = await app.inject(request);
      expect(refused.statusCode, request.url as string).toBe(401);
      expect(refused.headers['www-authenticate'], request.url as string).toBe('Bearer realm="vgglab"');
      expect(refused.json().message, request.url as string).toMatch(/needs its token/);
      expect(refused.body, request.url as string).not.toContain('vgg11-adam');
      const allowed = await app.inject(withHeaders(request, { authorization: `Bearer ${TOKEN}` }));
      expect(allowed.statusCode, request.url as string).toBe(status);
    }
  });

  it('refuses a wrong token, of the same length or not, and a token sent another way', async () => {
    const wrong = [TOKEN.replace(/.$/, 'X'), TOKEN.slice(0, 20), `${TOKEN}0`, ''];
    for (const token of wrong) {
      expect((await app.inject({ url: '/api/runs', headers: { authorization: `Bearer ${token}` } })).statusCode, token).toBe(401);
    }
    for (const authorization of [`Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`]) {
      expect((await app.inject({ url: '/api/runs', headers: { authorization } })).statusCode, authorization).toBe(401);
    }
    // The cookie holds the session value, not the token.
    expect((await app.inject({ url: '/api/runs', headers: { cookie: `${DEFAULT_COOKIE_NAME}=${TOKEN}` } })).statusCode).toBe(401);
  });

  it('gives a browser opening ?token= a cookie (HttpOnly, SameSite=Strict) and redirects it to the URL without the token', async () => {
    const opened = await app.inject(`/?token=${encodeURIComponent(TOKEN)}`);
    expect(opened.statusCode).toBe(302);
    expect(opened.headers.location).toBe('/');
    expect(opened.headers['cache-control']).toBe('no-store');
    const cookie = String(opened.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${DEFAULT_COOKIE_NAME}=[A-Za-z0-9_-]+; Path=/;`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain(TOKEN);
    const sent = cookie.split(';')[0];
    // With the cookie, every route answers as with the header.
    for (const [request, status] of everyRoute()) {
      expect((await app.inject(withHeaders(request, { cookie: `other=1; ${sent}` }))).statusCode, request.url as string).toBe(status);
    }
    // Other query parameters stay; only the token leaves the URL.
    const api = await app.inject(`/api/runs?limit=1&token=${encodeURIComponent(TOKEN)}&status=finished`);
    expect(api.statusCode).toBe(302);
    expect(api.headers.location).toBe('/api/runs?limit=1&status=finished');
  });

  it('sets no cookie for a wrong ?token=, and takes no token in the URL of a POST', async () => {
    const wrong = await app.inject('/?token=not-the-token-at-all');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const id = fixture.ids['vgg11-adam'];
    const post = await app.inject({ method: 'POST', url: `/api/runs/${id}/predict?token=${TOKEN}`, headers: { 'content-type': 'image/png' }, payload: png });
    expect(post.statusCode).toBe(401);
    expect(post.json().message).toMatch(/Authorization: Bearer/);
  });

  it('refuses a page that rebinds its own name to this server (no token, no cookie of this host)', async () => {
    const response = await app.inject({ url: '/api/runs', headers: { host: 'rebinding.example:6006' } });
    expect(response.statusCode).toBe(401);
  });

  it('shows /api/health without the db path to a client on another machine', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const remote = await app.inject({ url: '/api/health', headers: bearer, remoteAddress: '203.0.113.7' });
    expect(remote.json()).toEqual({ ok: true, schemaVersion: expect.any(Number), predict: true, auth: true, edits: true });
    expect(remote.body).not.toContain(fixture.dir);
    const local = await app.inject({ url: '/api/health', headers: bearer, remoteAddress: '127.0.0.1' });
    expect(local.json().dbFile).toBe(fixture.dbFile);
  });
});

describe('constant-time comparison', () => {
  const compare = vi.mocked(crypto.timingSafeEqual);
  // A block body: a function returned from beforeEach would be taken for its teardown.
  beforeEach(() => {
    compare.mockClear();
  });

  it('compares every presented token as two 32-byte digests, whatever its length', async () => {
    const cases: [string, Record<string, string>][] = [
      ['/api/runs', { authorization: 'Bearer short' }],
      ['/api/runs', { authorization: `Bearer ${TOKEN}${'x'.repeat(100)}` }],
      ['/api/runs', { authorization: `Bearer ${TOKEN}` }],
      ['/api/runs', { cookie: `${DEFAULT_COOKIE_NAME}=${sessionValue(TOKEN)}` }],
      ['/?token=wrong', {}],
    ];
    for (const [url, headers] of cases) {
      compare.mockClear();
      await app.inject({ url, headers });
      expect(compare, JSON.stringify(headers)).toHaveBeenCalled();
      for (const [a, b] of compare.mock.calls) {
        expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
      }
    }
  });
});

describe('a loopback server', () => {
  it('serves without a token as before, and guards only the routes that ask for it (a write API)', async () => {
    for (const token of [TOKEN, undefined]) {
      const local = await createServer({ dbFile: fixture.dbFile, loopbackOnly: true, token });
      await local.register(async (writes) => {
        writes.addHook('onRequest', writes.requireToken);
        writes.get('/api/guarded', async () => ({ ok: true }));
      });
      try {
        const host = { host: '127.0.0.1:6006' };
        expect((await local.inject({ url: '/api/runs', headers: host })).statusCode).toBe(200);
        expect((await local.inject({ url: '/', headers: host })).statusCode).toBe(200);
        const refused = await local.inject({ url: '/api/guarded', headers: host });
        expect(refused.statusCode).toBe(401);
        if (token === undefined) {
          expect(refused.json().message).toMatch(/this server has no token: start it with --token <secret> or VGGLAB_TOKEN/);
        } else {
          expect((await local.inject({ url: '/api/guarded', headers: { ...host, authorization: `Bearer ${token}` } })).json()).toEqual({ ok: true });
        }
      } finally {
        await local.close();
      }
    }
  });

  it('refuses a token too short to protect anything, and every-route protection without a token', async () => {
    await expect(createServer({ dbFile: fixture.dbFile, token: 'abc' })).rejects.toThrow(/at least 16 characters, received 3/);
    await expect(createServer({ dbFile: fixture.dbFile, tokenEveryRoute: true })).rejects.toThrow(/needs a token/);
  });
});
