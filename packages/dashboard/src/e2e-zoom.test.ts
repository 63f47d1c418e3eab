/**
 * Long series in headless Debian chromium (playwright-core): two long runs compared with min/max bands where the
 * page downsamples them, toggled from the legend, and an x zoom shared by the charts that reads the detail of its
 * range; a running run zoomed and still growing live. Screenshots go to packages/dashboard/e2e-output/
 * (gitignored). Without /usr/bin/chromium (or VGGLAB_CHROMIUM) the tests fail under CI=true and are skipped
 * otherwise.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { openStore, type MetricInput } from '@vgglab/store';
import { browserIt, SCREENSHOT_DIR } from './testing/browser.ts';
import { browserSuite, openPage } from './testing/browser-suite.ts';
import { colorPixels, dragZoom } from './testing/chart-probe.ts';
import { logAll, noise } from './testing/fixture.ts';
import { assignColors } from './web/palette.ts';
import { DETAIL_DEBOUNCE_MS } from './web/zoom-detail.ts';

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

/** The URLs of the page's `/api/metrics` requests, as they are made. */
function recordMetricRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/metrics?')) urls.push(request.url());
  });
  return urls;
}

/** Pixels of a run's band (its colour at the band's opacity) in a chart. */
const bandPixels = (page: Page, key: string, color: string, alpha: [number, number] = [40, 62]) => colorPixels(page, `chart-${key}`, color, alpha, 12);

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


describe('long series in a browser', () => {
  const suite = browserSuite();

  browserIt(
    'draws min/max bands for runs downsampled at the chart width, toggles them from the legend and zooms every compare chart together',
    async () => {
      addLongRuns(suite.fixture.dbFile);
      const { page, errors: pageErrors } = await openPage(suite.browser, undefined, { width: 1440, height: 1100 });
      const metricRequests = recordMetricRequests(page);
      await page.goto(suite.url);
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
      const writer = openStore(suite.fixture.dbFile);
      const startTime = Date.now() - 600_000;
      const run = writer.createRun({ experiment: 'long-training', name: 'long-live', resolvedSpec: { model: { name: 'vgg11' } }, specHash: 'e2e-long-live', startTime });
      const rand = noise(7);
      const point = (step: number): MetricInput => ({ key: 'train/loss', value: 0.5 + rand() * 0.05, step, epoch: Math.ceil(step / 500), timestamp: startTime + step * 100 });
      logAll(writer, run.id, Array.from({ length: 3000 }, (_, i) => point(i + 1)));
      const { page, errors: pageErrors } = await openPage(suite.browser, undefined, { width: 1440, height: 1100 });
      const metricRequests = recordMetricRequests(page);
      try {
        await page.goto(suite.url);
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
