/**
 * Grouping runs by params (several seeds of one config read as one line): which runs form a group, and the group's
 * mean curve with a band (min–max, or mean ± one standard deviation) across its runs.
 *
 * How curves that were logged at different steps are aligned: the group's x values are the union of its runs' x
 * values (each run's own points, on the chosen x axis). At each of them a run contributes its own value where it has
 * a point there, and otherwise the linear interpolation between its two neighbouring points; a run contributes
 * nothing outside its own first..last point (no extrapolation: a run that stopped early, or started logging late,
 * leaves the mean to the runs that cover that x, and `count` says how many did). Points whose value is not finite
 * (NaN, ±Infinity, sent as null) are left out of a run before this, so a run that diverged stops contributing where
 * its finite values end.
 */

export type BandKind = 'minmax' | 'std';

/** A run's curve on the chart's x axis: x strictly increasing. */
export interface XYCurve {
  x: readonly number[];
  y: readonly (number | null)[];
}

export interface GroupAggregate {
  x: number[];
  /** Mean across the runs that cover each x. */
  mean: number[];
  /** Band edges: min and max, or mean ∓ one sample standard deviation (0 where one run covers x). */
  lo: number[];
  hi: number[];
  /** Runs that cover each x. */
  count: number[];
}

/** A curve's finite points only. */
function finitePoints(curve: XYCurve): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < curve.x.length; i++) {
    const v = curve.y[i];
    if (typeof v === 'number' && Number.isFinite(v) && Number.isFinite(curve.x[i])) {
      x.push(curve.x[i]);
      y.push(v);
    }
  }
  return { x, y };
}

/** The sorted union of the curves' x values. */
function unionOfX(curves: readonly { x: number[] }[]): number[] {
  const all = curves.flatMap((c) => c.x).sort((a, b) => a - b);
  return all.filter((v, i) => i === 0 || v !== all[i - 1]);
}

/** Mean and band of the runs' curves on the union of their x values (see the module's comment for the method). */
export function aggregateCurves(curves: readonly XYCurve[], band: BandKind): GroupAggregate {
  const runs = curves.map(finitePoints).filter((c) => c.x.length > 0);
  const x = unionOfX(runs);
  const out: GroupAggregate = { x: [], mean: [], lo: [], hi: [], count: [] };
  // Per run, the index of its last point at or before the current x (x only grows, so this only moves forward).
  const at = runs.map(() => 0);
  const values: number[] = [];
  for (const u of x) {
    values.length = 0;
    runs.forEach((run, r) => {
      const n = run.x.length;
      if (u < run.x[0] || u > run.x[n - 1]) return;
      let j = at[r];
      while (j + 1 < n && run.x[j + 1] <= u) j++;
      at[r] = j;
      if (run.x[j] === u) values.push(run.y[j]);
      else values.push(run.y[j] + ((run.y[j + 1] - run.y[j]) * (u - run.x[j])) / (run.x[j + 1] - run.x[j]));
    });
    if (values.length === 0) continue;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / values.length;
    out.x.push(u);
    out.mean.push(mean);
    out.count.push(values.length);
    if (band === 'minmax') {
      out.lo.push(min);
      out.hi.push(max);
    } else {
      const sd = sampleStd(values, mean);
      out.lo.push(mean - sd);
      out.hi.push(mean + sd);
    }
  }
  return out;
}

/** Sample standard deviation (n − 1 in the denominator: the runs are a sample of seeds); 0 for one value. */
export function sampleStd(values: readonly number[], mean: number): number {
  if (values.length < 2) return 0;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

export interface RunGroup {
  /** Stable identity of the group: its params' values (`group:` + JSON), the same across charts and reloads. */
  id: string;
  /** The group-by params' values, in the order of the params; null where the runs do not have the param. */
  values: (string | null)[];
  /** Its runs, in the order they were given. */
  runIds: string[];
}

/** Runs grouped by the values of the given params, groups in the order of their first run. */
export function groupRuns(
  runIds: readonly string[],
  paramOf: (runId: string, key: string) => string | null,
  groupBy: readonly string[],
): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const runId of runIds) {
    const values = groupBy.map((key) => paramOf(runId, key));
    const id = `group:${JSON.stringify(values)}`;
    const group = groups.get(id);
    if (group) group.runIds.push(runId);
    else groups.set(id, { id, values, runIds: [runId] });
  }
  return [...groups.values()];
}

/** A group's name: its params' values, `–` for a missing one (`vgg11 · adam`). */
export function groupLabel(values: readonly (string | null)[]): string {
  return values.map((v) => v ?? '–').join(' · ');
}
