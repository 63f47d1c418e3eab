/**
 * Parallel coordinates over a sweep (pure): one vertical axis per param that varies and one for a metric, one line per
 * run through its values. Numeric params get a linear or log axis (log when every value is positive and they span
 * 100x, as learning rates do), text params one slot per value; a run without a value sits in a slot below the axis.
 * A brush on an axis (a range of its height) keeps the runs whose value lies in it, and becomes a `brush` of the run
 * list, so the table shows the same runs.
 */
import type { Brush } from '../wire/brush.ts';
import type { ParamSpaceJson } from '../wire/compare-json.ts';
import { chooseXAxis, lowerIsBetter, paramNumber, resolvedSummary, type MetricSummary } from './param-scatter.ts';

/** Where a run without a value on an axis is drawn (below the axis, which spans 0..1). */
export const MISSING_POSITION = -0.1;

export interface ParallelAxis {
  key: string;
  kind: 'param' | 'metric';
  scale: 'linear' | 'log' | 'category';
  /** Category names bottom to top (category axes). */
  categories: string[];
  /** The values at the bottom and top of a numeric axis. */
  min: number;
  max: number;
  label: string;
}

export interface ParallelLine {
  runId: string;
  name: string;
  /** Position on each axis, 0 (bottom) .. 1 (top), or MISSING_POSITION. */
  positions: number[];
  /** The metric's summary, null when the run has none. */
  metric: number | null;
}

export interface ParallelData {
  axes: ParallelAxis[];
  lines: ParallelLine[];
  /** For colouring: the metric's worst and best values among the lines. */
  metricRange: { worst: number; best: number } | null;
}

/** A brush as the panel keeps it: an axis and a range of its height (0..1, low <= high). */
export interface AxisBrush {
  key: string;
  low: number;
  high: number;
}

/** Most param axes drawn (the varying params, in their order). */
export const MAX_PARAM_AXES = 12;

/** A run's summary of the metric, as the panel and its importance table read it. */
export function metricOf(row: { last: number | null; min: number | null; max: number | null }, summary: MetricSummary, key: string): number | null {
  const field = resolvedSummary(summary, key);
  return row[field];
}

function numericAxis(key: string, values: readonly number[], kind: 'param' | 'metric', label: string): ParallelAxis {
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const log = kind === 'param' && chooseXAxis(values.map(String), 'auto').kind === 'log';
  return { key, kind, scale: log ? 'log' : 'linear', categories: [], min: lo, max: hi, label };
}

/** Position of a value on an axis (0..1), or MISSING_POSITION when it is not on the axis. */
export function positionOn(axis: ParallelAxis, value: string | number | null | undefined): number {
  if (value === null || value === undefined) return MISSING_POSITION;
  if (axis.scale === 'category') {
    const i = axis.categories.indexOf(String(value));
    return i < 0 ? MISSING_POSITION : (i + 0.5) / axis.categories.length;
  }
  const v = typeof value === 'number' ? value : paramNumber(value);
  if (v === null) return MISSING_POSITION;
  if (axis.max === axis.min) return 0.5;
  if (axis.scale === 'log') return (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  return (v - axis.min) / (axis.max - axis.min);
}

/** The value at a position of a numeric axis. */
export function valueAt(axis: ParallelAxis, position: number): number {
  if (axis.max === axis.min) return axis.min;
  if (axis.scale === 'log') return 10 ** (Math.log10(axis.min) + position * (Math.log10(axis.max) - Math.log10(axis.min)));
  return axis.min + position * (axis.max - axis.min);
}

export function buildParallel(space: ParamSpaceJson, summary: MetricSummary): ParallelData {
  const axes: ParallelAxis[] = space.varying.slice(0, MAX_PARAM_AXES).map((key) => {
    const values = space.runs.map((r) => r.params[key]).filter((v): v is string => v !== undefined);
    const chosen = chooseXAxis(values, 'auto');
    if (chosen.kind === 'category') return { key, kind: 'param', scale: 'category', categories: chosen.categories, min: 0, max: 1, label: key };
    return numericAxis(key, values.map(Number), 'param', key);
  });
  const metrics = space.runs.map((r) => metricOf(r, summary, space.metric));
  const present = metrics.filter((m): m is number => m !== null);
  const metricLabel = `${summary === 'best' ? `best (${resolvedSummary('best', space.metric)})` : summary} ${space.metric}`;
  axes.push(numericAxis(space.metric, present, 'metric', metricLabel));
  const lines = space.runs.map((run, i): ParallelLine => ({
    runId: run.id,
    name: run.name,
    metric: metrics[i]!,
    positions: axes.map((axis) => positionOn(axis, axis.kind === 'metric' ? metrics[i] : run.params[axis.key])),
  }));
  const lower = summary === 'last' ? lowerIsBetter(space.metric) : resolvedSummary(summary, space.metric) === 'min';
  const metricRange = present.length
    ? { worst: lower ? Math.max(...present) : Math.min(...present), best: lower ? Math.min(...present) : Math.max(...present) }
    : null;
  return { axes, lines, metricRange };
}

/** True when the line lies inside every brush. */
export function passesBrushes(data: ParallelData, line: ParallelLine, brushes: readonly AxisBrush[]): boolean {
  return brushes.every((b) => {
    const a = data.axes.findIndex((axis) => axis.key === b.key);
    if (a < 0) return true;
    const p = line.positions[a]!;
    return p !== MISSING_POSITION && p >= b.low - 1e-9 && p <= b.high + 1e-9;
  });
}

/**
 * A panel brush as the run list's brush: a numeric param's value range, a text param's values inside the range, or a
 * range of the metric's latest/min/max. null when the axis is not drawn.
 */
export function toListBrush(data: ParallelData, brush: AxisBrush, summary: MetricSummary, metricKey: string): Brush | null {
  const axis = data.axes.find((a) => a.key === brush.key);
  if (!axis) return null;
  if (axis.kind === 'metric') {
    const field = resolvedSummary(summary, metricKey);
    return { metric: metricKey, of: field === 'last' ? 'latest' : field, min: valueAt(axis, brush.low), max: valueAt(axis, brush.high) };
  }
  if (axis.scale === 'category') {
    const values = axis.categories.filter((_, i) => {
      const p = (i + 0.5) / axis.categories.length;
      return p >= brush.low && p <= brush.high;
    });
    return { param: axis.key, values };
  }
  return { param: axis.key, min: valueAt(axis, brush.low), max: valueAt(axis, brush.high) };
}

/** A colour from red (worst) through yellow to green (best) for a metric value (ColorBrewer RdYlGn ends). */
export function metricColor(value: number | null, range: ParallelData['metricRange']): string {
  if (value === null || range === null) return '#9ca3af';
  const t = range.best === range.worst ? 1 : Math.max(0, Math.min(1, (value - range.worst) / (range.best - range.worst)));
  const stops: [number, number, number][] = [
    [215, 48, 39],
    [254, 224, 139],
    [26, 152, 80],
  ];
  const [a, b, u] = t < 0.5 ? [stops[0]!, stops[1]!, t * 2] : [stops[1]!, stops[2]!, (t - 0.5) * 2];
  const mix = a.map((c, i) => Math.round(c + (b[i]! - c) * u));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}
