/**
 * What a chart reads under the cursor, on uPlot's joined columns (one shared x column; a curve's value is
 * `undefined` at another curve's x, `null` where the curve itself has a gap): each curve's own nearest point by x
 * distance (uPlot's default picks the nearest by index in the joined columns, which can be far in x when other
 * curves are dense), the tooltip's rows sorted by value, and the points drawn as markers because no line reaches them.
 */

/**
 * Index of the curve's own point nearest in x to `xValue` (`cursorIdx`: the joined index nearest to it). A curve
 * that has points on both sides of the cursor always answers; outside its first..last point it answers only when
 * its nearest point is within `maxOutside` (x units), so a run that ended long before the cursor is not listed with
 * a stale value. Entries that are `undefined` (another curve's x) are skipped; a `null` (the curve's own gap, a
 * NaN) is a point, read as "no value".
 */
export function nearestOwnPoint(
  xs: ArrayLike<number>,
  ys: ArrayLike<number | null | undefined>,
  cursorIdx: number,
  xValue: number,
  maxOutside: number,
): number | null {
  if (cursorIdx < 0 || cursorIdx >= xs.length) return null;
  let left = -1;
  for (let j = cursorIdx; j >= 0; j--) {
    if (ys[j] !== undefined) {
      left = j;
      break;
    }
  }
  let right = -1;
  for (let j = left === cursorIdx ? cursorIdx : cursorIdx + 1; j < xs.length; j++) {
    if (ys[j] !== undefined) {
      right = j;
      break;
    }
  }
  if (left >= 0 && right >= 0) return Math.abs(xs[left] - xValue) <= Math.abs(xs[right] - xValue) ? left : right;
  const only = left >= 0 ? left : right;
  if (only < 0) return null;
  return Math.abs(xs[only] - xValue) <= maxOutside ? only : null;
}

/** One line of a chart under the cursor. */
export interface CursorRow {
  /** The line's identity (a run id or a group's id). */
  id: string;
  label: string;
  color: string;
  /** Its value at its own nearest point; null when that point has no finite value. */
  value: number | null;
  /** The x of that point (each line's own step, time, …). */
  x: number;
  /** The band at that point (a bucket's min–max, or a group's band). */
  lo?: number | null;
  hi?: number | null;
}

/** Rows by value, highest first (the order the lines are stacked in the chart); rows without a value last. */
export function sortRowsByValue(rows: readonly CursorRow[]): CursorRow[] {
  return [...rows].sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === null ? (b.value === null ? 0 : 1) : -1;
    return b.value - a.value || a.label.localeCompare(b.label);
  });
}

/**
 * Indices of the points no line segment reaches, drawn as markers: a curve of a single point (a 1-epoch run's
 * validation, a live run's first one), or, where gaps break the line (`spanGaps` false), a point whose neighbours
 * are gaps. `undefined` entries (other curves' x) never break a line; `null` ones do only without `spanGaps`.
 */
export function isolatedPoints(ys: ArrayLike<number | null | undefined>, spanGaps: boolean): number[] {
  const out: number[] = [];
  // Along the curve's own entries: a point is isolated when the entries before and after it (skipping gaps when
  // they are spanned) are not points.
  let previous: 'point' | 'gap' | 'none' = 'none';
  let pending = -1;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === undefined) continue;
    const isPoint = typeof y === 'number' && Number.isFinite(y);
    if (!isPoint && spanGaps) continue;
    if (isPoint) {
      if (pending >= 0) pending = -1;
      else if (previous !== 'point') pending = i;
      previous = 'point';
    } else {
      if (pending >= 0) out.push(pending);
      pending = -1;
      previous = 'gap';
    }
  }
  if (pending >= 0) out.push(pending);
  return out;
}
