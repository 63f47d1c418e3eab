/**
 * Launching Debian's chromium for the browser tests (playwright-core, never a downloaded browser), and the rule
 * that a browser test is skipped where chromium is missing, except in CI.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium; VGGLAB_CHROMIUM points elsewhere (another distribution's path). */
export const CHROMIUM = process.env.VGGLAB_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where browser tests put their screenshots (gitignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../e2e-output/', import.meta.url));
export const hasChromium = existsSync(CHROMIUM);
export const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Headless chromium, as every browser test starts it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A browser test: skipped where chromium is missing, except in CI, where a missing chromium fails it (so CI
 * can never pass without having run the browser tests).
 */
export function browserIt(name: string, body: () => Promise<void>, timeout: number): void {
  it.skipIf(!hasChromium && !inCi)(
    name,
    async () => {
      if (!hasChromium) {
        throw new Error(`chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does)`);
      }
      await body();
    },
    timeout,
  );
}
