import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunPage } from '@vgglab/store';
import { testServer } from '../testing/server.ts';
import { createServer } from './create.ts';
import { startServer } from './start.ts';

const api = testServer();

describe('server', () => {
  it('opens the store read-only', () => {
    expect(api.app.runStore.readonly).toBe(true);
  });

  it('on a loopback address, refuses requests for another host name (DNS rebinding)', async () => {
    const local = await createServer({ dbFile: api.fixture.dbFile, loopbackOnly: true });
    try {
      for (const host of ['127.0.0.1:6006', 'localhost:6006', '[::1]:6006', 'localhost']) {
        expect((await local.inject({ url: '/api/health', headers: { host } })).statusCode, host).toBe(200);
      }
      for (const host of ['evil.example', 'evil.example:6006', '127.0.0.1.evil.example']) {
        const response = await local.inject({ url: '/api/runs', headers: { host } });
        expect(response.statusCode, host).toBe(403);
        expect(response.json().message).toMatch(/this machine only/);
      }
    } finally {
      await local.close();
    }
  });

  it('starts on 127.0.0.1 by default and serves the page over HTTP', async () => {
    const { app: started, url } = await startServer({ dbFile: api.fixture.dbFile, port: 0 });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((started.server.address() as { address: string }).address).toBe('127.0.0.1');
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const runs = await fetch(`${url}api/runs?limit=1`);
      expect(((await runs.json()) as RunPage).total).toBe(6);
    } finally {
      await started.close();
    }
  });

  it('refuses a missing db file with a message saying what to do', async () => {
    await expect(createServer({ dbFile: join(api.fixture.dir, 'nope.db') })).rejects.toThrow(/no run store at .*nope\.db.*--db/);
  });
});
