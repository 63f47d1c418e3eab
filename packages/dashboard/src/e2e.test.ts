/**
 * End to end in headless Debian chromium (playwright-core, never a downloaded browser): a store with a few runs,
 * the page filtered, two runs compared (two curves drawn), a confusion matrix opened, an image predicted, a running
 * run's curve growing live, and the params-vs-metric panel. Long series (bands, zoom) are in e2e-zoom.test.ts.
 * Screenshots go to packages/dashboard/e2e-output/ (gitignored).
 * Without /usr/bin/chromium (or VGGLAB_CHROMIUM) the test fails under CI=true and is skipped otherwise.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { openStore, type MetricInput } from '@vgglab/store';
import type { PredictFn } from './server/options.ts';
import { browserIt, SCREENSHOT_DIR } from './testing/browser.ts';
import { browserSuite, openPage } from './testing/browser-suite.ts';
import { logAll, noise } from './testing/fixture.ts';
import { formatNumber } from './web/format.ts';
import { assignColors } from './web/palette.ts';
import { DETAIL_DEBOUNCE_MS } from './web/zoom-detail.ts';

const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);


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
  // A stand-in for the runner's model code: the page's upload and top-5 display are what is tested here.
  const predict: PredictFn = async (_runId, image) => [
    { label: 'circle', probability: 0.05 },
    { label: 'star', probability: image.length > 10 ? 0.8 : 0.1 },
    { label: 'square', probability: 0.1 },
    { label: 'triangle', probability: 0.05 },
  ];
  const suite = browserSuite(() => ({ predict }));

  browserIt(
    'filters runs, compares two of them, opens a confusion matrix, predicts an uploaded image, follows a running run live and shows a new run',
    async () => {
      const { page, errors: pageErrors } = await openPage(suite.browser, undefined, { width: 1440, height: 1100 });
      await page.goto(suite.url);

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
      // Each run's colour comes from a hash of its id (palette.ts), the same in every chart and after a reload.
      const colors = assignColors([suite.fixture.ids['vgg11-adam'], suite.fixture.ids['vgg16-adam']]);
      const stats = (await chartStats(page, 'train/loss', [...colors.values()]))!;
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
      const writer = openStore(suite.fixture.dbFile);
      try {
        const runId = suite.fixture.ids['quickstart-live'];
        for (let step = 110; step <= 150; step += 10) {
          writer.logBatch(runId, { metrics: [{ key: 'train/loss', value: 0.3 - step / 2000, step, epoch: 3 }] });
        }
      } finally {
        writer.close();
      }
      await expect.poll(async () => (await chartStats(page, 'train/loss', []))?.points, { timeout: 10_000 }).toBe(15);
      expect((await chartStats(page, 'train/loss', []))!.lastX).toBe(150);

      // A run that starts now appears in the table without a reload.
      const starter = openStore(suite.fixture.dbFile);
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
  browserIt(
    'plots optimizer.lr against best val/accuracy, one point per run of the filter, and adds a clicked point to the comparison',
    async () => {
      // What the store holds, as the oracle: runs with both the param and a finite best (max) of the metric.
      const plottable = (filter: { optimizer?: string }) => {
        const store = openStore(suite.fixture.dbFile, { readonly: true });
        try {
          const { runs } = store.listRuns({ ...filter, limit: 1000, includeParams: ['optimizer.lr'], includeMetrics: ['val/accuracy'] });
          const both = runs.filter((r) => r.params['optimizer.lr'] !== undefined && Number.isFinite(r.metrics['val/accuracy']?.max ?? NaN));
          return { total: runs.length, both };
        } finally {
          store.close();
        }
      };
      const everyRun = plottable({});
      expect(everyRun.both.length).toBeGreaterThanOrEqual(5);
      expect(everyRun.total).toBeGreaterThan(everyRun.both.length);

      const { page, errors: pageErrors } = await openPage(suite.browser, undefined, { width: 1440, height: 1100 });
      try {
        await page.goto(suite.url);
        await page.getByTestId('scatter-toggle').click();
        await page.getByTestId('scatter-x').selectOption('optimizer.lr');
        await page.getByTestId('scatter-y').selectOption('val/accuracy');
        await page.getByTestId('scatter-summary').selectOption('best');
        const chart = page.getByTestId('scatter-chart');
        await expect.poll(() => chart.getAttribute('data-points')).toBe(String(everyRun.both.length));
        const missing = Number(await chart.getAttribute('data-missing-x')) + Number(await chart.getAttribute('data-missing-y'));
        expect(missing).toBe(everyRun.total - everyRun.both.length);
        expect(await page.getByTestId('scatter-note').textContent()).toContain(`${everyRun.both.length} runs plotted · ${missing} not plotted`);
        // learning rates 1e-4 to 1e-2: a log axis
        expect(await chart.getAttribute('data-axis')).toBe('log');

        // The canvas: pixels of each status colour, one disc per run of that status.
        const statusPixels = () =>
          page.evaluate(() => {
            const canvas = document.querySelector('[data-testid="scatter-chart"] canvas') as HTMLCanvasElement;
            const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
            const colors = { finished: [0x2e, 0x7d, 0x32], running: [0x2f, 0x6f, 0xdb] };
            const counts = { finished: 0, running: 0 };
            for (let i = 0; i < data.length; i += 4) {
              for (const [name, [r, g, b]] of Object.entries(colors)) {
                if (data[i + 3] > 100 && Math.abs(data[i] - r) < 10 && Math.abs(data[i + 1] - g) < 10 && Math.abs(data[i + 2] - b) < 10) counts[name as 'finished']++;
              }
            }
            return counts;
          });
        const byStatus = (status: string) => everyRun.both.filter((r) => r.status === status).length;
        const pixels = await statusPixels();
        expect(byStatus('finished')).toBeGreaterThanOrEqual(4);
        // A 10 px disc (opaque rim, half-transparent fill) is ~DISC pixels of its colour (measured): within 20%, the
        // count of discs.
        const DISC = 60;
        for (const status of ['finished', 'running'] as const) {
          expect(pixels[status], status).toBeGreaterThanOrEqual(byStatus(status) * DISC * 0.8);
          expect(pixels[status], status).toBeLessThanOrEqual(byStatus(status) * DISC * 1.2);
        }

        // Hovering vgg16-sgd's point names the run; clicking it adds the run to the comparison (and rings it).
        const target = suite.fixture.ids['vgg16-sgd'];
        const at = await page.evaluate((runId) => {
          const holder = document.querySelector('[data-testid="scatter-chart"] .scatter-holder') as HTMLElement & { __uplot?: any; __points?: { runId: string; x: number; y: number }[] };
          const point = holder.__points!.find((p) => p.runId === runId)!;
          const box = holder.__uplot.over.getBoundingClientRect();
          return { x: box.left + holder.__uplot.valToPos(point.x, 'x'), y: box.top + holder.__uplot.valToPos(point.y, 'y') };
        }, target);
        await page.mouse.move(at.x + 2, at.y - 1);
        const tip = page.getByTestId('scatter-tip');
        await expect.poll(() => tip.textContent()).toMatch(/^vgg16-sgd\s*finished/);
        expect(await tip.textContent()).toContain('optimizer.lr = 0.01');
        // y is the run's best (max) val/accuracy as the store holds it
        const targetMetric = everyRun.both.find((r) => r.id === target)!.metrics['val/accuracy']!;
        expect(await tip.textContent()).toContain(`best (max) val/accuracy = ${formatNumber(targetMetric.max, 4)}`);
        await page.mouse.click(at.x + 2, at.y - 1);
        await expect.poll(() => page.getByTestId('run-legend').textContent()).toContain('vgg16-sgd');
        expect(page.url()).toContain(target);
        await page.getByTestId('chart-val/accuracy').waitFor();
        await expect
          .poll(() => page.evaluate(() => {
            const plot = (document.querySelector('[data-testid="scatter-chart"] .scatter-holder') as HTMLElement & { __uplot?: any }).__uplot;
            return (plot.data.at(-1) as (number | null)[]).filter((v) => v !== null).length;
          }))
          .toBe(1);
        await page.mouse.move(at.x + 2, at.y - 1);
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'scatter.png'), fullPage: true });

        // The table's filter is the scatter's: only the adam runs.
        await page.getByTestId('filter-optimizer').selectOption('adam');
        const adam = plottable({ optimizer: 'adam' });
        await expect.poll(() => chart.getAttribute('data-points')).toBe(String(adam.both.length));
        expect(adam.both.length).toBeLessThan(everyRun.both.length);
        // A param that is not a number: categories (every adam run has a model.name), no new point lost.
        await page.getByTestId('scatter-x').selectOption('model.name');
        await expect.poll(() => chart.getAttribute('data-axis')).toBe('category');
        expect(await chart.getAttribute('data-points')).toBe(String(adam.both.length));
        await page.getByTestId('scatter').screenshot({ path: join(SCREENSHOT_DIR, 'scatter-category.png') });
        expect(pageErrors).toEqual([]);
      } finally {
        await page.close();
      }
    },
    60_000,
  );
});
