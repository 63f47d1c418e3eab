/**
 * The set-up every browser test file shares: a fixture store, the dashboard over it on a free loopback port, and
 * Debian's chromium, started before the file's tests and closed after them.
 */
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createServer } from '../server/create.ts';
import type { DashboardOptions } from '../server/options.ts';
import { hasChromium, launchChromium, SCREENSHOT_DIR } from './browser.ts';
import { makeFixture, type Fixture } from './fixture.ts';

/** Filled in by the suite's beforeAll: read its fields inside tests, not when the file loads. */
export interface BrowserSuite {
  fixture: Fixture;
  app: FastifyInstance;
  browser: Browser;
  /** The page's address, with a trailing slash. */
  url: string;
}

/**
 * Registers the file's beforeAll/afterAll (nothing starts where chromium is missing). `prepare` adds the file's own
 * runs to the fixture and returns the server's options beyond the store file and a 200 ms live poll.
 */
export function browserSuite(prepare: (fixture: Fixture) => Partial<DashboardOptions> | void = () => {}): BrowserSuite {
  const suite = {} as BrowserSuite;
  beforeAll(async () => {
    if (!hasChromium) return;
    suite.fixture = makeFixture();
    const options = prepare(suite.fixture) ?? {};
    suite.app = await createServer({ dbFile: suite.fixture.dbFile, livePollMs: 200, ...options });
    await suite.app.listen({ host: '127.0.0.1', port: 0 });
    suite.url = `http://127.0.0.1:${(suite.app.server.address() as { port: number }).port}/`;
    suite.browser = await launchChromium();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.app?.close();
    suite.fixture?.cleanup();
  });
  return suite;
}

/** A new page of `width` x `height` that records its errors, at `url` when given. */
export async function openPage(browser: Browser, url?: string, viewport = { width: 1440, height: 1000 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  if (url) await page.goto(url);
  return { page, errors };
}
