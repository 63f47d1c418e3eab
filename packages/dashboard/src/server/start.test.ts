/**
 * startServer on real sockets: beyond loopback only with a token, which every request then needs (the live
 * stream included); the URLs it reports are the addresses it really listens on.
 */
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../testing/fixture.ts';
import { reachableAddresses } from './hosts.ts';
import { startBanner, startServer } from './start.ts';

const TOKEN = 'a-real-listen-token-0123456789';

let fixture: Fixture;
beforeAll(() => {
  fixture = makeFixture();
});
afterAll(() => fixture?.cleanup());

/** Status and content type of a GET, reading no further than the headers (the live stream never ends). */
function head(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? '') });
      request.destroy();
    });
    request.on('error', reject);
    request.end();
  });
}

describe('startServer beyond loopback', () => {
  it('refuses to start without a token, or with one too short, naming what to do', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'dashboard.example']) {
      await expect(startServer({ dbFile: fixture.dbFile, host, port: 0 }), host).rejects.toThrow(
        new RegExp(`^refusing to serve ${host.replace(/\./g, '\\.')} without a token: .*--token <secret> or VGGLAB_TOKEN`),
      );
    }
    await expect(startServer({ dbFile: fixture.dbFile, host: '0.0.0.0', port: 0, token: '' })).rejects.toThrow(/without a token/);
    await expect(startServer({ dbFile: fixture.dbFile, host: '0.0.0.0', port: 0, token: 'short' })).rejects.toThrow(
      /--token <secret> or VGGLAB_TOKEN: the token must be at least 16 characters, received 5/,
    );
  });

  it('the tracking server (a write API) needs a token on loopback too, and beyond it', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      await expect(startServer({ dbFile: fixture.dbFile, host, port: 0, tracking: {} }), host).rejects.toThrow(
        /^the tracking server needs a token: .*--token <secret> or VGGLAB_TOKEN/,
      );
    }
  });

  it('with a token, listens on every interface, reports their real addresses and needs the token on every request', async () => {
    const started = await startServer({ dbFile: fixture.dbFile, host: '0.0.0.0', port: 0, token: TOKEN });
    try {
      const { port } = started.app.server.address() as { port: number };
      const expected = reachableAddresses('0.0.0.0').map((address) => `http://${address}:${port}/`);
      expect(started.urls).toEqual(expected);
      expect(started.urls).toContain(`http://127.0.0.1:${port}/`);
      expect(started.urls.some((url) => url.includes('0.0.0.0'))).toBe(false);
      expect(started.tokenRequired).toBe(true);

      const banner = startBanner(started, { dbFile: fixture.dbFile, token: TOKEN });
      expect(banner.split('\n')[0]).toBe(`vgglab dashboard on ${started.url}?token=${TOKEN}  (runs: ${fixture.dbFile})`);
      expect(banner.match(new RegExp(TOKEN, 'g'))).toHaveLength(1);

      for (const url of started.urls) {
        expect((await head(`${url}api/runs?limit=1`)).status, url).toBe(401);
        expect((await head(url)).status, url).toBe(401);
      }
      const local = `http://127.0.0.1:${port}/`;
      expect((await head(`${local}api/live`)).status).toBe(401);
      // The browser's way: the printed URL sets the cookie and leads to the page, which then reads the API and the stream.
      const opened = await fetch(`${local}?token=${TOKEN}`, { redirect: 'manual' });
      expect(opened.status).toBe(302);
      expect(opened.headers.get('location')).toBe('/');
      const cookie = opened.headers.get('set-cookie')!.split(';')[0];
      expect((await fetch(local, { headers: { cookie } })).status).toBe(200);
      const runs = await fetch(`${local}api/runs?limit=1`, { headers: { cookie } });
      expect(((await runs.json()) as { total: number }).total).toBe(6);
      expect(await head(`${local}api/live?metrics=false`, { cookie })).toEqual({ status: 200, type: 'text/event-stream; charset=utf-8' });
      expect((await head(`${local}api/live`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    } finally {
      await started.app.close();
    }
  });

  it('on loopback, needs no token and reports the address it listens on', async () => {
    const started = await startServer({ dbFile: fixture.dbFile, host: 'localhost', port: 0 });
    try {
      const { address, port } = started.app.server.address() as { address: string; port: number };
      expect(started.urls).toEqual([address.includes(':') ? `http://[${address}]:${port}/` : `http://${address}:${port}/`]);
      expect(started.tokenRequired).toBe(false);
      expect(startBanner(started, { dbFile: fixture.dbFile, token: TOKEN })).toBe(`vgglab dashboard on ${started.url}  (runs: ${fixture.dbFile})\n`);
      expect((await fetch(`${started.url}api/runs?limit=1`)).status).toBe(200);
    } finally {
      await started.app.close();
    }
  });
});

describe('reachableAddresses', () => {
  const interfaces = {
    lo: [
      { address: '127.0.0.1', family: 'IPv4', internal: true },
      { address: '::1', family: 'IPv6', internal: true },
    ],
    eth0: [
      { address: '192.0.2.2', family: 'IPv4', internal: false },
      { address: 'fd00::2', family: 'IPv6', internal: false },
      { address: 'fe80::1', family: 'IPv6', internal: false },
    ],
  } as unknown as ReturnType<typeof networkInterfaces>;

  it('lists the interfaces of a wildcard, external first, IPv6 only for ::, and a named address as it is', () => {
    expect(reachableAddresses('0.0.0.0', interfaces)).toEqual(['192.0.2.2', '127.0.0.1']);
    expect(reachableAddresses('::', interfaces)).toEqual(['192.0.2.2', 'fd00::2', '127.0.0.1', '::1']);
    expect(reachableAddresses('192.0.2.2', interfaces)).toEqual(['192.0.2.2']);
  });
});
