/**
 * A uPlot line chart that follows its container's width and redraws in place when only the data changes.
 * Downsampled curves get a min/max band; charts given the same ZoomGroup zoom their x axis together.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisStyle, chartLayout, type ChartSeries } from './chart-layout.ts';
import { formatDuration, formatNumber } from './format.ts';
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
  testId?: string;
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

export function Chart({ title, series, xMode, version = 0, height = 240, syncKey = 'compare', zoomGroup, testId }: ChartProps) {
  const card = useRef<HTMLElement>(null);
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  /** The live chart's way to show a group range (set while a chart exists). */
  const zoomState = useRef<{ group: ZoomGroup; showRange: (range: XRange | null) => void } | null>(null);
  const ownGroup = useMemo(() => new ZoomGroup(), []);
  const group = zoomGroup ?? ownGroup;
  // A new chart only when the set of curves changes; otherwise setData is cheap.
  const shape = useMemo(
    () => JSON.stringify([xMode, height, series.map((s) => [s.label, s.color, s.faint ?? false, s.band !== undefined])]),
    [series, xMode, height],
  );
  const layout = useMemo(() => chartLayout(series), [series, version]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const { columns, bands, followers, edgesOf } = layout;
    // uPlot series indices of the lines counted by data-points-in-view.
    const lines = columns.flatMap(({ kind, owner }, index) => (kind === 'line' && !series[owner].faint ? [index + 1] : []));
    let showingGroupRange = false;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: xMode === 'wall' } },
      cursor: {
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
      legend: { show: true, live: true },
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
          values: (_u, splits) => splits.map((v) => formatNumber(v, 3)),
        },
      ],
      series: [
        {
          label: X_LABEL[xMode],
          value: (_u, v) =>
            v === null || v === undefined
              ? '–'
              : xMode === 'relative'
                ? formatDuration(v * 1000)
                : xMode === 'wall'
                  ? new Date(v * 1000).toLocaleTimeString()
                  : formatNumber(v, 5),
        },
        ...columns.map(({ kind, owner }, index): uPlot.Series => {
          const s = series[owner];
          if (kind !== 'line') {
            // A band edge: no stroke of its own (the band's fill is drawn with the upper edge), never in the legend,
            // and gaps where the bucket's extent is unknown (spanGaps false: null breaks the band).
            return {
              label: `${s.label} (${kind === 'band-hi' ? 'max' : 'min'})`,
              stroke: 'transparent',
              width: 0,
              spanGaps: false,
              points: { show: false },
              value: (_u, v) => formatNumber(v, 4),
              class: 'u-hidden-legend',
            };
          }
          const edges = edgesOf.get(index + 1);
          return {
            label: s.label,
            stroke: s.faint ? `${s.color}40` : s.color,
            width: s.faint ? 1 : 1.75,
            spanGaps: true,
            points: { show: false },
            show: true,
            // A downsampled point stands for a bucket: the legend gives its range too, "last (min–max)".
            value: (u, v, _series, index) => {
              const text = formatNumber(v, 4);
              if (!edges || index === null || index === undefined) return text;
              const hi = u.data[edges[0]][index];
              const lo = u.data[edges[1]][index];
              return typeof lo === 'number' && typeof hi === 'number' && lo !== hi ? `${text} (${formatNumber(lo, 3)}–${formatNumber(hi, 3)})` : text;
            },
            class: s.legend === false ? 'u-hidden-legend' : undefined,
          };
        }),
      ],
      hooks: {
        // Hiding or showing a run from the legend takes its band (and its faint raw curve) along.
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
        // After every redraw (new data, a new range): the count of points in view.
        draw: [(u) => exposePointsInView(card.current, u, lines)],
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
    const observer = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height });
    });
    observer.observe(el);
    return () => {
      leave();
      zoomState.current = null;
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // `series` and `layout` are read through `shape`; data changes go through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, syncKey, group]);

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
    <section ref={card} className="chart-card" data-testid={testId} data-curves={curves} data-bands={bands}>
      <header className="chart-title">{title}</header>
      {series.length === 0 ? <div className="chart-empty">no points</div> : null}
      <div ref={holder} className="chart-holder" />
    </section>
  );
}
