/**
 * The compare and run views' charts in headless Debian chromium: a point no line reaches drawn as a marker (a 1-epoch
 * run, a live run's first validation point); 3 seeds x 2 optimizers grouped into 2 mean lines with min–max and ±std
 * bands; colour by one param and dash by another, colours stable across charts and reloads; one legend hiding a line
 * in every chart; hover highlighting a line in every chart; the tooltip sorted by value, each line at its own
 * nearest step; log-scale y; the page at 390 and 800 px; the favicon.
 * Screenshots go to packages/dashboard/e2e-output/ (gitignored; the ones in docs/screenshots/ are copies).
 * Without /usr/bin/chromium (or VGGLAB_CHROMIUM) the tests fail under CI=true and are skipped otherwise.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { openStore } from '@vgglab/store';
import { browserIt, SCREENSHOT_DIR } from './testing/browser.ts';
import { browserSuite, openPage } from './testing/browser-suite.ts';
import { chartPoint, colorPixels, columnOf, probeChart } from './testing/chart-probe.ts';
import { addChartRuns, OPTIMIZERS, SEED_LOG_EVERY, SEEDS, seedLoss } from './testing/fixture-charts.ts';
import { assignColors, DASH_PATTERNS, preferredColor } from './web/palette.ts';

const seedRuns = OPTIMIZERS.flatMap((optimizer) => SEEDS.map((seed) => ({ optimizer, seed, name: `seeds-${optimizer}-s${seed}` })));

/** The steps seed `seed` logged train/loss at nearest to x (the left one on a tie), as nearestOwnPoint picks. */
function nearestLoggedStep(seed: number, x: number): number {
  const every = SEED_LOG_EVERY[seed];
  const left = Math.floor(x / every) * every;
  const right = left + every;
  return left < every || x - left > right - x ? right : left;
}

describe('charts in a browser', () => {
  let ids: Record<string, string>;
  const suite = browserSuite((fixture) => {
    ids = addChartRuns(fixture.dbFile).ids;
  });

  /** Runs `body` on a fresh page (its own localStorage), which must raise no page error; closes it. */
  async function onPage(body: (page: Page) => Promise<void>, viewport = { width: 1440, height: 1600 }): Promise<void> {
    const { page, errors } = await openPage(suite.browser, undefined, viewport);
    try {
      await body(page);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }

  const compareUrl = (names: string[]) => `${suite.url}#/?runs=${names.map((n) => ids[n]).join(',')}`;

  browserIt(
    'draws a point no line reaches as a marker: a 1-epoch run, a failed run with one finite loss, a live run’s first validation point, in the compare and run views',
    () =>
      onPage(async (page) => {
        await page.goto(suite.url);
        const rows = page.getByTestId('run-row');
        await page.getByTestId('search').fill('one-epoch');
        await expect.poll(() => rows.count()).toBe(1);
        await page.getByRole('checkbox', { name: 'compare one-epoch' }).check();
        const color = preferredColor(ids['one-epoch']);
        // val/accuracy holds one point: a marker of the run's colour (a 7 px disc), where a line of one point draws nothing
        await expect.poll(async () => (await probeChart(page, 'chart-val/accuracy'))?.markers).toBe(1);
        await expect.poll(() => colorPixels(page, 'chart-val/accuracy', color)).toBeGreaterThan(20);
        expect((await probeChart(page, 'chart-val/loss'))!.markers).toBe(1);
        // five train points make a line, no marker
        expect((await probeChart(page, 'chart-train/loss'))!.markers).toBe(0);
        await page.getByTestId('compare').screenshot({ path: join(SCREENSHOT_DIR, 'charts-marker.png') });

        // The run view draws it too.
        await rows.locator('.name .link', { hasText: 'one-epoch' }).click();
        await expect.poll(async () => (await probeChart(page, 'run-chart-val/accuracy'))?.markers).toBe(1);
        expect(await colorPixels(page, 'run-chart-val/accuracy', color)).toBeGreaterThan(20);
        await page.goBack();

        // The failed run's loss: 2.3, then Infinity and NaN (gaps): its one finite point is a marker.
        await page.getByRole('button', { name: 'clear' }).click();
        await page.getByTestId('search').fill('quickstart-nan');
        await expect.poll(() => rows.count()).toBe(1);
        await page.getByRole('checkbox', { name: 'compare quickstart-nan' }).check();
        await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.markers).toBe(1);
        expect(await colorPixels(page, 'chart-train/loss', preferredColor(suite.fixture.ids['quickstart-nan']))).toBeGreaterThan(20);

        // A running run without validation yet: its first val point, logged now, appears live as a marker.
        await page.getByRole('button', { name: 'clear' }).click();
        await page.getByTestId('search').fill('live-first-val');
        await expect.poll(() => rows.count()).toBe(1);
        await page.getByRole('checkbox', { name: 'compare live-first-val' }).check();
        await page.getByTestId('chart-train/loss').waitFor();
        await page.locator('.live.on').waitFor();
        expect(await page.getByTestId('chart-val/accuracy').count()).toBe(0);
        const writer = openStore(suite.fixture.dbFile);
        try {
          writer.logBatch(ids['live-first-val'], { metrics: [{ key: 'val/accuracy', value: 0.41, step: 50, epoch: 1 }] });
        } finally {
          writer.close();
        }
        await expect.poll(async () => (await probeChart(page, 'chart-val/accuracy'))?.markers, { timeout: 10_000 }).toBe(1);
        await expect.poll(() => colorPixels(page, 'chart-val/accuracy', preferredColor(ids['live-first-val']))).toBeGreaterThan(20);
      }),
    60_000,
  );

  browserIt(
    'groups 3 seeds x 2 optimizers into 2 mean lines with min–max and ±std bands, colours by one param and dashes by another, colours stable across charts and reloads',
    () =>
      onPage(async (page) => {
        const names = seedRuns.map((r) => r.name);
        await page.goto(compareUrl(names));
        const loss = 'chart-train/loss';
        await expect.poll(async () => (await probeChart(page, loss))?.curves).toBe(6);
        await expect.poll(async () => (await probeChart(page, 'chart-val/accuracy'))?.curves).toBe(6);

        // One colour per run from a hash of its id, the same in every chart and after a reload.
        const expected = assignColors(names.map((n) => ids[n]));
        const strokesOf = async (testId: string) => {
          const probe = (await probeChart(page, testId))!;
          return Object.fromEntries(probe.labels.map((label, i) => [label, probe.strokes[i]]));
        };
        const lossColors = await strokesOf(loss);
        expect(new Set(Object.values(lossColors)).size).toBe(6);
        for (const name of names) expect(lossColors[name]).toBe(expected.get(ids[name]));
        expect(await strokesOf('chart-val/accuracy')).toEqual(lossColors);
        await page.reload();
        await expect.poll(async () => (await probeChart(page, loss))?.curves).toBe(6);
        expect(await strokesOf(loss)).toEqual(lossColors);

        // The group-by menu lists the params that vary (optimizer.name, seed), not the constants (model.name, lr).
        await page.getByTestId('group-by').locator('summary').click();
        const offered = await page.getByTestId('group-by').locator('label').allTextContents();
        expect(offered).toEqual(['optimizer.name', 'seed']);
        await page.getByRole('checkbox', { name: 'group by optimizer.name' }).check();
        await expect.poll(async () => (await probeChart(page, loss))?.curves).toBe(2);
        const grouped = (await probeChart(page, loss))!;
        expect(grouped.bands).toBe(2);
        expect(grouped.labels).toEqual(['adam (3 runs) (max)', 'adam (3 runs) (min)', 'sgd (3 runs) (max)', 'sgd (3 runs) (min)', 'adam (3 runs)', 'sgd (3 runs)']);
        expect(await page.getByTestId('legend-line').allTextContents()).toEqual(['adam3 runs', 'sgd3 runs']);
        // The mean at step 150, where all three seeds logged (every 10, 15, 25 steps), is the mean of the stored values;
        // the band spans the lowest and highest seed.
        const at = grouped.data[0].indexOf(150);
        for (const optimizer of OPTIMIZERS) {
          const stored = SEEDS.map((seed) => seedLoss(optimizer, seed, 150));
          const label = `${optimizer} (3 runs)`;
          expect(columnOf(grouped, label)[at]).toBeCloseTo(stored.reduce((a, b) => a + b) / 3, 10);
          expect(columnOf(grouped, `${label} (max)`)[at]).toBeCloseTo(Math.max(...stored), 10);
          expect(columnOf(grouped, `${label} (min)`)[at]).toBeCloseTo(Math.min(...stored), 10);
        }
        // Both bands are drawn, each in its group's colour at the band's opacity.
        const groupColors = [...assignColors(['group:["adam"]', 'group:["sgd"]']).values()];
        expect(grouped.strokes.slice(4)).toEqual(groupColors);
        for (const color of groupColors) expect(await colorPixels(page, loss, color, [40, 62], 12)).toBeGreaterThan(300);
        await page.getByTestId('group-by').locator('summary').click();
        await page.getByTestId('compare').screenshot({ path: join(SCREENSHOT_DIR, 'charts-group-minmax.png') });

        // ±std: one sample standard deviation either side of the mean.
        await page.getByTestId('group-band').selectOption('std');
        await expect
          .poll(async () => {
            const probe = (await probeChart(page, loss))!;
            const i = probe.data[0].indexOf(150);
            return (columnOf(probe, 'adam (3 runs) (max)')[i] as number) - (columnOf(probe, 'adam (3 runs)')[i] as number);
          })
          .toBeCloseTo(
            (() => {
              const stored = SEEDS.map((seed) => seedLoss('adam', seed, 150));
              const mean = stored.reduce((a, b) => a + b) / 3;
              return Math.sqrt(stored.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
            })(),
            10,
          );
        await page.getByTestId('compare').screenshot({ path: join(SCREENSHOT_DIR, 'charts-group-std.png') });

        // Ungrouped, coloured by optimizer and dashed by seed: the runs of an optimizer share a colour, of a seed a dash.
        await page.getByTestId('group-by').locator('summary').click();
        await page.getByRole('checkbox', { name: 'group by optimizer.name' }).uncheck();
        await page.getByTestId('group-by').locator('summary').click();
        await page.getByTestId('color-by').selectOption('optimizer.name');
        await page.getByTestId('dash-by').selectOption('seed');
        await expect.poll(async () => (await probeChart(page, loss))?.curves).toBe(6);
        await expect.poll(async () => new Set((await probeChart(page, loss))!.strokes).size).toBe(2);
        const styled = (await probeChart(page, loss))!;
        const byName = (name: string) => styled.labels.indexOf(name);
        for (const { optimizer, seed, name } of seedRuns) {
          expect(styled.strokes[byName(name)]).toBe(styled.strokes[byName(`seeds-${optimizer}-s0`)]);
          expect(styled.dashes[byName(name)] ?? []).toEqual(DASH_PATTERNS[seed]);
        }
        expect(styled.strokes[byName('seeds-adam-s0')]).not.toBe(styled.strokes[byName('seeds-sgd-s0')]);
        await page.getByTestId('compare').screenshot({ path: join(SCREENSHOT_DIR, 'charts-color-dash.png') });
      }),
    60_000,
  );

  browserIt(
    'one legend hides a run in every chart; hovering a line highlights it in every chart; the tooltip lists the runs by value, each at its own nearest step',
    () =>
      onPage(async (page) => {
        const names = seedRuns.map((r) => r.name);
        await page.goto(compareUrl(names));
        const [loss, accuracy] = ['chart-train/loss', 'chart-val/accuracy'];
        await expect.poll(async () => (await probeChart(page, accuracy))?.curves).toBe(6);
        const colors = assignColors(names.map((n) => ids[n]));
        const target = 'seeds-sgd-s0';
        const other = 'seeds-adam-s1';

        // Clicking a run in the legend hides it in every chart, clicking again shows it.
        const toggle = page.getByTestId('legend-toggle').filter({ hasText: new RegExp(`^${other}$`) });
        const otherPixels = await colorPixels(page, accuracy, colors.get(ids[other])!);
        expect(otherPixels).toBeGreaterThan(100);
        await toggle.click();
        for (const chart of [loss, accuracy]) {
          await expect.poll(async () => (await probeChart(page, chart))!.shown[(await probeChart(page, chart))!.labels.indexOf(other)]).toBe(false);
        }
        expect(await colorPixels(page, accuracy, colors.get(ids[other])!)).toBeLessThan(otherPixels / 20);
        expect(await toggle.getAttribute('aria-pressed')).toBe('false');
        await toggle.click();
        await expect.poll(() => colorPixels(page, accuracy, colors.get(ids[other])!)).toBeGreaterThan(otherPixels * 0.9);

        // Hover train/loss at step 40, on the target's line: every run is listed at its own nearest logged step
        // (seed 1 logs every 15 steps: 45; seed 2 every 25: 50), sorted by value, highest first.
        const before = await colorPixels(page, accuracy, colors.get(ids[other])!);
        const at = await chartPoint(page, loss, 40, seedLoss('sgd', 0, 40));
        await page.mouse.move(at.x, at.y);
        const tip = page.getByTestId(loss).getByTestId('chart-tip');
        await expect.poll(() => tip.locator('.chart-tip-row').count()).toBe(6);
        const rows = await tip.locator('.chart-tip-row').evaluateAll((els) =>
          els.map((el) => ({ id: (el as HTMLElement).dataset.line!, x: Number((el as HTMLElement).dataset.x), value: Number((el as HTMLElement).dataset.value) })),
        );
        const cursorX = await page.evaluate((testId) => {
          const plot = (document.querySelector(`[data-testid="${testId}"] .chart-holder`) as HTMLElement & { __uplot?: any }).__uplot;
          return plot.posToVal(plot.cursor.left, 'x') as number;
        }, loss);
        expect(Math.abs(cursorX - 40)).toBeLessThan(1);
        const values = rows.map((r) => r.value);
        expect(values).toEqual([...values].sort((a, b) => b - a));
        for (const row of rows) {
          const run = seedRuns.find((r) => ids[r.name] === row.id)!;
          expect(row.x, run.name).toBe(nearestLoggedStep(run.seed, cursorX));
          expect(row.value).toBeCloseTo(seedLoss(run.optimizer, run.seed, row.x), 10);
        }
        expect(new Set(rows.map((r) => r.x))).toEqual(new Set([40, 45, 50]));
        expect(await tip.locator('.chart-tip-x').textContent()).toBe('step 40');

        // The line under the pointer is highlighted in every chart (the others faded) and in the legend.
        await expect.poll(async () => (await probeChart(page, accuracy))?.highlight).toBe(ids[target]);
        const highlighted = (await probeChart(page, accuracy))!;
        highlighted.labels.forEach((label, i) => expect(highlighted.alphas[i], label).toBe(label === target ? 1 : 0.2));
        expect(await colorPixels(page, accuracy, colors.get(ids[other])!)).toBeLessThan(before / 10);
        expect(await colorPixels(page, accuracy, colors.get(ids[target])!)).toBeGreaterThan(100);
        await expect.poll(() => page.locator('.legend-item.hl').getAttribute('data-line')).toBe(ids[target]);
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'charts-tooltip.png'), clip: (await page.getByTestId('compare').boundingBox())! });

        // Leaving the chart ends the highlight; hovering a run in the legend highlights it in every chart.
        await page.mouse.move(5, 5);
        await expect.poll(async () => (await probeChart(page, accuracy))?.highlight).toBe('');
        await expect.poll(() => tip.isVisible()).toBe(false);
        await page.getByTestId('legend-line').filter({ hasText: other }).hover();
        await expect.poll(async () => (await probeChart(page, loss))?.highlight).toBe(ids[other]);
        expect((await probeChart(page, accuracy))!.highlight).toBe(ids[other]);
      }),
    60_000,
  );

  browserIt(
    'puts one chart on a log-scale y axis, kept across reloads',
    () =>
      onPage(async (page) => {
        await page.goto(compareUrl(['seeds-adam-s0', 'seeds-sgd-s0']));
        const loss = page.getByTestId('chart-train/loss');
        await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.yDistr).toBe(1);
        await loss.getByTestId('log-y').click();
        await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.yDistr).toBe(3);
        expect(await loss.getAttribute('data-log')).toBe('true');
        expect((await probeChart(page, 'chart-val/accuracy'))!.yDistr).toBe(1);
        expect((await probeChart(page, 'chart-train/loss'))!.curves).toBe(2);
        await page.reload();
        await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.yDistr).toBe(3);
        expect((await probeChart(page, 'chart-val/accuracy'))!.yDistr).toBe(1);
        await page.getByTestId('compare').screenshot({ path: join(SCREENSHOT_DIR, 'charts-log.png') });
        await loss.getByTestId('log-y').click();
        await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.yDistr).toBe(1);
      }),
    60_000,
  );

  browserIt(
    'fits a 390 px phone and an 800 px window (no page wider than the screen) and has a favicon',
    async () => {
      for (const [width, height] of [
        [390, 844],
        [800, 1000],
      ]) {
        await onPage(async (page) => {
          await page.goto(compareUrl(seedRuns.map((r) => r.name)));
          await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.curves).toBe(6);
          await page.getByTestId('group-by').locator('summary').click();
          await page.getByRole('checkbox', { name: 'group by optimizer.name' }).check();
          await page.getByTestId('group-by').locator('summary').click();
          await expect.poll(async () => (await probeChart(page, 'chart-train/loss'))?.curves).toBe(2);
          const widths = () => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: innerWidth }));
          const runs = await widths();
          expect(runs.scroll, `runs page at ${width} px`).toBeLessThanOrEqual(runs.viewport);
          expect(runs.body).toBeLessThanOrEqual(runs.viewport);
          // the charts fit the screen too
          const chartWidth = await page.getByTestId('chart-train/loss').evaluate((el) => el.getBoundingClientRect().right);
          expect(chartWidth).toBeLessThanOrEqual(width);
          await page.evaluate(() => scrollTo(0, 0));
          await page.screenshot({ path: join(SCREENSHOT_DIR, `charts-${width}.png`), fullPage: true });

          await page.getByTestId('run-row').locator('.name .link', { hasText: 'seeds-adam-s0' }).click();
          await page.getByTestId('run-curves').waitFor();
          await expect.poll(async () => (await probeChart(page, 'run-chart-train/loss'))?.curves).toBe(1);
          const run = await widths();
          expect(run.scroll, `run page at ${width} px`).toBeLessThanOrEqual(run.viewport);
          await page.evaluate(() => scrollTo(0, 0));
          if (width === 390) await page.screenshot({ path: join(SCREENSHOT_DIR, 'charts-390-run.png'), fullPage: true });

          // The favicon: an SVG the page links to, served.
          const href = await page.locator('link[rel="icon"]').getAttribute('href');
          const icon = await page.request.get(new URL(href!, page.url()).toString());
          expect(icon.status()).toBe(200);
          expect(icon.headers()['content-type']).toMatch(/^image\/svg\+xml/);
          expect(await icon.text()).toContain('<svg');
        }, { width, height });
      }
    },
    90_000,
  );
});
