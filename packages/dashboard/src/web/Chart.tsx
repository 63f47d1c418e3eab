/** A uPlot line chart that follows its container's width and redraws in place when only the data changes. */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDuration, formatNumber } from './format.ts';

export type XMode = 'step' | 'epoch' | 'relative' | 'wall';

export interface ChartSeries {
  label: string;
  color: string;
  x: number[];
  y: (number | null)[];
  /** Drawn thin and faint (the raw curve behind a smoothed one). */
  faint?: boolean;
  /** Shown in the legend (false for faint raw curves). */
  legend?: boolean;
}

interface ChartProps {
  title: string;
  series: ChartSeries[];
  xMode: XMode;
  /** Bumped when data changed in place (live points). */
  version?: number;
  height?: number;
  /** Charts with the same key share the cursor. */
  syncKey?: string;
  testId?: string;
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

function alignedData(series: ChartSeries[]): uPlot.AlignedData {
  if (series.length === 0) return [[]];
  return uPlot.join(series.map((s) => [s.x, s.y] as uPlot.AlignedData));
}

export function Chart({ title, series, xMode, version = 0, height = 240, syncKey = 'compare', testId }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // A new chart only when the set of curves changes; otherwise setData keeps zoom and is cheap.
  const shape = useMemo(
    () => JSON.stringify([xMode, height, series.map((s) => [s.label, s.color, s.faint ?? false])]),
    [series, xMode, height],
  );

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: xMode === 'wall' } },
      cursor: { sync: { key: syncKey }, drag: { x: true, y: false }, points: { size: 6 } },
      legend: { show: true, live: true },
      axes: [
        {
          label: X_LABEL[xMode],
          labelSize: 18,
          labelFont: '12px system-ui, sans-serif',
          font: '11px system-ui, sans-serif',
          stroke: '#6b7280',
          grid: { stroke: '#eef0f3', width: 1 },
          ticks: { stroke: '#e5e7eb', width: 1 },
          values:
            xMode === 'relative'
              ? (_u, splits) => splits.map((v) => formatDuration(v * 1000))
              : xMode === 'wall'
                ? undefined
                : (_u, splits) => splits.map((v) => formatNumber(v, 3)),
        },
        {
          size: 52,
          font: '11px system-ui, sans-serif',
          stroke: '#6b7280',
          grid: { stroke: '#eef0f3', width: 1 },
          ticks: { stroke: '#e5e7eb', width: 1 },
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
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.faint ? `${s.color}40` : s.color,
            width: s.faint ? 1 : 1.75,
            spanGaps: true,
            points: { show: false },
            show: true,
            value: (_u, v) => formatNumber(v, 4),
            class: s.legend === false ? 'u-hidden-legend' : undefined,
          }),
        ),
      ],
    };
    const chart = new uPlot(options, alignedData(series), el);
    plot.current = chart;
    (el as HTMLDivElement & { __uplot?: uPlot }).__uplot = chart;
    const observer = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // `series` is read through `shape`; data changes go through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, syncKey]);

  useEffect(() => {
    plot.current?.setData(alignedData(series));
  }, [series, version]);

  const curves = series.filter((s) => !s.faint).length;
  return (
    <section className="chart-card" data-testid={testId} data-curves={curves}>
      <header className="chart-title">{title}</header>
      {series.length === 0 ? <div className="chart-empty">no points</div> : null}
      <div ref={holder} className="chart-holder" />
    </section>
  );
}
