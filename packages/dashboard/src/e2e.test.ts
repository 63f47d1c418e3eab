/**
 * End to end in headless Debian chromium (playwright-core, never a downloaded browser): a store with a few runs,
 * the page filtered, two runs compared (two curves drawn), a confusion matrix opened, a running run's curve
 * growing live; two long runs compared with min/max bands and x zoom shared by the charts, a zoom reading the
 * detail of its range; a running run zoomed and still growing.
 * Screenshots go to packages/dashboard/e2e-output/ (gitignored).
 * Without /usr/bin/chromium (or VGGLAB_CHROMIUM) the test fails under CI=true and is skipped otherwise.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { openStore, type MetricInput } from '@vgglab/store';
import { createServer } from './server/create.ts';
import type { PredictFn } from './server/options.ts';
import { browserIt, hasChromium, launchChromium, SCREENSHOT_DIR } from './testing/browser.ts';
import { logAll, makeFixture, noise, type Fixture } from './testing/fixture.ts';
import { formatNumber } from './web/format.ts';
import { assignColors } from './web/palette.ts';
import { DETAIL_DEBOUNCE_MS } from './web/zoom-detail.ts';

const ONE_PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Long runs for the band and zoom test: a step of logging each, so the compare view downsamples them. */
const LONG_STEPS = 4000;
const LONG_STEPS_PER_EPOCH = 400;
/** train/loss of long-a jumps by this much every 500 steps, for one step: spikes a bucket's last value can miss. */
const SPIKE = 3;

/**
 * Two finished runs of 4,000 steps (train loss and accuracy every step, validation every epoch): long-a with
 * loss spikes, accuracy noisy by ±0.05 around 0.9; long-b around 0.55, so the two bands do not overlap.
 */
function addLongRuns(dbFile: string): void {
  const store = openStore(dbFile);
  try {
    const t0 = Date.UTC(2026, 10, 27, 9, 0, 0);
    (
      [
        ['long-a', 0.9, true],
        ['long-b', 0.55, false],
      ] as const
    ).forEach(([name, accuracyLevel, spiky], i) => {
      const startTime = t0 + i * 3_600_000;
      const run = store.createRun({
        experiment: 'long-training',
        name,
        resolvedSpec: { name: 'long-training', model: { name: 'vgg11' }, optimizer: { name: 'momentum', lr: 0.01 } },
        specHash: `e2e-${name}`,
        seed: i,
        backend: 'wasm',
        startTime,
      });
      const rand = noise(100 + i);
      const metrics: MetricInput[] = [];
      for (let step = 1; step <= LONG_STEPS; step++) {
        const epoch = Math.ceil(step / LONG_STEPS_PER_EPOCH);
        const timestamp = startTime + step * 100;
        const loss = 0.3 + 1.2 * Math.exp(-step / 800) + rand() * 0.05 + (spiky && step % 500 === 250 ? SPIKE : 0);
        const accuracy = accuracyLevel - 0.3 * Math.exp(-step / 600) + rand() * 0.05;
        metrics.push({ key: 'train/loss', value: loss, step, epoch, timestamp });
        metrics.push({ key: 'train/accuracy', value: accuracy, step, epoch, timestamp });
        if (step % LONG_STEPS_PER_EPOCH === 0) metrics.push({ key: 'val/accuracy', value: accuracy - 0.02, step, epoch, timestamp });
      }
      logAll(store, run.id, metrics);
      store.setRunStatus(run.id, 'finished', { endTime: startTime + LONG_STEPS * 100 + 1000 });
    });
  } finally {
    store.close();
  }
}

/**
 * Drawn pixels of a colour whose alpha is within `alpha` (the canvas keeps the alpha; the page is white behind it).
 * The default range is the band's opacity (0x33 = 51).
 */
async function bandPixels(page: Page, key: string, color: string, alpha: [number, number] = [40, 62]) {
  return page.evaluate(
    ({ key, color, alpha }) => {
      const canvas = document.querySelector(`[data-testid="chart-${key}"] .chart-holder canvas`) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] >= alpha[0] && data[i + 3] <= alpha[1] && Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12) count++;
      }
      return count;
    },
    { key, color, alpha },
  );
}

/** What a chart shows: x range (from the card's data attributes and from uPlot), bands, y range, cursor. */
async function chartView(page: Page, key: string, testIdPrefix = 'chart-') {
  return page.evaluate(({ key, testIdPrefix }) => {
    const card = document.querySelector(`[data-testid="${testIdPrefix}${key}"]`) as HTMLElement | null;
    const plot = (card?.querySelector('.chart-holder') as (HTMLElement & { __uplot?: any }) | null)?.__uplot;
    if (!card || !plot) return null;
    const columns = (plot.series as { label: string }[]).map((s) => s.label);
    const column = (label: string) => (plot.data[columns.indexOf(label)] ?? []) as (number | null | undefined)[];
    return {
      xMin: Number(card.dataset.xMin),
      xMax: Number(card.dataset.xMax),
      zoomed: card.dataset.zoomed,
      bands: Number(card.dataset.bands),
      scaleXMin: plot.scales.x.min as number,
      scaleXMax: plot.scales.x.max as number,
      scaleYMax: plot.scales.y.max as number,
      points: plot.data[0].length as number,
      pointsInView: Number(card.dataset.pointsInView),
      labels: columns,
      x: plot.data[0] as number[],
      column: Object.fromEntries(['long-a', 'long-a (max)', 'long-a (min)', 'long-b'].map((l) => [l, column(l)])),
      cursorLeft: plot.cursor.left as number,
      /** x under the cursor, and the x span of one CSS pixel */
      cursorX: plot.cursor.left >= 0 ? (plot.posToVal(plot.cursor.left, 'x') as number) : null,
      xPerPx: (plot.scales.x.max - plot.scales.x.min) / plot.bbox.width * devicePixelRatio,
    };
  }, { key, testIdPrefix });
}

/** Points of the two long runs' lines with x in [min, max], in a chart's data as chartView read it. */
function linePointsWithin(view: NonNullable<Awaited<ReturnType<typeof chartView>>>, min: number, max: number): number {
  let count = 0;
  for (const label of ['long-a', 'long-b']) {
    view.column[label]!.forEach((y, i) => {
      if (y !== null && y !== undefined && view.x[i]! >= min && view.x[i]! <= max) count++;
    });
  }
  return count;
}

/** The `/api/metrics` requests made with a step range, as [stepMin, stepMax, maxPoints]. */
function rangeRequests(urls: string[]): [number, number, number][] {
  return urls
    .map((u) => new URL(u).searchParams)
    .filter((q) => q.has('stepMin'))
    .map((q) => [Number(q.get('stepMin')), Number(q.get('stepMax')), Number(q.get('maxPoints'))]);
}

/** Drags across a chart's plot area from x value `from` to x value `to` (where uPlot draws them). */
async function dragZoom(page: Page, key: string, from: number, to: number, testIdPrefix = 'chart-'): Promise<void> {
  const over = page.getByTestId(`${testIdPrefix}${key}`).locator('.u-over');
  const box = (await over.boundingBox())!;
  const [left, right] = await page.evaluate(
    ({ key, from, to, testIdPrefix }) => {
      const plot = (document.querySelector(`[data-testid="${testIdPrefix}${key}"] .chart-holder`) as HTMLElement & { __uplot?: any }).__uplot;
      return [plot.valToPos(from, 'x'), plot.valToPos(to, 'x')] as [number, number];
    },
    { key, from, to, testIdPrefix },
  );
  await page.mouse.move(box.x + left, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + (left + right) / 2, box.y + box.height / 2, { steps: 4 });
  await page.mouse.move(box.x + right, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
}

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
    browser = await launchChromium();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    fixture?.cleanup();
  });

  browserIt(
    'filters runs, compares two of them, opens a confusion matrix, predicts an uploaded image, follows a running run live and shows a new run',
    async () => {
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
      // Each run's colour comes from a hash of its id (palette.ts), the same in every chart and after a reload.
      const colors = assignColors([fixture.ids['vgg11-adam'], fixture.ids['vgg16-adam']]);
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
  browserIt(
    'plots optimizer.lr against best val/accuracy, one point per run of the filter, and adds a clicked point to the comparison',
    async () => {
      // What the store holds, as the oracle: runs with both the param and a finite best (max) of the metric.
      const plottable = (filter: { optimizer?: string }) => {
        const store = openStore(fixture.dbFile, { readonly: true });
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

      const page = await browser!.newPage({ viewport: { width: 1440, height: 1100 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      try {
        await page.goto(url);
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
        const target = fixture.ids['vgg16-sgd'];
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
  browserIt(
    'draws min/max bands for runs downsampled at the chart width, toggles them from the legend and zooms every compare chart together',
    async () => {
      addLongRuns(fixture.dbFile);
      const page = await browser!.newPage({ viewport: { width: 1440, height: 1100 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const metricRequests: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/metrics?')) metricRequests.push(request.url());
      });
      await page.goto(url);
      const rows = page.getByTestId('run-row');
      await page.getByTestId('search').fill('long-');
      await expect.poll(() => rows.count()).toBe(2);
      await page.getByRole('checkbox', { name: 'compare long-a' }).check();
      await page.getByRole('checkbox', { name: 'compare long-b' }).check();
      await page.getByTestId('chart-train/loss').waitFor();
      await expect.poll(async () => (await chartView(page, 'train/accuracy'))?.bands).toBe(2);

      // The page asked for about one bucket per 2 px of chart width, so 4,000 steps came back downsampled.
      const compare = page.getByTestId('compare');
      const buckets = Number(await compare.getAttribute('data-buckets'));
      const cardWidth = await page.getByTestId('chart-train/loss').evaluate((el) => el.getBoundingClientRect().width);
      expect(Math.abs(buckets - cardWidth / 2)).toBeLessThanOrEqual(30);
      expect(new URL(metricRequests.at(-1)!).searchParams.get('maxPoints')).toBe(String(buckets));
      const loss = (await chartView(page, 'train/loss'))!;
      expect(loss.points).toBeLessThanOrEqual(buckets);
      expect(loss.points).toBeGreaterThan(buckets / 2);
      // Bands are drawn before (under) the lines and stay out of the legend; runs with few points have no band.
      expect(loss.labels).toEqual(['step', 'long-a (max)', 'long-a (min)', 'long-b (max)', 'long-b (min)', 'long-a', 'long-b']);
      // The loss spikes (one step every 500) are in the band even where the line, a bucket's last value, misses them.
      const spikeGap = loss.column['long-a (max)'].map((hi, i) => (hi ?? 0) - (loss.column['long-a'][i] ?? 0));
      expect(Math.max(...spikeGap)).toBeGreaterThan(SPIKE * 0.8);
      expect(loss.scaleYMax).toBeGreaterThan(SPIKE);

      // Band pixels: the runs' colours at the band's opacity, in the accuracy chart (noise ±0.05 makes wide bands):
      // ~3,900 per run measured at this size; ~200 (line edges) when the band fill is made transparent.
      // (the colours of long-a and long-b: hashed from their ids, which the legend lists in selection order)
      const lineIds = await page.getByTestId('legend-line').evaluateAll((items) => items.map((el) => (el as HTMLElement).dataset.line!));
      const [blue, orange] = [...assignColors(lineIds).values()];
      const bandA = await bandPixels(page, 'train/accuracy', blue);
      const bandB = await bandPixels(page, 'train/accuracy', orange);
      expect(bandA).toBeGreaterThan(1500);
      expect(bandB).toBeGreaterThan(1500);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'bands.png'), fullPage: true });

      // Hiding long-a from the view's legend hides its band too; showing it brings both back.
      // (the pointer then leaves the legend: hovering a run there highlights it, fading the other run's band)
      const legendA = page.getByTestId('legend-toggle').filter({ hasText: /^long-a$/ });
      const toggleA = async () => {
        await legendA.click();
        await page.mouse.move(0, 0);
      };
      await toggleA();
      await expect.poll(() => bandPixels(page, 'train/accuracy', blue)).toBeLessThan(bandA / 20);
      expect(await bandPixels(page, 'train/accuracy', orange)).toBeGreaterThan(1500);
      await toggleA();
      await expect.poll(() => bandPixels(page, 'train/accuracy', blue)).toBeGreaterThan(1500);

      // Smoothing changes the line, not the band.
      await page.getByTestId('smoothing').fill('0.9');
      await expect.poll(async () => (await chartView(page, 'train/accuracy'))?.labels.length).toBe(9);
      expect(await bandPixels(page, 'train/accuracy', orange)).toBeGreaterThan(bandB * 0.8);
      // With smoothing, the legend hides the run's smoothed line, faint raw line and band together.
      const anyAlpha: [number, number] = [8, 255];
      const drawnA = await bandPixels(page, 'train/accuracy', blue, anyAlpha);
      await toggleA();
      await expect.poll(() => bandPixels(page, 'train/accuracy', blue, anyAlpha)).toBeLessThan(drawnA / 50);
      await toggleA();
      await expect.poll(() => bandPixels(page, 'train/accuracy', blue, anyAlpha)).toBeGreaterThan(drawnA * 0.9);
      await page.getByTestId('smoothing').fill('0');
      await expect.poll(async () => (await chartView(page, 'train/accuracy'))?.labels.length).toBe(7);

      // Not zoomed: each chart shows all of its steps.
      const full = (await chartView(page, 'train/accuracy'))!;
      expect(full.zoomed).toBe('false');
      expect(full.xMax).toBe(LONG_STEPS);

      // The cursor is shared: hovering the loss chart moves the accuracy chart's cursor.
      const over = page.getByTestId('chart-train/loss').locator('.u-over');
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
      await expect.poll(async () => (await chartView(page, 'train/accuracy'))?.cursorLeft).toBeGreaterThan(0);
      // The tooltip gives a downsampled point's bucket range: "last (min–max)".
      const hovered = page.getByTestId('chart-train/loss').locator(`.chart-tip-row[data-line="${lineIds[0]}"] .num`);
      await expect.poll(() => hovered.textContent()).toMatch(/^\d\.\d+ \(\d\.\d+–\d\.\d+\)$/);

      // Drag-zoom on the loss chart: the accuracy charts (train and validation) show the same x range.
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.zoomed).toBe('true');
      const zoomedLoss = (await chartView(page, 'train/loss'))!;
      expect(zoomedLoss.xMin).toBeGreaterThan(LONG_STEPS * 0.15);
      expect(zoomedLoss.xMax).toBeLessThan(LONG_STEPS * 0.6);
      expect(zoomedLoss.xMax - zoomedLoss.xMin).toBeGreaterThan(LONG_STEPS * 0.15);
      for (const key of ['train/accuracy', 'val/accuracy']) {
        await expect.poll(async () => (await chartView(page, key))?.zoomed).toBe('true');
        const other = (await chartView(page, key))!;
        expect(other.xMin).toBeCloseTo(zoomedLoss.xMin, 6);
        expect(other.xMax).toBeCloseTo(zoomedLoss.xMax, 6);
        expect(other.scaleXMin).toBeCloseTo(zoomedLoss.xMin, 6);
        expect(other.scaleXMax).toBeCloseTo(zoomedLoss.xMax, 6);
      }
      // The shared cursor follows the zoom: every chart's cursor is at the loss chart's x.
      for (const key of ['train/accuracy', 'val/accuracy']) {
        await expect
          .poll(async () => {
            const [source, other] = [(await chartView(page, 'train/loss'))!, (await chartView(page, key))!];
            return Math.abs((other.cursorX ?? Infinity) - source.cursorX!) <= 2 * other.xPerPx;
          })
          .toBe(true);
      }
      // The zoom asks for the shown step range at the same bucket count, once (debounced), and the charts then hold
      // about as many points in the range as they held over the whole run: the stored detail, not magnified buckets.
      await expect.poll(() => compare.getAttribute('data-detail')).toBe('loaded');
      const wantedRange = [Math.floor(zoomedLoss.xMin), Math.ceil(zoomedLoss.xMax)];
      expect(rangeRequests(metricRequests)).toEqual([[...wantedRange, buckets]]);
      expect(await compare.getAttribute('data-detail-ranges')).toBe(wantedRange.join('..'));
      const magnified = linePointsWithin(loss, zoomedLoss.xMin, zoomedLoss.xMax);
      for (const key of ['train/loss', 'train/accuracy']) {
        await expect.poll(async () => (await chartView(page, key))?.pointsInView).toBeGreaterThan(2.5 * magnified);
        const detailed = (await chartView(page, key))!;
        expect(detailed.pointsInView).toBe(linePointsWithin(detailed, detailed.scaleXMin, detailed.scaleXMax));
        expect(detailed.pointsInView).toBeLessThanOrEqual(2 * buckets + 4);
        // still zoomed to the same range
        expect(detailed.scaleXMin).toBeCloseTo(zoomedLoss.xMin, 6);
        expect(detailed.scaleXMax).toBeCloseTo(zoomedLoss.xMax, 6);
      }
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'zoom.png'), fullPage: true });
      // Turning smoothing on redraws the charts (a raw curve more each): they come back at the same zoom.
      await page.getByTestId('smoothing').fill('0.5');
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.labels.length).toBe(9);
      for (const key of ['train/loss', 'train/accuracy']) {
        const redrawn = (await chartView(page, key))!;
        expect(redrawn.zoomed).toBe('true');
        expect(redrawn.scaleXMin).toBeCloseTo(zoomedLoss.xMin, 6);
        expect(redrawn.scaleXMax).toBeCloseTo(zoomedLoss.xMax, 6);
      }
      await page.getByTestId('smoothing').fill('0');
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.labels.length).toBe(7);

      // A loss spike that the whole-run line missed (it fell inside a bucket, only the band showed it): zoomed onto
      // 200 steps around it, fewer than the buckets, every stored point comes back, the spike among them.
      const spikes = Array.from({ length: LONG_STEPS / 500 }, (_, k) => 250 + 500 * k).filter((s) => s > zoomedLoss.xMin + 100 && s < zoomedLoss.xMax - 100);
      const lineNear = (view: typeof loss, step: number) =>
        Math.max(...view.x.map((x, i) => (Math.abs(x - step) <= 20 ? (view.column['long-a']![i] ?? 0) : 0)));
      const missed = spikes.find((s) => lineNear(loss, s) < SPIKE);
      expect(missed, `a spike among ${spikes} that the whole-run line misses`).toBeDefined();
      await dragZoom(page, 'train/loss', missed! - 100, missed! + 100);
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.scaleXMax).toBeLessThan(missed! + 110);
      const narrow = (await chartView(page, 'train/loss'))!;
      const narrowRange = `${Math.floor(narrow.scaleXMin)}..${Math.ceil(narrow.scaleXMax)}`;
      await expect.poll(() => compare.getAttribute('data-detail-ranges')).toBe(narrowRange);
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.column['long-a']?.[(await chartView(page, 'train/loss'))!.x.indexOf(missed!)] ?? 0).toBeGreaterThan(SPIKE);
      const spiked = (await chartView(page, 'train/loss'))!;
      // every stored step in view is a line point: two runs x ~200 steps
      expect(spiked.pointsInView).toBe(2 * (Math.floor(spiked.scaleXMax) - Math.ceil(spiked.scaleXMin) + 1));
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'zoom-spike.png'), fullPage: true });
      expect(rangeRequests(metricRequests)).toHaveLength(2);
      // Zooming further into those raw points has nothing more to ask for.
      await dragZoom(page, 'train/loss', missed! - 50, missed! + 50);
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.scaleXMax).toBeLessThan(missed! + 60);
      await page.waitForTimeout(DETAIL_DEBOUNCE_MS + 300);
      const closer = (await chartView(page, 'train/loss'))!;
      expect(closer.pointsInView).toBe(2 * (Math.floor(closer.scaleXMax) - Math.ceil(closer.scaleXMin) + 1));
      expect(rangeRequests(metricRequests)).toHaveLength(2);

      // Double click on another chart resets all of them, back to the whole-run series (no new request).
      const accuracyOver = page.getByTestId('chart-train/accuracy').locator('.u-over');
      await accuracyOver.dblclick();
      for (const key of ['train/loss', 'train/accuracy', 'val/accuracy']) {
        await expect.poll(async () => (await chartView(page, key))?.zoomed).toBe('false');
        expect((await chartView(page, key))!.xMax).toBe(LONG_STEPS);
      }
      // (a downsampled series starts at its first bucket's last step, as before the zoom)
      expect((await chartView(page, 'train/loss'))!.xMin).toBe(loss.xMin);
      expect(await compare.getAttribute('data-detail')).toBe('none');
      const reset = (await chartView(page, 'train/loss'))!;
      expect(reset.points).toBe(loss.points);
      expect(reset.pointsInView).toBe(linePointsWithin(loss, -Infinity, Infinity));
      expect(rangeRequests(metricRequests)).toHaveLength(2);

      // Zoomed again, then another x axis: every chart starts unzoomed, in epochs.
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect.poll(async () => (await chartView(page, 'train/accuracy'))?.zoomed).toBe('true');
      await page.getByTestId('x-axis').selectOption('epoch');
      for (const key of ['train/loss', 'train/accuracy']) {
        await expect.poll(async () => (await chartView(page, key))?.xMax).toBe(LONG_STEPS / LONG_STEPS_PER_EPOCH);
        expect((await chartView(page, key))!.zoomed).toBe('false');
      }
      expect(await compare.getAttribute('data-detail')).toBe('none');

      // On the epoch axis a zoom reads the steps its epochs cover (mapped from the loaded columns): epochs 3 to 4.5
      // are steps 800 to 1,800, give or take a bucket.
      const byEpoch = (await chartView(page, 'train/loss'))!;
      const requestsBefore = rangeRequests(metricRequests).length;
      await dragZoom(page, 'train/loss', 3, 4.5);
      await expect.poll(async () => (await chartView(page, 'train/loss'))?.zoomed).toBe('true');
      await expect.poll(() => rangeRequests(metricRequests).length).toBe(requestsBefore + 1);
      const [epochMin, epochMax, epochBuckets] = rangeRequests(metricRequests).at(-1)!;
      expect(epochBuckets).toBe(buckets);
      expect(Math.abs(epochMin - 3 * LONG_STEPS_PER_EPOCH)).toBeLessThanOrEqual(2 * LONG_STEPS / buckets + 2);
      expect(Math.abs(epochMax - 4.5 * LONG_STEPS_PER_EPOCH)).toBeLessThanOrEqual(2 * LONG_STEPS / buckets + 2);
      await expect.poll(() => compare.getAttribute('data-detail')).toBe('loaded');
      const epochZoom = (await chartView(page, 'train/loss'))!;
      await expect
        .poll(async () => (await chartView(page, 'train/loss'))?.pointsInView)
        .toBeGreaterThan(2.5 * linePointsWithin(byEpoch, epochZoom.scaleXMin, epochZoom.scaleXMax));

      // The run view's charts (1,000 buckets of the 4,000 steps) read the detail of a zoom the same way: steps
      // 1,000 to 2,000 come back as every stored point, ~4x the points the whole-run series had there.
      await rows.locator('.name .link', { hasText: 'long-a' }).click();
      const curves = page.getByTestId('run-curves');
      await curves.waitFor();
      const runChart = 'run-chart-';
      await expect.poll(async () => (await chartView(page, 'train/loss', runChart))?.xMax).toBe(LONG_STEPS);
      const runWhole = (await chartView(page, 'train/loss', runChart))!;
      expect(runWhole.points).toBeLessThanOrEqual(1000);
      const runRequestsBefore = rangeRequests(metricRequests).length;
      await dragZoom(page, 'train/loss', 1000, 2000, runChart);
      await expect.poll(() => curves.getAttribute('data-detail')).toBe('loaded');
      const runZoom = (await chartView(page, 'train/loss', runChart))!;
      expect(runZoom.zoomed).toBe('true');
      expect(rangeRequests(metricRequests).slice(runRequestsBefore)).toEqual([[Math.floor(runZoom.scaleXMin), Math.ceil(runZoom.scaleXMax), 1000]]);
      const runMagnified = linePointsWithin(runWhole, runZoom.scaleXMin, runZoom.scaleXMax);
      await expect.poll(async () => (await chartView(page, 'train/loss', runChart))?.pointsInView).toBeGreaterThan(2.5 * runMagnified);
      // every stored step in view is a line point
      const runDetailed = (await chartView(page, 'train/loss', runChart))!;
      expect(runDetailed.pointsInView).toBe(Math.floor(runDetailed.scaleXMax) - Math.ceil(runDetailed.scaleXMin) + 1);
      // the other run chart shows the same range and its detail too
      expect((await chartView(page, 'train/accuracy', runChart))!.pointsInView).toBe(runDetailed.pointsInView);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'run-zoom.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
      await page.close();
    },
    90_000,
  );
  browserIt(
    'zoomed onto a running run, reads the detail of the range and keeps growing live',
    async () => {
      // A running run of 3,000 steps so far: downsampled by the compare view.
      const writer = openStore(fixture.dbFile);
      const startTime = Date.now() - 600_000;
      const run = writer.createRun({ experiment: 'long-training', name: 'long-live', resolvedSpec: { model: { name: 'vgg11' } }, specHash: 'e2e-long-live', startTime });
      const rand = noise(7);
      const point = (step: number): MetricInput => ({ key: 'train/loss', value: 0.5 + rand() * 0.05, step, epoch: Math.ceil(step / 500), timestamp: startTime + step * 100 });
      logAll(writer, run.id, Array.from({ length: 3000 }, (_, i) => point(i + 1)));
      const page = await browser!.newPage({ viewport: { width: 1440, height: 1100 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const metricRequests: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/metrics?')) metricRequests.push(request.url());
      });
      try {
        await page.goto(url);
        const rows = page.getByTestId('run-row');
        await page.getByTestId('search').fill('long-live');
        await expect.poll(() => rows.count()).toBe(1);
        await page.getByRole('checkbox', { name: 'compare long-live' }).check();
        await page.getByTestId('chart-train/loss').waitFor();
        await page.locator('.live.on').waitFor();
        const compare = page.getByTestId('compare');
        const buckets = Number(await compare.getAttribute('data-buckets'));
        const whole = async () =>
          page.evaluate(() => {
            const card = document.querySelector('[data-testid="chart-train/loss"]') as HTMLElement;
            const plot = (card.querySelector('.chart-holder') as HTMLElement & { __uplot?: any }).__uplot;
            const x = plot.data[0] as number[];
            return { zoomed: card.dataset.zoomed, inView: Number(card.dataset.pointsInView), lastX: x[x.length - 1], min: plot.scales.x.min as number, max: plot.scales.x.max as number };
          });
        await expect.poll(async () => (await whole()).lastX).toBe(3000);

        await dragZoom(page, 'train/loss', 2000, 2600);
        await expect.poll(() => compare.getAttribute('data-detail')).toBe('loaded');
        const zoomed = await whole();
        expect(zoomed.zoomed).toBe('true');
        expect(rangeRequests(metricRequests)).toEqual([[Math.floor(zoomed.min), Math.ceil(zoomed.max), buckets]]);
        // ~600 stored steps in view, read as `buckets` buckets (the whole run showed ~buckets / 5 there)
        await expect.poll(async () => (await whole()).inView).toBeGreaterThan(buckets * 0.8);
        const detailed = await whole();

        // New points arrive while zoomed: the curve grows past the zoomed range, the zoom and its detail stay.
        logAll(writer, run.id, Array.from({ length: 100 }, (_, i) => point(3001 + i)));
        await expect.poll(async () => (await whole()).lastX, { timeout: 10_000 }).toBe(3100);
        const grown = await whole();
        expect([grown.zoomed, grown.min, grown.max, grown.inView]).toEqual(['true', zoomed.min, zoomed.max, detailed.inView]);
        expect(await compare.getAttribute('data-detail')).toBe('loaded');
        expect(rangeRequests(metricRequests)).toHaveLength(1);

        // Reset: the whole run, with the points that came live.
        await page.getByTestId('chart-train/loss').locator('.u-over').dblclick();
        await expect.poll(async () => (await whole()).zoomed).toBe('false');
        expect((await whole()).max).toBe(3100);
        expect(await compare.getAttribute('data-detail')).toBe('none');

        // The run view follows the running run live too (its points are appended in place, as in the compare view).
        await rows.locator('.name .link', { hasText: 'long-live' }).click();
        await page.getByTestId('run-curves').waitFor();
        const runLastX = () =>
          page.evaluate(() => {
            const holder = document.querySelector('[data-testid="run-chart-train/loss"] .chart-holder') as (HTMLElement & { __uplot?: any }) | null;
            const x = (holder?.__uplot?.data[0] ?? []) as number[];
            return x[x.length - 1];
          });
        await expect.poll(runLastX).toBe(3100);
        logAll(writer, run.id, Array.from({ length: 50 }, (_, i) => point(3101 + i)));
        await expect.poll(runLastX, { timeout: 10_000 }).toBe(3150);
        expect(pageErrors).toEqual([]);
      } finally {
        writer.setRunStatus(run.id, 'finished', { endTime: Date.now() });
        writer.close();
        await page.close();
      }
    },
    60_000,
  );
});
