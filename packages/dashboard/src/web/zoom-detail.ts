/**
 * Zoom detail: a zoomed compare view asks `/api/metrics` again for the step range it shows, at the same bucket
 * count, so the charts show the stored detail of that range rather than the whole run's buckets magnified (a 10%
 * zoom of a downsampled run would otherwise show a tenth of its buckets). Inside the range the charts draw the
 * detail; outside it (the curve's continuation past the chart's edges, and points that arrive live after the
 * detail was read) they draw the whole-run series.
 */
import type { SeriesJson } from './api.ts';
import type { XMode } from './x-mode.ts';
import { xOf, type RunSeries } from './series.ts';
import type { XRange } from './zoom-group.ts';

/** Wait this long after the last zoom before asking (a user often zooms twice in a row). */
export const DETAIL_DEBOUNCE_MS = 200;

/** Both ends inclusive, integers (what `/api/metrics` takes as stepMin and stepMax). */
export interface StepRange {
  stepMin: number;
  stepMax: number;
}

/**
 * The steps of one run that an x range shows. On the step axis that is the range itself (widened to integers).
 * On the epoch and time axes x grows with the step, so the range is read from the loaded columns: each key bounds it
 * by its last point at or before the range's left edge and its first point at or after the right edge, and the
 * tightest bounds win (a key logged once per epoch would widen the range to whole epochs). Without a bound on a side,
 * the run's first or last point. null when the run has no point with an x on that axis.
 */
export function stepRangeOfX(
  runSeries: RunSeries,
  range: XRange,
  xMode: XMode,
  runStart: number,
  toEpoch: (step: number, epoch: number | null) => number | null,
): StepRange | null {
  if (xMode === 'step') return { stepMin: Math.floor(range.min), stepMax: Math.ceil(range.max) };
  let first = Infinity;
  let last = -Infinity;
  let lower = -Infinity;
  let upper = Infinity;
  for (const series of runSeries.values()) {
    let before: number | null = null;
    let after: number | null = null;
    for (let i = 0; i < series.step.length; i++) {
      const x = xOf(series, i, xMode, runStart, toEpoch);
      if (x === null || !Number.isFinite(x)) continue;
      const step = series.step[i];
      first = Math.min(first, step);
      last = Math.max(last, step);
      if (x <= range.min) before = step;
      if (x >= range.max && after === null) after = step;
    }
    if (before !== null) lower = Math.max(lower, before);
    if (after !== null) upper = Math.min(upper, after);
  }
  if (first > last) return null;
  const stepMin = Number.isFinite(lower) ? lower : first;
  const stepMax = Number.isFinite(upper) ? upper : last;
  // Keys whose x disagree (timestamps of a resumed run): the whole run rather than a range that shows nothing.
  return stepMin <= stepMax ? { stepMin, stepMax } : { stepMin: first, stepMax: last };
}

/**
 * Whether asking for the range can show more than the run's loaded series already do: some series is downsampled
 * and the range leaves part of it out (a range over a whole series would get the same buckets back).
 */
export function detailWanted(runSeries: RunSeries, range: StepRange): boolean {
  for (const series of runSeries.values()) {
    const n = series.step.length;
    if (!series.downsampled || n === 0) continue;
    if (range.stepMin > series.step[0] || range.stepMax < series.step[n - 1]) return true;
  }
  return false;
}

/**
 * Whether detail already loaded for `loadedRanges` holds every stored point of the new `ranges`: each run's new
 * range lies within its loaded one and none of its loaded series was downsampled (zooming further into raw points
 * has nothing more to ask for).
 */
export function detailCovers(
  loadedRanges: ReadonlyMap<string, StepRange>,
  loadedSeries: ReadonlyMap<string, RunSeries>,
  ranges: ReadonlyMap<string, StepRange>,
): boolean {
  for (const [runId, range] of ranges) {
    const loaded = loadedRanges.get(runId);
    const series = loadedSeries.get(runId);
    if (!loaded || !series || range.stepMin < loaded.stepMin || range.stepMax > loaded.stepMax) return false;
    for (const s of series.values()) if (s.downsampled) return false;
  }
  return true;
}

/** One `/api/metrics` call per distinct range (on the step axis every run shares one), runs in the given order. */
export function detailRequests(ranges: ReadonlyMap<string, StepRange>): { runIds: string[]; range: StepRange }[] {
  const byRange = new Map<string, { runIds: string[]; range: StepRange }>();
  for (const [runId, range] of ranges) {
    const key = `${range.stepMin}:${range.stepMax}`;
    const request = byRange.get(key);
    if (request) request.runIds.push(runId);
    else byRange.set(key, { runIds: [runId], range: { ...range } });
  }
  return [...byRange.values()];
}

/**
 * The series a zoomed chart draws: the whole-run series before the range, the detail read for the range, then the
 * whole-run series after the detail's last step (past the range, and points appended live since the detail was
 * read, which only the whole-run series receives). When either is downsampled the result carries min/max for
 * every point (a point that stands for itself has its value as both), so the chart keeps its band.
 */
export function withDetail(overview: SeriesJson, detail: SeriesJson, range: StepRange): SeriesJson {
  const banded = overview.downsampled || detail.downsampled;
  const out: SeriesJson = {
    runId: overview.runId,
    key: overview.key,
    totalPoints: overview.totalPoints,
    downsampled: banded,
    step: [],
    epoch: [],
    timestamp: [],
    value: [],
  };
  const min: (number | null)[] = [];
  const max: (number | null)[] = [];
  const push = (from: SeriesJson, i: number) => {
    out.step.push(from.step[i]);
    out.epoch.push(from.epoch[i]);
    out.timestamp.push(from.timestamp[i]);
    out.value.push(from.value[i]);
    if (!banded) return;
    const bucket = from.downsampled && from.min && from.max && i < from.min.length && i < from.max.length;
    min.push(bucket ? from.min![i] : from.value[i]);
    max.push(bucket ? from.max![i] : from.value[i]);
  };
  const cut = detail.step.length > 0 ? detail.step[detail.step.length - 1] : range.stepMin - 1;
  for (let i = 0; i < overview.step.length && overview.step[i] < range.stepMin; i++) push(overview, i);
  for (let i = 0; i < detail.step.length; i++) push(detail, i);
  for (let i = 0; i < overview.step.length; i++) if (overview.step[i] > cut) push(overview, i);
  if (banded) {
    out.min = min;
    out.max = max;
  }
  return out;
}
