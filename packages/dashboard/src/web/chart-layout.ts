/**
 * How a chart's curves become uPlot columns: every line, and for a downsampled curve two more columns (the upper
 * and lower edge of its min/max band). Band columns come first so uPlot, which draws series in order, paints
 * every band under every line.
 */
import uPlot from 'uplot';
import type { Band } from './series.ts';

export interface ChartSeries {
  label: string;
  color: string;
  /** The line this curve draws (a run id or a group's id; a faint raw curve has its line's): what the shared legend
   * hides and the pointer highlights in every chart. */
  id?: string;
  /** Dash pattern (CSS px on, off, …); solid without. */
  dash?: readonly number[];
  x: number[];
  y: (number | null)[];
  /** Drawn thin and faint (the raw curve behind a smoothed one). */
  faint?: boolean;
  /** Index (in the same list) of the curve this one is hidden and shown with: a raw curve follows its smoothed one. */
  follows?: number;
  /** Min/max of each point's bucket, aligned with x: drawn as a translucent band in the curve's colour. */
  band?: Band;
}

/** Band fill opacity, as the hex alpha appended to the curve's `#rrggbb` colour (0x33: 20%). */
export const BAND_ALPHA_HEX = '33';

/**
 * How every axis of the page's charts looks (line charts and the params scatter alike). A function: each axis
 * gets its own grid and ticks objects, which uPlot may fill in.
 */
export function axisStyle(): Pick<uPlot.Axis, 'font' | 'stroke' | 'grid' | 'ticks'> {
  return {
    font: '11px system-ui, sans-serif',
    stroke: '#6b7280',
    grid: { stroke: '#eef0f3', width: 1 },
    ticks: { stroke: '#e5e7eb', width: 1 },
  };
}

/** What one uPlot series (after the x column) draws, and for which of the chart's curves. */
export interface LayoutColumn {
  kind: 'line' | 'band-hi' | 'band-lo';
  /** Index into the curves given to chartLayout. */
  owner: number;
}

export interface ChartLayout {
  /** x, then one column per entry of `columns`. */
  data: uPlot.AlignedData;
  /** columns[i] is uPlot series i + 1. */
  columns: LayoutColumn[];
  /** uPlot bands: upper and lower edge series indices, and the fill. */
  bands: { series: [number, number]; fill: string }[];
  /** uPlot series index of a line -> series indices hidden and shown with it (by the view's legend): its band edges
   * and the curves that follow it. */
  followers: Map<number, number[]>;
  /** uPlot series index of a line -> its band's [upper, lower] edge series indices. */
  edgesOf: Map<number, [number, number]>;
}

export function bandFill(color: string): string {
  return `${color}${BAND_ALPHA_HEX}`;
}

export function chartLayout(curves: readonly ChartSeries[]): ChartLayout {
  if (curves.length === 0) return { data: [[]], columns: [], bands: [], followers: new Map(), edgesOf: new Map() };
  const tables = curves.map((c): uPlot.AlignedData => {
    if (c.band && (c.band.hi.length !== c.x.length || c.band.lo.length !== c.x.length)) {
      throw new Error(`band of '${c.label}' has ${c.band.lo.length}/${c.band.hi.length} bounds for ${c.x.length} points`);
    }
    return c.band ? [c.x, c.y, c.band.hi, c.band.lo] : [c.x, c.y];
  });
  // One shared x column; a curve's value is undefined at another curve's x (uPlot joins over it) and null
  // where the curve itself has a gap.
  const joined = uPlot.join(tables);
  const lineColumn: number[] = [];
  const bandColumns: [number, number][] = [];
  let next = 1;
  curves.forEach((c, k) => {
    lineColumn[k] = next;
    if (c.band) bandColumns[k] = [next + 1, next + 2];
    next += c.band ? 3 : 1;
  });

  const data: uPlot.AlignedData[number][] = [joined[0]];
  const columns: LayoutColumn[] = [];
  const bands: ChartLayout['bands'] = [];
  const bandIndex = new Map<number, [number, number]>();
  curves.forEach((c, k) => {
    if (!bandColumns[k]) return;
    const [hi, lo] = bandColumns[k];
    data.push(joined[hi], joined[lo]);
    columns.push({ kind: 'band-hi', owner: k }, { kind: 'band-lo', owner: k });
    const upper = columns.length - 1; // series index of band-hi (columns[i] is series i + 1)
    bands.push({ series: [upper, upper + 1], fill: bandFill(c.color) });
    bandIndex.set(k, [upper, upper + 1]);
  });
  const lineSeries: number[] = [];
  curves.forEach((c, k) => {
    data.push(joined[lineColumn[k]]);
    columns.push({ kind: 'line', owner: k });
    lineSeries[k] = columns.length;
  });
  const followers = new Map<number, number[]>();
  const follow = (leader: number, indices: number[]) => followers.set(leader, [...(followers.get(leader) ?? []), ...indices]);
  const edgesOf = new Map<number, [number, number]>();
  for (const [k, edges] of bandIndex) {
    edgesOf.set(lineSeries[k], edges);
    follow(lineSeries[k], edges);
  }
  curves.forEach((c, k) => {
    if (c.follows !== undefined) {
      if (!Number.isInteger(c.follows) || c.follows < 0 || c.follows >= curves.length || c.follows === k) {
        throw new Error(`'${c.label}' follows curve ${c.follows}, which is not another curve of this chart`);
      }
      follow(lineSeries[c.follows], [lineSeries[k]]);
    }
  });
  return { data: data as uPlot.AlignedData, columns, bands, followers, edgesOf };
}
