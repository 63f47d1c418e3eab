/**
 * Params vs metric across runs (how a sweep is read): one point per run, x a param, y a summary of a metric,
 * coloured by status or by another param. The pure parts: which value summarises a metric, what kind of x axis a
 * param's values want, and the points (runs missing either value are skipped and counted).
 */
import type { ParamMetricRow, WireRunStatus } from '../wire/api-json.ts';
import { RUN_COLORS } from './format.ts';
import { hashString } from './palette.ts';

/** One run as `/api/param-metric` returns it: params as stored (strings), the metric's latest/min/max. */
export type ScatterRow = ParamMetricRow;

/** `best` is the min of a loss-like key and the max of any other (accuracy-like) key. */
export type MetricSummary = 'best' | 'last' | 'min' | 'max';

/** Keys where lower is better: losses, errors, perplexity, durations. */
const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplexity|ppl|nll|wer|cer|time|latency|duration/i;

export function lowerIsBetter(key: string): boolean {
  return LOWER_IS_BETTER.test(key);
}

/** The min/max a summary reads for a key (`best` resolved), for labels: `best` of val/loss is `min`. */
export function resolvedSummary(summary: MetricSummary, key: string): 'last' | 'min' | 'max' {
  if (summary !== 'best') return summary;
  return lowerIsBetter(key) ? 'min' : 'max';
}

const finite = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The run's summary of the metric, null when it has none (no point, or only NaN/±Infinity). */
export function summaryOf(row: Pick<ScatterRow, 'last' | 'min' | 'max'>, summary: MetricSummary, key: string): number | null {
  return finite(row[resolvedSummary(summary, key)]);
}

export type ScaleChoice = 'auto' | 'linear' | 'log';

export type XAxis =
  | { kind: 'linear' }
  | { kind: 'log' }
  | { kind: 'category'; categories: string[] };

/** A stored param as a number, or null when it is not one ('' and 'true' are not numbers). */
export function paramNumber(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Numeric values spanning at least this ratio go on a log axis under `auto` (1e-4..1e-2 does; 16..64 does not). */
export const AUTO_LOG_RATIO = 100;

/**
 * The x axis for a param's values (nulls ignored): numeric when every value is a number, on a log axis when asked
 * (or, under `auto`, when they are all positive and span AUTO_LOG_RATIO or more), linear otherwise (log is refused
 * for values <= 0: `logRefused`); categorical when any value is not a number, categories in natural order.
 */
export function chooseXAxis(values: readonly (string | null)[], choice: ScaleChoice): XAxis & { logRefused?: boolean } {
  const present = values.filter((v): v is string => v !== null);
  const numbers = present.map(paramNumber);
  if (present.length === 0 || numbers.some((n) => n === null)) {
    const categories = [...new Set(present)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    return { kind: 'category', categories };
  }
  const nums = numbers as number[];
  const positive = nums.every((n) => n > 0);
  if (choice === 'log') return positive ? { kind: 'log' } : { kind: 'linear', logRefused: true };
  if (choice === 'linear') return { kind: 'linear' };
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return positive && hi / lo >= AUTO_LOG_RATIO ? { kind: 'log' } : { kind: 'linear' };
}

/** Status colours of the page (styles.css), in the order the legend lists them. A status not listed here (a newer
 * store's) gets a group of its own in OTHER_COLOR. */
export const STATUS_COLORS: Readonly<Record<string, string>> = {
  running: '#2f6fdb',
  finished: '#2e7d32',
  failed: '#c62828',
  crashed: '#d84315',
  killed: '#8d6e63',
};
/** Colour of param values past the palette, and of runs without the colour param. */
export const OTHER_COLOR = '#9ca3af';

export interface ScatterPoint {
  runId: string;
  name: string;
  status: WireRunStatus;
  /** Position on the x axis (a category's index plus a small per-run jitter on categorical axes). */
  x: number;
  y: number;
  /** The param's value as stored. */
  xText: string;
  group: number;
}

export interface ColorGroup {
  label: string;
  color: string;
  count: number;
}

export interface ScatterPoints {
  axis: XAxis & { logRefused?: boolean };
  points: ScatterPoint[];
  groups: ColorGroup[];
  /** Runs without the x param, and runs with it but without the metric summary (a run is counted once). */
  missingX: number;
  missingY: number;
}

/** Half the width of the band a category's points spread over (1 = the distance between categories). */
export const CATEGORY_JITTER = 0.18;

/** A deterministic offset in [-1, 1] from a run id, so a category's points stay put between redraws. */
export function jitterOf(id: string): number {
  return (hashString(id) / 4294967295) * 2 - 1;
}

/**
 * One point per run that has both the x param and the metric summary, the others counted; the axis is chosen
 * from the plotted runs' values. Colours: by status, or by the colour param's values (natural order; past the
 * palette, and runs without the param, grey).
 */
export function buildScatter(
  rows: readonly ScatterRow[],
  options: { yKey: string; summary: MetricSummary; scale: ScaleChoice; colorBy: 'status' | 'param' },
): ScatterPoints {
  let missingX = 0;
  let missingY = 0;
  const kept: { row: ScatterRow; y: number }[] = [];
  for (const row of rows) {
    if (row.x === null) {
      missingX++;
      continue;
    }
    const y = summaryOf(row, options.summary, options.yKey);
    if (y === null) {
      missingY++;
      continue;
    }
    kept.push({ row, y });
  }
  const axis = chooseXAxis(
    kept.map(({ row }) => row.x),
    options.scale,
  );
  const groups: ColorGroup[] = [];
  const groupOf = new Map<string, number>();
  if (options.colorBy === 'status') {
    for (const [status, color] of Object.entries(STATUS_COLORS)) {
      groupOf.set(status, groups.length);
      groups.push({ label: status, color, count: 0 });
    }
    for (const { row } of kept) {
      if (groupOf.has(row.status)) continue;
      groupOf.set(row.status, groups.length);
      groups.push({ label: row.status, color: OTHER_COLOR, count: 0 });
    }
  } else {
    const values = [...new Set(kept.map(({ row }) => row.color).filter((v): v is string => v !== null))].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true }),
    );
    const shown = values.length > RUN_COLORS.length ? RUN_COLORS.length - 1 : values.length;
    values.slice(0, shown).forEach((value, i) => {
      groupOf.set(value, groups.length);
      groups.push({ label: value, color: RUN_COLORS[i], count: 0 });
    });
    if (shown < values.length) {
      for (const value of values.slice(shown)) groupOf.set(value, groups.length);
      groups.push({ label: `${values.length - shown} other values`, color: OTHER_COLOR, count: 0 });
    }
  }
  let noneGroup = -1;
  const points = kept.map(({ row, y }): ScatterPoint => {
    const x =
      axis.kind === 'category' ? axis.categories.indexOf(row.x!) + CATEGORY_JITTER * jitterOf(row.id) : paramNumber(row.x)!;
    const key = options.colorBy === 'status' ? row.status : row.color;
    let group = key === null ? undefined : groupOf.get(key);
    if (group === undefined) {
      if (noneGroup < 0) {
        noneGroup = groups.length;
        groups.push({ label: '(none)', color: OTHER_COLOR, count: 0 });
      }
      group = noneGroup;
    }
    groups[group].count++;
    return { runId: row.id, name: row.name, status: row.status, x, y, xText: row.x!, group };
  });
  return { axis, points, groups, missingX, missingY };
}

/**
 * uPlot's aligned data for the points: x ascending in column 0, then one column per colour group (the point's y at
 * its row, null elsewhere), so every group is a points-only series. `order[i]` is the point drawn at row i.
 */
export function scatterColumns(scatter: ScatterPoints): { data: (number | null)[][]; order: number[] } {
  const order = scatter.points.map((_, i) => i).sort((a, b) => scatter.points[a].x - scatter.points[b].x);
  const xs = order.map((i) => scatter.points[i].x);
  const columns = scatter.groups.map((_, g) => order.map((i) => (scatter.points[i].group === g ? scatter.points[i].y : null)));
  return { data: [xs, ...columns], order };
}

/** Share of the data's span added on each side of an axis, so points at the extremes are not cut by the edge. */
export const AXIS_PADDING = 0.06;

/**
 * The [min, max] an axis shows for these values, padded by AXIS_PADDING of their span (in log10 space on a log
 * axis); a single value gets a span around itself. null without values.
 */
export function paddedRange(values: readonly number[], log: boolean): [number, number] | null {
  const finiteValues = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finiteValues.length === 0) return null;
  const t = log ? Math.log10 : (v: number) => v;
  const lo = t(Math.min(...finiteValues));
  const hi = t(Math.max(...finiteValues));
  const span = hi > lo ? hi - lo : log ? 1 : Math.abs(hi) > 0 ? Math.abs(hi) * 0.2 : 1;
  const pad = hi > lo ? span * AXIS_PADDING : span / 2;
  const back = (v: number) => (log ? 10 ** v : v);
  return [back(lo - pad), back(hi + pad)];
}
