/**
 * End to end in headless Debian chromium (playwright-core, never a downloaded browser): a store with a few runs,
 * the page filtered, two runs compared (two curves drawn), a confusion matrix opened, a running run's curve
 * growing live. Screenshots go to packages/dashboard/e2e-output/ (gitignored).
 * Without /usr/bin/chromium (or VGGLAB_CHROMIUM) the test fails under CI=true and is skipped otherwise.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { openStore } from '@vgglab/store';
import { createServer, type PredictFn } from './server.ts';
import { makeFixture, type Fixture } from './testing/fixture.ts';

/** Debian's chromium; VGGLAB_CHROMIUM points elsewhere (another distribution's path). */
const CHROMIUM = process.env.VGGLAB_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOT_DIR = fileURLToPath(new URL('../e2e-output/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);
const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Series count and drawn pixels of each run colour in one chart. */
async function chartStats(page: Page, key: string, colors: string[]) {
  return page.evaluate(
    ({ key, colors }) => {
      const card = document.querySelector(`[data-testid="chart-${key}"]`);
      const holder = card?.querySelector('.chart-holder') as (HTMLElement & { __uplot?: any }) | null;
      const plot = holder?.__uplot;
      const canvas = holder?.querySelector('canvas') as HTMLCanvasElement | null;
      if (!plot || !canvas) return null;
      const context = canvas.getContext('2d')!;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      const rgb = colors.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
      const counts = rgb.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        rgb.forEach(([r, g, b], c) => {
          if (Math.abs(data[i] - r) < 30 && Math.abs(data[i + 1] - g) < 30 && Math.abs(data[i + 2] - b) < 30 && data[i + 3] > 200) counts[c]++;
        });
      }
      return {
        curves: plot.series.length - 1,
        labels: plot.series.slice(1).map((s: { label: string }) => s.label),
        points: plot.data[0].length as number,
        lastX: plot.data[0][plot.data[0].length - 1] as number,
        pixels: counts,
      };
    },
    { key, colors },
  );
}

describe('dashboard in a browser', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let browser: Browser | undefined;
  let url: string;

  beforeAll(async () => {
    if (!hasChromium) return;
    fixture = makeFixture();
    // A stand-in for the runner's model code: the page's upload and top-5 display are what is tested here.
    const predict: PredictFn = async (_runId, image) => [
      { label: 'circle', probability: 0.05 },
      { label: 'star', probability: image.length > 10 ? 0.8 : 0.1 },
      { label: 'square', probability: 0.1 },
      { label: 'triangle', probability: 0.05 },
    ];
    app = await createServer({ dbFile: fixture.dbFile, livePollMs: 200, predict });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    fixture?.cleanup();
  });

  it.skipIf(!hasChromium && !inCi)(
    'filters runs, compares two of them, opens a confusion matrix, predicts an uploaded image, follows a running run live and shows a new run',
    async () => {
      if (!hasChromium) {
        throw new Error(`chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does)`);
      }
      const page = await browser!.newPage({ viewport: { width: 1440, height: 1100 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(url);

      // All six runs, then filtered down to the two adam runs of the sweep.
      const rows = page.getByTestId('run-row');
      await expect.poll(() => rows.count()).toBe(6);
      await page.getByTestId('filter-optimizer').selectOption('adam');
      await expect.poll(() => rows.count()).toBe(3);
      await page.getByTestId('search').fill('compare');
      await expect.poll(() => page.getByTestId('run-count').textContent()).toMatch(/^2 runs/);
      await expect.poll(() => rows.count()).toBe(2);
      const shown = await rows.locator('.name .link').allTextContents();
      expect(shown.sort()).toEqual(['vgg11-adam', 'vgg16-adam']);

      // Select both: one curve per run in each chart.
      await page.getByRole('checkbox', { name: 'compare vgg11-adam' }).check();
      await page.getByRole('checkbox', { name: 'compare vgg16-adam' }).check();
      await page.getByTestId('chart-val/accuracy').waitFor();
      await expect.poll(async () => (await chartStats(page, 'val/accuracy', []))?.curves).toBe(2);
      // Colours follow the selection order: run 1 Tableau blue, run 2 orange.
      const stats = (await chartStats(page, 'train/loss', ['#4e79a7', '#f28e2b']))!;
      expect(stats.labels.sort()).toEqual(['vgg11-adam', 'vgg16-adam']);
      expect(stats.points).toBe(25);
      expect(stats.pixels[0]).toBeGreaterThan(50);
      expect(stats.pixels[1]).toBeGreaterThan(50);
      expect(await page.getByTestId('chart-val/accuracy').getAttribute('data-curves')).toBe('2');
      // The params table shows only what differs.
      const diff = page.getByTestId('params-diff');
      await expect.poll(() => diff.locator('tbody tr').count()).toBe(2);
      expect(await diff.locator('tbody td.mono').first().textContent()).toBe('model.name');
      // Epoch axis and smoothing redraw the same two runs.
      await page.getByTestId('x-axis').selectOption('epoch');
      await expect.poll(async () => (await chartStats(page, 'val/accuracy', []))?.lastX).toBe(5);
      await page.getByTestId('x-axis').selectOption('step');
      await page.getByTestId('smoothing').fill('0.6');
      await expect.poll(async () => (await chartStats(page, 'train/loss', []))?.curves).toBe(4);
      await page.getByTestId('smoothing').fill('0');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'compare.png'), fullPage: true });

      // The run view with its confusion matrix.
      await rows.locator('.name .link', { hasText: 'vgg11-adam' }).click();
      await page.getByTestId('run-view').waitFor();
      const heatmap = page.getByTestId('heatmap');
      await heatmap.waitFor();
      expect(await heatmap.locator('.heat-cell').count()).toBe(16);
      expect(await heatmap.locator('.heat-cell').nth(10).textContent()).toBe('19');
      expect(await page.getByTestId('per-class').locator('tbody tr').count()).toBe(4);
      expect(await page.getByTestId('repro').textContent()).toContain('a1b2c3d4e5f6');
      // Predict: an image dropped (here: chosen) in the drop zone shows the classes, most likely first.
      await page
        .getByTestId('predict')
        .locator('input[type="file"]')
        .setInputFiles({ name: 'star.png', mimeType: 'image/png', buffer: ONE_PIXEL_PNG });
      const predictions = page.getByTestId('predict').locator('.predictions li');
      await expect.poll(() => predictions.count()).toBe(4);
      expect(await predictions.first().textContent()).toMatch(/^star\s*80\.0%$/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'run.png'), fullPage: true });

      // Live: the running run's curve grows while points are logged, without a reload.
      await page.goBack();
      await page.getByTestId('runs-table').waitFor();
      await page.getByRole('button', { name: 'clear' }).click();
      await page.getByTestId('search').fill('');
      await page.getByTestId('filter-optimizer').selectOption('');
      await page.getByTestId('status-running').click();
      await expect.poll(() => rows.count()).toBe(1);
      await page.getByRole('checkbox', { name: 'compare quickstart-live' }).check();
      await page.getByTestId('chart-train/loss').waitFor();
      await expect.poll(async () => (await chartStats(page, 'train/loss', []))?.points).toBe(10);
      await page.locator('.live.on').waitFor();
      const writer = openStore(fixture.dbFile);
      try {
        const runId = fixture.ids['quickstart-live'];
        for (let step = 110; step <= 150; step += 10) {
          writer.logBatch(runId, { metrics: [{ key: 'train/loss', value: 0.3 - step / 2000, step, epoch: 3 }] });
        }
      } finally {
        writer.close();
      }
      await expect.poll(async () => (await chartStats(page, 'train/loss', []))?.points, { timeout: 10_000 }).toBe(15);
      expect((await chartStats(page, 'train/loss', []))!.lastX).toBe(150);

      // A run that starts now appears in the table without a reload.
      const starter = openStore(fixture.dbFile);
      try {
        starter.createRun({ specHash: 'e2e-started-just-now', experiment: 'quickstart', name: 'started-just-now', resolvedSpec: { model: { name: 'vgg11' } } });
      } finally {
        starter.close();
      }
      await expect.poll(() => rows.count()).toBe(2);
      expect(await rows.locator('.name .link').allTextContents()).toContain('started-just-now');
      expect(pageErrors).toEqual([]);
      await page.close();
    },
    90_000,
  );
});
