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

/** A curve's finite points only, as typed arrays. */
function finitePoints(curve: XYCurve): { x: Float64Array; y: Float64Array } {
  let n = 0;
  for (let i = 0; i < curve.x.length; i++) {
    const v = curve.y[i];
    if (typeof v === 'number' && Number.isFinite(v) && Number.isFinite(curve.x[i])) n++;
  }
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < curve.x.length; i++) {
    const v = curve.y[i];
    if (typeof v === 'number' && Number.isFinite(v) && Number.isFinite(curve.x[i])) {
      x[k] = curve.x[i];
      y[k++] = v;
    }
  }
  return { x, y };
}

/**
 * Mean and band of the runs' curves on the union of their x values (see the module's comment for the method). The
 * union is walked as a merge of the runs' own (sorted) x values, with a cursor per run; the spread is accumulated
 * with Welford's update (stable for values far from zero), so no per-x array of values is made.
 */
export function aggregateCurves(curves: readonly XYCurve[], band: BandKind): GroupAggregate {
  const runs = curves.map(finitePoints).filter((c) => c.x.length > 0);
  const out: GroupAggregate = { x: [], mean: [], lo: [], hi: [], count: [] };
  // Per run, the index of its first point not yet passed: x[at - 1] < u <= x[at] for the current x u.
  const at = new Int32Array(runs.length);
  for (;;) {
    let u = Infinity;
    for (let r = 0; r < runs.length; r++) if (at[r] < runs[r].x.length && runs[r].x[at[r]] < u) u = runs[r].x[at[r]];
    if (u === Infinity) break;
    let count = 0;
    let mean = 0;
    let m2 = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < runs.length; r++) {
      const { x, y } = runs[r];
      const i = at[r];
      let v: number;
      if (i < x.length && x[i] === u) {
        v = y[i];
        at[r] = i + 1;
      } else if (i > 0 && i < x.length) {
        v = y[i - 1] + ((y[i] - y[i - 1]) * (u - x[i - 1])) / (x[i] - x[i - 1]);
      } else {
        continue; // before the run's first point or past its last: no extrapolation
      }
      count++;
      const delta = v - mean;
      mean += delta / count;
      m2 += delta * (v - mean);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    out.x.push(u);
    out.mean.push(mean);
    out.count.push(count);
    if (band === 'minmax') {
      out.lo.push(min);
      out.hi.push(max);
    } else {
      // sample standard deviation (n − 1): the runs are a sample of seeds; 0 for one run
      const sd = count > 1 ? Math.sqrt(m2 / (count - 1)) : 0;
      out.lo.push(mean - sd);
      out.hi.push(mean + sd);
    }
  }
  return out;
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
