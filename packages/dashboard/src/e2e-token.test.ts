/**
 * The page behind the token, in headless Debian chromium (as a server bound beyond loopback runs it): refused
 * without it; opened once with `?token=`, the address bar loses the token and the page works on its cookie (the
 * run list, a download, the live stream); another browser profile is refused again.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { openStore } from '@vgglab/store';
import { createServer } from './server/create.ts';
import { browserIt, hasChromium, launchChromium } from './testing/browser.ts';
import { makeFixture, type Fixture } from './testing/fixture.ts';

const TOKEN = 'browser-token-0123456789abcdef';

describe('the page behind a token', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let browser: Browser | undefined;
  let base: string;

  beforeAll(async () => {
    if (!hasChromium) return;
    fixture = makeFixture();
    app = await createServer({ dbFile: fixture.dbFile, token: TOKEN, tokenEveryRoute: true, livePollMs: 200 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    fixture?.cleanup();
  });

  browserIt(
    'is refused without the token, works on the cookie after one visit with ?token=, and follows new runs live',
    async () => {
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      expect((await page.goto(base))!.status()).toBe(401);

      await page.goto(`${base}?token=${TOKEN}`);
      expect(page.url()).toBe(base);
      const rows = page.getByTestId('run-row');
      await expect.poll(() => rows.count()).toBe(6);
      // HttpOnly: the page's scripts cannot read the cookie, yet its requests carry it.
      expect(await page.evaluate(() => document.cookie)).toBe('');
      expect(await page.evaluate(async () => (await fetch('api/runs.csv')).status)).toBe(200);

      // The live stream (EventSource, with the cookie) brings a new run into the table.
      const writer = openStore(fixture.dbFile);
      try {
        writer.createRun({ specHash: 'token-e2e', experiment: 'quickstart', name: 'arrived-live', resolvedSpec: {} });
      } finally {
        writer.close();
      }
      await expect.poll(() => rows.count()).toBe(7);
      expect(pageErrors).toEqual([]);

      const stranger = await browser!.newContext();
      try {
        expect((await (await stranger.newPage()).goto(base))!.status()).toBe(401);
      } finally {
        await stranger.close();
      }
      await page.close();
    },
    60_000,
  );
});
