/**
 * What the browser tests read from a drawn chart: its uPlot state (series labels, colours, dashes, visibility,
 * opacity, data, y scale) and its card's data attributes, and how many canvas pixels have a given colour.
 */
import type { Page } from 'playwright-core';

export interface ChartProbe {
  labels: string[];
  strokes: string[];
  dashes: (number[] | null)[];
  shown: boolean[];
  alphas: number[];
  /** uPlot's aligned data: x, then one column per series. */
  data: (number | null | undefined)[][];
  yDistr: number;
  curves: number;
  bands: number;
  markers: number;
  highlight: string;
  log: string;
}

/** The chart whose card has this test id (null while it is not drawn). */
export async function probeChart(page: Page, testId: string): Promise<ChartProbe | null> {
  return page.evaluate((testId) => {
    const card = document.querySelector(`[data-testid="${testId}"]`) as HTMLElement | null;
    const plot = (card?.querySelector('.chart-holder') as (HTMLElement & { __uplot?: any }) | null)?.__uplot;
    if (!card || !plot) return null;
    const series = (plot.series as any[]).slice(1);
    return {
      labels: series.map((s) => s.label as string),
      strokes: series.map((s, i) => String(typeof s.stroke === 'function' ? s.stroke(plot, i + 1) : s.stroke)),
      dashes: series.map((s) => (s.dash ?? null) as number[] | null),
      shown: series.map((s) => s.show as boolean),
      alphas: series.map((s) => (s.alpha ?? 1) as number),
      data: (plot.data as ArrayLike<number | null | undefined>[]).map((c) => Array.from(c)),
      yDistr: plot.scales.y.distr as number,
      curves: Number(card.dataset.curves),
      bands: Number(card.dataset.bands),
      markers: Number(card.dataset.markers),
      highlight: card.dataset.highlight ?? '',
      log: card.dataset.log ?? '',
    };
  }, testId);
}

/** The column of the series with this label in a probe's data. */
export function columnOf(probe: ChartProbe, label: string): (number | null | undefined)[] {
  const index = probe.labels.indexOf(label);
  if (index < 0) throw new Error(`no series '${label}' among ${probe.labels.join(', ')}`);
  return probe.data[index + 1];
}

/** Canvas pixels of a chart within `tolerance` of a colour, with an alpha within `alpha`. */
export async function colorPixels(page: Page, testId: string, hex: string, alpha: [number, number] = [200, 255], tolerance = 30): Promise<number> {
  return page.evaluate(
    ({ testId, hex, alpha, tolerance }) => {
      const canvas = document.querySelector(`[data-testid="${testId}"] .chart-holder canvas`) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] < alpha[0] || data[i + 3] > alpha[1]) continue;
        if (Math.abs(data[i] - r) < tolerance && Math.abs(data[i + 1] - g) < tolerance && Math.abs(data[i + 2] - b) < tolerance) count++;
      }
      return count;
    },
    { testId, hex, alpha, tolerance },
  );
}

/** Page coordinates of a value in a chart (where uPlot draws x, y). */
export async function chartPoint(page: Page, testId: string, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ testId, x, y }) => {
      const plot = (document.querySelector(`[data-testid="${testId}"] .chart-holder`) as HTMLElement & { __uplot?: any }).__uplot;
      const box = plot.over.getBoundingClientRect();
      return { x: box.left + plot.valToPos(x, 'x'), y: box.top + plot.valToPos(y, 'y') };
    },
    { testId, x, y },
  );
}

/** Drags across a chart's plot area from x value `from` to x value `to` (where uPlot draws them). */
export async function dragZoom(page: Page, key: string, from: number, to: number, testIdPrefix = 'chart-'): Promise<void> {
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
