/**
 * The comparison a W&B user expects, end to end in headless Debian chromium (playwright-core): sweep runs named by
 * what varies, the compare table's best values highlighted and the table's bars scaled to the runs shown, chosen
 * columns kept across a reload, the spec that ran with its `-o` override, a parallel-coordinates brush filtering the
 * table, param importance, notes/tags/stars/rename/delete written from the page into the store, and a confusion
 * matrix cell showing its misclassified images. Screenshots go to packages/dashboard/e2e-output/ (copied by hand to
 * docs/screenshots/ when the page changes). Without /usr/bin/chromium the tests fail under CI=true and are skipped
 * otherwise.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { openStore, type RunListQuery } from '@vgglab/store';
import { browserIt, SCREENSHOT_DIR } from './testing/browser.ts';
import { browserSuite, openPage } from './testing/browser-suite.ts';
import {
  addCompareRuns,
  addLrSweep,
  LR_SWEEP_EXPERIMENT,
  MISCLASSIFIED_CELL,
  OVERRIDES,
  SWEEP_EXPERIMENT,
  type CompareFixture,
} from './testing/compare-fixture.ts';
import { brushFilters, parseBrush } from './wire/brush.ts';

/** The store as the oracle: a run list query on a connection of its own. */
function listRuns(dbFile: string, query: RunListQuery) {
  const store = openStore(dbFile, { readonly: true });
  try {
    return store.listRuns({ limit: 1000, ...query });
  } finally {
    store.close();
  }
}

function getRun(dbFile: string, id: string) {
  const store = openStore(dbFile, { readonly: true });
  try {
    return store.getRun(id);
  } finally {
    store.close();
  }
}

/** A whole-page screenshot from the top (the sticky header stays where it belongs). */
async function screenshotPage(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
}

describe('the comparison in a browser', () => {
  let runs: CompareFixture;
  let lrSweep: { id: string; lr: number }[];
  // On loopback, as `vgglab serve` starts it: the page may edit.
  const suite = browserSuite((fixture) => {
    runs = addCompareRuns(fixture);
    lrSweep = addLrSweep(fixture, 30);
    return { loopbackOnly: true };
  });

  browserIt(
    'names sweep runs by their varying values, compares every run of the filter, highlights each metric’s best run and scales the bars to the runs shown',
    async () => {
      const { page, errors } = await openPage(suite.browser, suite.url);
      const rows = page.getByTestId('run-row');
      await page.getByTestId('filter-experiment').selectOption(SWEEP_EXPERIMENT);
      await expect.poll(() => rows.count()).toBe(4);
      // Names say what differs, in full: no `model.name=vgg16_b…` cut off.
      const names = await rows.locator('.name .link').allTextContents();
      expect(names.sort()).toEqual(['vgg11_bn · adam 0.001', 'vgg11_bn · sgd 0.02', 'vgg16_bn · adam 0.001', 'vgg16_bn · sgd 0.02']);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'sweep-names.png') });
      const clipped = await rows.locator('.name .link').evaluateAll((links) => links.filter((a) => a.scrollWidth > a.clientWidth + 1).map((a) => [a.textContent, a.scrollWidth, a.clientWidth]));
      expect(clipped).toEqual([]);
      // The best val/accuracy bar is scaled to these four runs: the best full, the worst a sliver.
      const bars = await rows.evaluateAll((els) =>
        els.map((el) => [el.querySelector('.name .link')!.textContent, Number((el.querySelector('[data-column="metric.best:val/accuracy"]') as HTMLElement).dataset.bar)]),
      );
      const bar = Object.fromEntries(bars);
      expect(bar['vgg16_bn · adam 0.001']).toBe(1);
      expect(bar['vgg16_bn · sgd 0.02']).toBeCloseTo(0.04);
      expect(bar['vgg11_bn · adam 0.001']).toBeGreaterThan(0.3);
      expect(bar['vgg11_bn · adam 0.001']).toBeLessThan(0.95);

      // "compare all": every run of the filter is compared.
      await page.getByTestId('select-all').click();
      await expect.poll(() => page.getByTestId('run-legend').locator('.legend-item').count()).toBe(4);
      const table = page.getByTestId('compare-metrics');
      await table.waitFor();
      const header = (await table.locator('thead th').allTextContents()).map((t) => t.trim()).slice(1);
      const bestRow = table.locator('tr[data-metric="val/accuracy"][data-kind="best"]');
      const cells = bestRow.locator('td.num');
      const highlighted = await cells.evaluateAll((tds) => tds.map((td) => (td as HTMLElement).dataset.best === 'true'));
      expect(highlighted.filter(Boolean)).toHaveLength(1);
      expect(header[highlighted.indexOf(true)]).toBe('vgg16_bn · adam 0.001');
      // …shown as highlighted: a green background on that cell only
      const backgrounds = await cells.evaluateAll((tds) => tds.map((td) => getComputedStyle(td).backgroundColor));
      expect(new Set(backgrounds.filter((_, i) => !highlighted[i])).size).toBe(1);
      expect(backgrounds[highlighted.indexOf(true)]).not.toBe(backgrounds[highlighted.indexOf(false)]);
      // the loss row's best is its lowest value
      const lossBest = await table.locator('tr[data-metric="val/loss"][data-kind="best"] td.num').evaluateAll((tds) =>
        tds.map((td) => [Number.parseFloat(td.textContent!), (td as HTMLElement).dataset.best === 'true'] as const),
      );
      expect(lossBest.find(([, best]) => best)![0]).toBe(Math.min(...lossBest.map(([v]) => v)));
      // Params as written (not upper-cased), and only those that differ.
      const params = page.getByTestId('params-diff');
      expect(await params.locator('tbody td.mono:first-child').allTextContents()).toEqual(['model.name', 'optimizer.lr', 'optimizer.name', 'optimizer.options.momentum']);
      expect(await params.locator('thead th').first().evaluate((th) => getComputedStyle(th).textTransform)).toBe('none');
      await page.getByTestId('compare').screenshot({ path: join(SCREENSHOT_DIR, 'compare-best.png') });
      expect(errors).toEqual([]);
      await page.close();
    },
    90_000,
  );

  browserIt(
    'shows the chosen columns (any param or metric summary), varying params first, and keeps them after a reload',
    async () => {
      const { page, errors } = await openPage(suite.browser, suite.url);
      await page.getByTestId('filter-experiment').selectOption(LR_SWEEP_EXPERIMENT);
      await expect.poll(() => page.getByTestId('run-count').textContent()).toMatch(/^30 runs/);
      await page.getByTestId('columns-button').click();
      const menu = page.getByTestId('columns-menu');
      await menu.locator('label').first().waitFor();
      const offered = (await menu.locator('label').allTextContents()).map((t) => t.trim());
      // Among these runs, lr, optimizer, batch size and seed vary; the model and epochs are the same everywhere.
      expect(offered.slice(0, 4).sort()).toEqual(['data.batchSize', 'optimizer.lr', 'optimizer.name', 'seed']);
      expect(offered).not.toContain('model.name');
      expect(offered).not.toContain('train.epochs');
      await page.getByTestId('column-param-data.batchSize').check();
      await page.getByTestId('column-metric-best-val/loss').click();
      const headers = () => page.locator('.thead .th').allTextContents();
      await expect.poll(headers).toContain('best val/loss');
      expect(await headers()).toContain('data.batchSize');
      // sorting by the new column asks the store for metric.min:val/loss, lowest first
      await page.keyboard.press('Escape');
      await page.locator('.thead .th', { hasText: 'best val/loss' }).click({ position: { x: 10, y: 10 } });
      await expect.poll(() => page.locator('.thead .th.sorted').textContent()).toContain('best val/loss');
      const expected = listRuns(suite.fixture.dbFile, { experiment: LR_SWEEP_EXPERIMENT, sortBy: 'metric.min:val/loss', order: 'asc', limit: 3 });
      await expect.poll(async () => (await page.getByTestId('run-row').locator('.name .link').allTextContents()).slice(0, 3)).toEqual(expected.runs.map((r) => r.name));
      await page.reload();
      await expect.poll(headers).toContain('best val/loss');
      expect(await headers()).toContain('data.batchSize');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'columns.png') });
      expect(errors).toEqual([]);
      await page.close();
    },
    90_000,
  );

  browserIt(
    'brushing a parallel-coordinates axis filters the table to the runs inside the brush, and ranks the params by importance',
    async () => {
      const { page, errors } = await openPage(suite.browser, suite.url);
      const brushRequests: string[] = [];
      page.on('request', (request) => {
        if (/\/api\/runs\?/.test(request.url()) && request.url().includes('brush=')) brushRequests.push(request.url());
      });
      await page.getByTestId('filter-experiment').selectOption(LR_SWEEP_EXPERIMENT);
      await expect.poll(() => page.getByTestId('run-count').textContent()).toMatch(/^30 runs/);
      await page.getByTestId('parallel-toggle').click();
      const chart = page.getByTestId('parallel-chart');
      await expect.poll(() => chart.getAttribute('data-lines')).toBe('30');
      expect(await chart.getAttribute('data-kept')).toBe('30');
      // The learning rate decides the accuracy here: first in importance.
      const importance = page.getByTestId('importance');
      await expect.poll(() => importance.locator('tbody tr').first().getAttribute('data-param')).toBe('optimizer.lr');

      // Drag down the top third of the learning-rate axis.
      const axis = page.getByTestId('pc-axis-optimizer.lr');
      const [x, top, height] = await axis.evaluate((g) => [Number(g.dataset.x), Number(g.dataset.top), Number(g.dataset.height)]);
      const svg = (await chart.locator('svg').boundingBox())!;
      await page.mouse.move(svg.x + x, svg.y + top + 1);
      await page.mouse.down();
      await page.mouse.move(svg.x + x, svg.y + top + height * 0.2, { steps: 4 });
      await page.mouse.move(svg.x + x, svg.y + top + height * 0.34, { steps: 4 });
      await page.mouse.up();

      // The table asks for the brush, and shows exactly the runs the store finds for it.
      await expect.poll(() => brushRequests.length).toBeGreaterThan(0);
      const brush = parseBrush(new URL(brushRequests.at(-1)!).searchParams.getAll('brush')[0]!);
      expect(brush).toMatchObject({ param: 'optimizer.lr' });
      const inside = listRuns(suite.fixture.dbFile, { experiment: LR_SWEEP_EXPERIMENT, paramRanges: brushFilters([brush]).paramRanges });
      const expectedIds = lrSweep.filter((r) => r.lr >= (brush as { min: number }).min && r.lr <= (brush as { max: number }).max).map((r) => r.id);
      expect(inside.runs.map((r) => r.id).sort()).toEqual(expectedIds.sort());
      expect(inside.total).toBeGreaterThan(3);
      expect(inside.total).toBeLessThan(20);
      await expect.poll(() => page.getByTestId('run-count').textContent()).toMatch(new RegExp(`^${inside.total} runs?`));
      expect(await chart.getAttribute('data-kept')).toBe(String(inside.total));
      const shown = await page.getByTestId('run-row').locator('.name .link').allTextContents();
      expect(shown.sort()).toEqual(inside.runs.map((r) => r.name).sort());
      await expect.poll(() => page.getByTestId('brush-filter').textContent()).toContain('brushed: 1 axis');
      await screenshotPage(page, 'parallel.png');

      // Clearing the brush (the filter bar's ×) brings every run back.
      await page.getByRole('button', { name: 'clear the brushes' }).click();
      await expect.poll(() => page.getByTestId('run-count').textContent()).toMatch(/^30 runs/);
      await expect.poll(() => chart.getAttribute('data-kept')).toBe('30');
      expect(errors).toEqual([]);
      await page.close();
    },
    90_000,
  );

  browserIt(
    'shows the spec that ran with the -o override marked, the command line, and the file as written one click away',
    async () => {
      const { page, errors } = await openPage(suite.browser, `${suite.url}#/run/${runs.overridden}`);
      const spec = page.getByTestId('spec');
      await spec.waitFor();
      expect(await page.getByTestId('spec-command').textContent()).toBe(`$ vgglab exp experiments/quickstart.yaml -o ${OVERRIDES[0]} -o ${OVERRIDES[1]}`);
      const lr = page.getByTestId('spec-ran').locator('[data-path="optimizer.lr"]');
      expect((await lr.textContent())!.trim()).toMatch(/^lr: 0\.02/);
      expect(await lr.getAttribute('data-origin')).toBe('override');
      expect(await page.getByTestId('spec-ran').locator('[data-path="train.epochs"]').getAttribute('data-origin')).toBe('override');
      expect(await page.getByTestId('spec-ran').locator('[data-path="model.name"]').getAttribute('data-origin')).toBeNull();
      expect(await page.getByTestId('spec-changes').textContent()).toContain(`-o ${OVERRIDES[0]}`);
      await spec.screenshot({ path: join(SCREENSHOT_DIR, 'run-spec.png') });
      // The file as written: the value before the override.
      await page.getByTestId('spec-tab-written').click();
      expect(await page.getByTestId('spec-written').textContent()).toContain('lr: 0.001');
      expect(errors).toEqual([]);
      await page.close();
    },
    60_000,
  );

  browserIt(
    'writes a note, a tag, a star and a new name from the run page into the store, and deletes a finished run',
    async () => {
      const id = suite.fixture.ids['vgg16-adam'];
      const { page, errors } = await openPage(suite.browser, `${suite.url}#/run/${id}`);
      await page.getByTestId('run-edit').waitFor();
      await page.getByTestId('run-note').fill('best of the first sweep; try a longer schedule');
      await page.getByTestId('run-note-save').click();
      await expect.poll(() => getRun(suite.fixture.dbFile, id)?.note).toBe('best of the first sweep; try a longer schedule');
      await page.getByTestId('run-tag-input').fill('keep=yes');
      await page.getByTestId('run-tag-input').press('Enter');
      await expect.poll(() => getRun(suite.fixture.dbFile, id)?.tags.keep).toBe('yes');
      await page.getByTestId('run-star').click();
      await expect.poll(() => getRun(suite.fixture.dbFile, id)?.starred).toBe(true);
      await page.getByTestId('run-name-input').fill('vgg16 adam baseline');
      await page.getByTestId('run-rename').click();
      await expect.poll(() => getRun(suite.fixture.dbFile, id)?.name).toBe('vgg16 adam baseline');
      await expect.poll(() => page.locator('.run-header h1').textContent()).toContain('vgg16 adam baseline');
      // a tag removed from the page leaves the store
      await page.getByRole('button', { name: 'remove tag sweep' }).click();
      await expect.poll(() => 'sweep' in (getRun(suite.fixture.dbFile, id)?.tags ?? { sweep: 1 })).toBe(false);
      await screenshotPage(page, 'run-edit.png');

      // The starred filter of the table finds it.
      await page.goto(suite.url);
      await page.getByTestId('filter-starred').click();
      await expect.poll(() => page.getByTestId('run-row').locator('.name .link').allTextContents()).toEqual(['vgg16 adam baseline']);
      // …and unstars it in place
      await page.getByRole('button', { name: 'unstar vgg16 adam baseline' }).click();
      await expect.poll(() => getRun(suite.fixture.dbFile, id)?.starred).toBe(false);
      await expect.poll(() => page.getByRole('button', { name: 'star vgg16 adam baseline', exact: true }).count()).toBe(1);

      // Delete a finished run from its page (after confirming): gone from the store and from the table.
      const doomed = suite.fixture.ids['vgg11-sgd'];
      await page.goto(`${suite.url}#/run/${doomed}`);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByTestId('run-delete').click();
      await expect.poll(() => getRun(suite.fixture.dbFile, doomed)).toBeUndefined();
      await page.getByTestId('runs-table').waitFor();
      // A running run's delete button is disabled (the store refuses it anyway).
      await page.goto(`${suite.url}#/run/${suite.fixture.ids['quickstart-live']}`);
      expect(await page.getByTestId('run-delete').isDisabled()).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    },
    90_000,
  );

  browserIt(
    'shows the misclassified validation images of a clicked confusion-matrix cell, checkpoint metadata as a table, and system metrics',
    async () => {
      const { page, errors } = await openPage(suite.browser, `${suite.url}#/run/${runs.evaluation.runId}`);
      const heatmap = page.getByTestId('heatmap');
      await heatmap.waitFor();
      await heatmap.locator(`.heat-cell[data-true="${MISCLASSIFIED_CELL.true}"][data-predicted="${MISCLASSIFIED_CELL.predicted}"]`).click();
      const shown = page.getByTestId('misclassified');
      await expect.poll(() => shown.getAttribute('data-count')).toBe(String(runs.evaluation.cellPaths.length));
      expect(await shown.locator('.card-title').textContent()).toMatch(/^square predicted as triangle/);
      // every thumbnail loaded (decoded PNGs from the dataset folder)
      await expect
        .poll(() => shown.locator('img').evaluateAll((imgs) => imgs.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 48).length))
        .toBe(runs.evaluation.cellPaths.length);
      const metadata = page.getByTestId('checkpoint-metadata').first();
      expect(await metadata.locator('tr', { hasText: 'params' }).locator('td').last().textContent()).toBe('9.23M');
      await page.getByTestId('run-system').waitFor();
      expect(await page.getByTestId('run-system').locator('[data-testid^="run-chart-sys/"]').count()).toBe(3);
      await screenshotPage(page, 'misclassified.png');
      expect(errors).toEqual([]);
      await page.close();
    },
    60_000,
  );
});
