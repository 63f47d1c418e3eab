/**
 * The compare view's lines: one per run, or one per group of runs (grouped by params: the mean with a min–max or
 * ±std band across the group's runs, see grouping.ts), coloured by a hash of the line's key or by the value of a
 * param, dashed by the value of another; and, per metric key, the curves each chart draws. Pure: the page and the
 * bench (bench/dashboard.ts, which times it on the bench store) call the same function.
 */
import type { ParamsDiff, SeriesJson } from './api.ts';
import type { ChartSeries } from './chart-layout.ts';
import { aggregateCurves, groupLabel, groupRuns, type BandKind, type XYCurve } from './grouping.ts';
import { assignColors, assignDashes } from './palette.ts';
import { curve, epochMapper, smooth, type RunSeries } from './series.ts';
import type { XMode } from './x-mode.ts';

/** How the compare view draws its runs: grouped by params (none: a line per run), colour and dash by a param. */
export interface LineStyleChoice {
  groupBy: string[];
  band: BandKind;
  /** '' colours each line by a hash of its key. */
  colorBy: string;
  /** '' draws every line solid. */
  dashBy: string;
}

export const DEFAULT_LINE_STYLE: LineStyleChoice = { groupBy: [], band: 'minmax', colorBy: '', dashBy: '' };

/** One line of the compare view, as its legend lists it. */
export interface CompareLine {
  /** A run id, or a group's id (`group:` + its params' values). */
  id: string;
  label: string;
  color: string;
  dash: readonly number[];
  runIds: string[];
  grouped: boolean;
}

export interface CompareChart {
  key: string;
  series: ChartSeries[];
}

export interface CompareLinesInput {
  runs: readonly { id: string; name: string; startTime: number }[];
  keys: readonly string[];
  /** Whole-run series by run (the epoch axis is mapped from them). */
  data: ReadonlyMap<string, RunSeries>;
  /** What to draw for a run and key: the whole-run series, with a zoom's detail inside its range. */
  seriesOf: (runId: string, key: string) => SeriesJson | undefined;
  xMode: XMode;
  smoothing: number;
  /** A run's param as stored, null where it has none. */
  paramOf: (runId: string, key: string) => string | null;
  style: LineStyleChoice;
}

/** A param lookup from `/api/params`' answer (the params that differ between the compared runs). */
export function paramLookup(diff: ParamsDiff | null): (runId: string, key: string) => string | null {
  const byRun = new Map<string, Map<string, string | null>>();
  diff?.runs.forEach((run, i) => byRun.set(run.id, new Map(diff.params.map((p) => [p.key, p.values[i]]))));
  return (runId, key) => byRun.get(runId)?.get(key) ?? null;
}

/** The value every run of a line has for a param, null when they differ or lack it. */
function sharedValue(runIds: readonly string[], key: string, paramOf: CompareLinesInput['paramOf']): string | null {
  const values = new Set(runIds.map((id) => paramOf(id, key)));
  return values.size === 1 ? [...values][0] : null;
}

/** The lines: per run or per group, with their colours and dashes (see palette.ts for why colours are stable). */
export function compareLineList(input: Pick<CompareLinesInput, 'runs' | 'paramOf' | 'style'>): CompareLine[] {
  const { runs, paramOf, style } = input;
  const grouped = style.groupBy.length > 0;
  const members = grouped
    ? groupRuns(
        runs.map((r) => r.id),
        paramOf,
        style.groupBy,
      ).map((g) => ({ id: g.id, label: groupLabel(g.values), runIds: g.runIds }))
    : runs.map((r) => ({ id: r.id, label: r.name, runIds: [r.id] }));
  const colorKeys = members.map((m) => {
    const value = style.colorBy ? sharedValue(m.runIds, style.colorBy, paramOf) : null;
    return value === null ? m.id : `${style.colorBy}=${value}`;
  });
  const colors = assignColors(colorKeys);
  const dashValues = members.map((m) => (style.dashBy ? sharedValue(m.runIds, style.dashBy, paramOf) : null));
  const dashes = assignDashes(dashValues.filter((v): v is string => v !== null));
  return members.map((m, i) => ({
    ...m,
    color: colors.get(colorKeys[i])!,
    dash: dashValues[i] === null ? [] : dashes.get(dashValues[i]!)!,
    grouped,
  }));
}

/** Each run line's colour, and each run's in a group its group's (for swatches beside run names). */
export function colorsByRun(lines: readonly CompareLine[]): Map<string, string> {
  return new Map(lines.flatMap((line) => line.runIds.map((id) => [id, line.color] as [string, string])));
}

/** The lines, and per metric key the curves its chart draws. */
export function compareLines(input: CompareLinesInput): { lines: CompareLine[]; charts: CompareChart[] } {
  const { runs, keys, data, seriesOf, xMode, smoothing, style } = input;
  const lines = compareLineList(input);
  const byId = new Map(runs.map((r) => [r.id, r]));
  // A run's epoch axis, mapped from all its series: made only when the epoch axis asks for it.
  const mappers = new Map<string, ReturnType<typeof epochMapper>>();
  const toEpochOf = (runId: string) => (step: number, epoch: number | null) => {
    let mapper = mappers.get(runId);
    if (!mapper) mappers.set(runId, (mapper = epochMapper(data.get(runId) ?? new Map())));
    return mapper(step, epoch);
  };
  const runCurve = (runId: string, key: string) => {
    const s = seriesOf(runId, key);
    if (!s || s.step.length === 0) return null;
    return curve(s, xMode, byId.get(runId)!.startTime, toEpochOf(runId));
  };
  const charts = keys.map((key): CompareChart => {
    const series: ChartSeries[] = [];
    for (const line of lines) {
      const look = { id: line.id, color: line.color, dash: line.dash };
      if (!line.grouped) {
        const c = runCurve(line.runIds[0], key);
        if (!c) continue;
        // The faint raw curve is hidden and shown with the smoothed one (pushed next, at index length + 1).
        if (smoothing > 0) series.push({ ...look, label: `${line.label} (raw)`, x: c.x, y: c.y, faint: true, follows: series.length + 1 });
        // Smoothing applies to the line only: the band is the raw extremes of each bucket, there to show the
        // spikes and spread that the line (a bucket's last value, then averaged) hides; smoothing it would hide
        // them again, and an average of minima is not the minimum of anything.
        series.push({ ...look, label: line.label, x: c.x, y: smooth(c.y, smoothing), band: c.band });
        continue;
      }
      const curves = line.runIds.map((id) => runCurve(id, key)).filter((c): c is NonNullable<typeof c> => c !== null);
      if (curves.length === 0) continue;
      // Grouped, each run is smoothed before the mean is taken, so the band is the spread between the runs'
      // (smoothed) curves, not the step-to-step noise of each; the faint curve is the mean of the raw runs.
      const smoothed: XYCurve[] = curves.map((c) => ({ x: c.x, y: smooth(c.y, smoothing) }));
      const agg = aggregateCurves(smoothed, style.band);
      if (agg.x.length === 0) continue;
      const label = `${line.label} (${curves.length} run${curves.length === 1 ? '' : 's'})`;
      if (smoothing > 0) {
        const raw = aggregateCurves(curves, style.band);
        series.push({ ...look, label: `${label} (raw)`, x: raw.x, y: raw.mean, faint: true, follows: series.length + 1 });
      }
      series.push({ ...look, label, x: agg.x, y: agg.mean, band: { lo: agg.lo, hi: agg.hi } });
    }
    return { key, series };
  });
  return { lines, charts };
}
