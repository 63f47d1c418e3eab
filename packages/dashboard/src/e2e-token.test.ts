/**
 * The page behind the token, in headless Debian chromium (as a server bound beyond loopback runs it): refused
 * without it; opened once with `?token=`, the address bar loses the token and the page works on its cookie (the
 * run list, a download, the live stream); another browser profile is refused again.
 */
import { describe, expect } from 'vitest';
import { openStore } from '@vgglab/store';
import { browserIt } from './testing/browser.ts';
import { browserSuite, openPage } from './testing/browser-suite.ts';

const TOKEN = 'browser-token-0123456789abcdef';

describe('the page behind a token', () => {
  const suite = browserSuite(() => ({ token: TOKEN, tokenEveryRoute: true }));

  browserIt(
    'is refused without the token, works on the cookie after one visit with ?token=, and follows new runs live',
    async () => {
      const { page, errors: pageErrors } = await openPage(suite.browser, undefined, { width: 1280, height: 900 });
      expect((await page.goto(suite.url))!.status()).toBe(401);

      await page.goto(`${suite.url}?token=${TOKEN}`);
      expect(page.url()).toBe(suite.url);
      const rows = page.getByTestId('run-row');
      await expect.poll(() => rows.count()).toBe(6);
      // HttpOnly: the page's scripts cannot read the cookie, yet its requests carry it.
      expect(await page.evaluate(() => document.cookie)).toBe('');
      expect(await page.evaluate(async () => (await fetch('api/runs.csv')).status)).toBe(200);

      // The live stream (EventSource, with the cookie) brings a new run into the table.
      const writer = openStore(suite.fixture.dbFile);
      try {
        writer.createRun({ specHash: 'token-e2e', experiment: 'quickstart', name: 'arrived-live', resolvedSpec: {} });
      } finally {
        writer.close();
      }
      await expect.poll(() => rows.count()).toBe(7);
      expect(pageErrors).toEqual([]);

      const stranger = await suite.browser.newContext();
      try {
        expect((await (await stranger.newPage()).goto(suite.url))!.status()).toBe(401);
      } finally {
        await stranger.close();
      }
      await page.close();
    },
    60_000,
  );
});
