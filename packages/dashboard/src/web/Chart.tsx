/**
 * A uPlot line chart that follows its container's width and redraws in place when only the data changes.
 * Downsampled curves (and groups) get a band; charts given the same ZoomGroup zoom their x axis together, charts
 * given the same LineHighlight highlight the line the pointer is on. A point no line segment reaches is drawn as a
 * marker. The y axis can be put on a log scale (kept per metric key). Under the pointer a tooltip lists every line's
 * value at its own nearest point, sorted by value (chart-tooltip.ts); the view's one legend replaces uPlot's.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisStyle, chartLayout, type ChartSeries } from './chart-layout.ts';
import { tooltipPlugin, type TooltipLine } from './chart-tooltip.ts';
import { isolatedPoints, nearestOwnPoint } from './cursor-values.ts';
import { formatDuration, formatNumber } from './format.ts';
import type { LineHighlight } from './highlight.ts';
import { forLogScale, loadLogKeys, saveLogKey } from './log-scale.ts';
import type { XMode } from './x-mode.ts';
import { ZoomGroup, type XRange } from './zoom-group.ts';

export type { ChartSeries } from './chart-layout.ts';

interface ChartProps {
  title: string;
  series: ChartSeries[];
  xMode: XMode;
  /** Bumped when data changed in place (live points). */
  version?: number;
  height?: number;
  /** Charts with the same key share the cursor. */
  syncKey?: string;
  /** Charts in one group zoom together (x axis); without one the chart zooms alone. */
  zoomGroup?: ZoomGroup;
  /** Ids of the lines the view's legend hides (with their bands and faint raw curves). */
  hidden?: ReadonlySet<string>;
  /** Shared by a view's charts and legend: the line the pointer is on, drawn over the others faded. */
  highlight?: LineHighlight;
  testId?: string;
}

/** Opacity of the lines that are not highlighted while one is. */
const FADED_ALPHA = 0.2;
/** Diameter (CSS px) of the marker drawn for a point that no line segment reaches. */
const MARKER_PX = 7;
/** Past its first or last point a line is listed under the cursor only within this many CSS px of it. */
const OUTSIDE_PX = 24;

/** Isolated points per drawn column (uPlot asks on every redraw; the columns only change with new data). */
const markerCache = new WeakMap<object, number[]>();
function markersOf(column: uPlot.AlignedData[number]): number[] {
  let found = markerCache.get(column);
  if (!found) {
    found = isolatedPoints(column as ArrayLike<number | null | undefined>, true);
    markerCache.set(column, found);
  }
  return found;
}

/** A drag narrower than this (CSS px) is a click, not a zoom. */
const MIN_ZOOM_DRAG_PX = 4;

/** Only the cursor position is shared through uPlot's sync: zoom goes through the ZoomGroup (uPlot would also
 * replay the drag on every chart from pixel positions and zoom them a second time). */
const publishCursorOnly: uPlot.Cursor.Sync.Filter = (type) => type === 'mousemove';

/** Moves the cursor and publishes it to the synced charts (uPlot's third setCursor argument, missing from its types). */
const publishCursor = (u: uPlot, position: { left: number; top: number }) =>
  (u.setCursor as (opts: { left: number; top: number }, fireHook?: boolean, publish?: boolean) => void)(position, true, true);

/** The x range a chart shows, on its card for tests and tools (`data-x-min`, `data-x-max`, `data-zoomed`). */
function exposeXRange(card: HTMLElement | null, u: uPlot, zoomed: boolean): void {
  if (!card) return;
  const { min, max } = u.scales.x;
  if (min === undefined || max === undefined || min === null || max === null) return;
  card.dataset.xMin = String(min);
  card.dataset.xMax = String(max);
  card.dataset.zoomed = String(zoomed);
}

/**
 * How many points of the chart's lines (not the faint raw curves behind smoothed ones, not band edges) lie in the x
 * range it shows, on its card as `data-points-in-view`: what a zoom that reads the range's detail increases.
 */
function exposePointsInView(card: HTMLElement | null, u: uPlot, lines: readonly number[]): void {
  if (!card) return;
  const { min, max } = u.scales.x;
  if (min === undefined || max === undefined || min === null || max === null) return;
  const xs = u.data[0];
  let count = 0;
  for (const line of lines) {
    const ys = u.data[line];
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (xs[i] >= min && xs[i] <= max && y !== null && y !== undefined) count++;
    }
  }
  card.dataset.pointsInView = String(count);
}

const X_LABEL: Record<XMode, string> = {
  step: 'step',
  epoch: 'epoch',
  relative: 'time since start',
  wall: 'wall time',
};

/** What the x-axis menu offers, in order. */
const X_MODE_OPTIONS: [XMode, string][] = [
  ['step', 'step'],
  ['epoch', 'epoch'],
  ['relative', 'relative time'],
  ['wall', 'wall time'],
];

/** The x-axis menu shared by the compare and run views. */
export function XAxisSelect({ value, onChange, testId }: { value: XMode; onChange: (mode: XMode) => void; testId?: string }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as XMode)} data-testid={testId}>
      {X_MODE_OPTIONS.map(([mode, label]) => (
        <option key={mode} value={mode}>
          {label}
        </option>
      ))}
    </select>
  );
}

const NO_LINES: ReadonlySet<string> = new Set();

function formatX(xMode: XMode): (v: number) => string {
  return (v) => (xMode === 'relative' ? formatDuration(v * 1000) : xMode === 'wall' ? new Date(v * 1000).toLocaleTimeString() : formatNumber(v, 5));
}

export function Chart({ title, series, xMode, version = 0, height = 240, syncKey = 'compare', zoomGroup, hidden = NO_LINES, highlight, testId }: ChartProps) {
  const card = useRef<HTMLElement>(null);
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  /** The live chart's way to show a group range (set while a chart exists). */
  const zoomState = useRef<{ group: ZoomGroup; showRange: (range: XRange | null) => void } | null>(null);
  const ownGroup = useMemo(() => new ZoomGroup(), []);
  const group = zoomGroup ?? ownGroup;
  const hiddenRef = useRef(hidden);
  hiddenRef.current = hidden;
  const applyHighlightRef = useRef<((id: string | null) => void) | null>(null);
  // Log scale per chart, remembered per metric key.
  const [log, setLog] = useState(() => loadLogKeys().has(title));
  const toggleLog = () => {
    saveLogKey(title, !log);
    setLog(!log);
  };
  const drawn = useMemo(() => (log ? forLogScale(series) : { curves: series, dropped: 0 }), [series, log, version]); // eslint-disable-line react-hooks/exhaustive-deps
  // A new chart only when the set of curves changes; otherwise setData is cheap.
  const shape = useMemo(
    () => JSON.stringify([xMode, height, log, series.map((s) => [s.label, s.color, s.id, s.dash, s.faint ?? false, s.band !== undefined])]),
    [series, xMode, height, log],
  );
  const layout = useMemo(() => chartLayout(drawn.curves), [drawn]);

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const { columns, bands, followers, edgesOf } = layout;
    // uPlot series indices of the lines counted by data-points-in-view (and listed by the tooltip).
    const lines = columns.flatMap(({ kind, owner }, index) => (kind === 'line' && !series[owner].faint ? [index + 1] : []));
    const idOf = (column: number) => series[columns[column - 1].owner].id ?? series[columns[column - 1].owner].label;
    const tooltipLines: TooltipLine[] = lines.map((column) => {
      const s = series[columns[column - 1].owner];
      return { column, id: idOf(column), label: s.label, color: s.color, edges: edgesOf.get(column) };
    });
    let showingGroupRange = false;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: xMode === 'wall' }, ...(log ? { y: { distr: 3 } } : {}) },
      plugins: [tooltipPlugin({ lines: tooltipLines, xLabel: X_LABEL[xMode], formatX: formatX(xMode), onNearest: (id) => highlight?.set(id) })],
      cursor: {
        // Each line at its own nearest point by x (uPlot's default takes the nearest by index in the joined columns).
        dataIdx: (u, seriesIdx, cursorIdx, xValue) =>
          seriesIdx === 0 ? cursorIdx : nearestOwnPoint(u.data[0], u.data[seriesIdx], cursorIdx, xValue, Math.abs(u.posToVal(OUTSIDE_PX, 'x') - u.posToVal(0, 'x'))),
        sync: { key: syncKey, filters: { pub: publishCursorOnly } },
        // The drag only selects; the setSelect hook below zooms the whole group.
        drag: { x: true, y: false, setScale: false },
        points: { size: 6 },
        bind: {
          dblclick: () => (e) => {
            if (e.button === 0) group.reset();
            return null;
          },
        },
      },
      // The view's legend (one for all charts) and the tooltip replace uPlot's legend under each chart.
      legend: { show: false },
      bands,
      axes: [
        {
          label: X_LABEL[xMode],
          labelSize: 18,
          labelFont: '12px system-ui, sans-serif',
          ...axisStyle(),
          values:
            xMode === 'relative'
              ? (_u, splits) => splits.map((v) => formatDuration(v * 1000))
              : xMode === 'wall'
                ? undefined
                : (_u, splits) => splits.map((v) => formatNumber(v, 3)),
        },
        {
          size: 52,
          ...axisStyle(),
          // (a log axis leaves the ticks between powers of ten unlabelled: null splits)
          values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : formatNumber(v, 3))),
        },
      ],
      series: [
        { label: X_LABEL[xMode] },
        ...columns.map(({ kind, owner }): uPlot.Series => {
          const s = series[owner];
          const show = !hiddenRef.current.has(s.id ?? s.label);
          if (kind !== 'line') {
            // A band edge: no stroke of its own (the band's fill is drawn with the upper edge), and gaps where the
            // bucket's extent is unknown (spanGaps false: null breaks the band).
            return { label: `${s.label} (${kind === 'band-hi' ? 'max' : 'min'})`, stroke: 'transparent', width: 0, spanGaps: false, points: { show: false }, show };
          }
          return {
            label: s.label,
            stroke: s.faint ? `${s.color}40` : s.color,
            width: s.faint ? 1 : 1.75,
            dash: s.dash && s.dash.length ? [...s.dash] : undefined,
            spanGaps: true,
            // Points no line segment reaches (a curve of one point) are drawn as filled markers.
            points: s.faint
              ? { show: false }
              : { show: false, size: MARKER_PX, width: 1, fill: s.color, stroke: s.color, filter: (u, i) => markersOf(u.data[i]) },
            show,
          };
        }),
      ],
      hooks: {
        // Hiding or showing a line takes its band (and its faint raw curve) along.
        setSeries: [
          (u, index, opts) => {
            if (index === null || opts.show === undefined) return;
            for (const edge of followers.get(index) ?? []) u.setSeries(edge, { show: opts.show }, false);
          },
        ],
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (width < MIN_ZOOM_DRAG_PX) return;
            if (!group.zoom({ min: u.posToVal(left, 'x'), max: u.posToVal(left + width, 'x') })) return;
            // The other charts placed the shared cursor while their zoom was still pending (uPlot commits scale
            // changes in a microtask): publish it again once every chart shows the new range.
            requestAnimationFrame(() => {
              const { left: x, top: y } = u.cursor;
              if (plot.current === u && x !== undefined && y !== undefined && x >= 0) publishCursor(u, { left: x, top: y });
            });
          },
        ],
        setScale: [
          (u, key) => {
            if (key === 'x') exposeXRange(card.current, u, showingGroupRange);
          },
        ],
        // After every redraw (new data, a new range): the count of points in view, and of markers drawn.
        draw: [
          (u) => {
            exposePointsInView(card.current, u, lines);
            if (card.current) card.current.dataset.markers = String(lines.reduce((n, i) => n + (u.series[i].show ? markersOf(u.data[i]).length : 0), 0));
          },
        ],
      },
    };
    const chart = new uPlot(options, layout.data, el);
    plot.current = chart;
    (el as HTMLDivElement & { __uplot?: uPlot }).__uplot = chart;
    const showRange = (range: XRange | null) => {
      showingGroupRange = range !== null;
      if (range) chart.setScale('x', range);
      // setData re-ranges x over all of the chart's own data (uPlot's autoscale, also right for one point).
      else chart.setData(chart.data);
    };
    const leave = group.join({ showRange });
    zoomState.current = { group, showRange };
    // The highlighted line at full opacity, the others faded (its band and raw curve with it); none: all opaque.
    // A line hidden from the view (its legend entry clicked while the pointer is on it) highlights nothing.
    const applyHighlight = (highlighted: string | null) => {
      const id = highlighted !== null && hiddenRef.current.has(highlighted) ? null : highlighted;
      let changed = false;
      for (let i = 1; i < chart.series.length; i++) {
        const alpha = id === null || idOf(i) === id ? 1 : FADED_ALPHA;
        if (chart.series[i].alpha !== alpha) {
          chart.series[i].alpha = alpha;
          changed = true;
        }
      }
      if (card.current) card.current.dataset.highlight = id ?? '';
      if (changed) chart.redraw(false);
    };
    applyHighlightRef.current = applyHighlight;
    const leaveHighlight = highlight?.join(applyHighlight);
    const observer = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height });
    });
    observer.observe(el);
    return () => {
      leave();
      leaveHighlight?.();
      applyHighlightRef.current = null;
      zoomState.current = null;
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // `series` and `layout` are read through `shape`; data changes go through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, syncKey, group, highlight]);

  // The legend hid or showed lines: every line's band and faint raw curve follow it (the setSeries hook).
  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.batch(() => {
      layout.columns.forEach(({ kind, owner }, index) => {
        const s = series[owner];
        const show = !hidden.has(s.id ?? s.label);
        if (kind === 'line' && !s.faint && chart.series[index + 1].show !== show) chart.setSeries(index + 1, { show });
      });
    });
    applyHighlightRef.current?.(highlight?.id ?? null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hidden, shape]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(layout.data);
    // New points (live, or a reload) re-range x over the data; a zoomed group keeps its range.
    const zoom = zoomState.current;
    if (zoom?.group.range) zoom.showRange(zoom.group.range);
  }, [layout]);

  const curves = series.filter((s) => !s.faint).length;
  const bands = series.filter((s) => s.band !== undefined).length;
  return (
    <section ref={card} className="chart-card" data-testid={testId} data-curves={curves} data-bands={bands} data-log={log}>
      <header className="chart-title">
        <span className="chart-name">{title}</span>
        {log && drawn.dropped > 0 ? (
          <span className="muted small" data-testid="log-dropped">
            {drawn.dropped} point{drawn.dropped === 1 ? '' : 's'} ≤ 0 not drawn
          </span>
        ) : null}
        <button className={`chart-log ${log ? 'on' : ''}`} aria-pressed={log} onClick={toggleLog} title="log-scale y axis" data-testid="log-y">
          log y
        </button>
      </header>
      {series.length === 0 ? <div className="chart-empty">no points</div> : null}
      <div ref={holder} className="chart-holder" />
    </section>
  );
}
