/**
 * Params vs metric across the runs of the table's filter (how a sweep is read): one point per run, x a param
 * (numeric on a linear or log axis, or categories), y a metric summary (best, last, min, max), coloured by status
 * or by another param. Hovering a point names the run; clicking it adds the run to (or removes it from) the
 * comparison. One `/api/param-metric` call per choice, at most 1,000 runs.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, type ParamMetricJson, type RunFilters, type RunSort } from './api.ts';
import { formatNumber } from './format.ts';
import { axisStyle } from './chart-layout.ts';
import { buildScatter, paddedRange, resolvedSummary, scatterColumns, type MetricSummary, type ScaleChoice, type ScatterPoint, type ScatterPoints } from './param-scatter.ts';
import { orderMetricKeys } from './series.ts';
import { compareApi } from './api-compare.ts';
import { paramMenu } from './params-vary.ts';

/** Most runs one scatter plots (the first of the table's filter, in its order); the server's page limit. */
export const SCATTER_MAX_RUNS = 1000;
/** A point is hovered within this distance (CSS px) of the pointer. */
const HOVER_PX = 8;
const POINT_SIZE = 10;
/** Past this many points they are drawn smaller. */
const DENSE_POINTS = 300;
const POINT_SIZE_DENSE = 7;
/** Most category names written under a categorical x axis. */
const MAX_CATEGORY_LABELS = 24;
const STORAGE_KEY = 'vgglab.paramScatter';

interface Choice {
  open: boolean;
  x: string;
  y: string;
  summary: MetricSummary;
  scale: ScaleChoice;
  /** '' colours by status, else by this param. */
  color: string;
}

const DEFAULT_CHOICE: Choice = { open: false, x: '', y: '', summary: 'best', scale: 'auto', color: '' };

function loadChoice(): Choice {
  try {
    return { ...DEFAULT_CHOICE, ...(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<Choice>) };
  } catch {
    return DEFAULT_CHOICE;
  }
}

interface Props {
  filters: RunFilters;
  sort: RunSort;
  selected: readonly string[];
  onToggle: (runId: string) => void;
  /** Bumped when runs start or stop anywhere. */
  liveTick: number;
}

export function ParamScatter({ filters, sort, selected, onToggle, liveTick }: Props) {
  const [choice, setChoice] = useState<Choice>(loadChoice);
  const [paramKeys, setParamKeys] = useState<string[] | null>(null);
  const [metricKeys, setMetricKeys] = useState<string[] | null>(null);
  const [response, setResponse] = useState<ParamMetricJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const update = (change: Partial<Choice>) =>
    setChoice((current) => {
      const next = { ...current, ...change };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    });

  // The menus: every param and metric key of the store (fetched once opened, again when runs start or stop).
  useEffect(() => {
    if (!choice.open) return;
    Promise.all([api.paramKeys(), api.metricKeys([])])
      .then(([params, metrics]) => {
        setParamKeys(params.keys);
        setMetricKeys(orderMetricKeys(metrics.keys));
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [choice.open, liveTick]);

  // The menus list the params that vary among the filter's runs first and leave out those equal in every run.
  const [vary, setVary] = useState<{ varying: string[]; constant: string[] } | null>(null);
  const filterKey = JSON.stringify([filters, sort]);
  useEffect(() => {
    if (!choice.open) return;
    const controller = new AbortController();
    compareApi.paramSpace(filters, sort, { metric: 'val/accuracy', limit: SCATTER_MAX_RUNS }, controller.signal).then(
      (space) => setVary({ varying: space.varying, constant: space.constant.map((c) => c.key) }),
      () => !controller.signal.aborted && setVary(null),
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [choice.open, filterKey, liveTick]);

  // Defaults once the keys are known: the learning rate against validation accuracy, as a sweep is usually read.
  const x = choice.x && paramKeys?.includes(choice.x) ? choice.x : (paramKeys?.find((k) => k === 'optimizer.lr') ?? paramKeys?.[0] ?? '');
  const y = choice.y && metricKeys?.includes(choice.y) ? choice.y : (metricKeys?.find((k) => k === 'val/accuracy') ?? metricKeys?.[0] ?? '');
  const color = choice.color && paramKeys?.includes(choice.color) ? choice.color : '';
  const menu = useMemo(() => {
    const keys = vary && paramKeys ? paramMenu(paramKeys, vary) : (paramKeys ?? []);
    return [...keys, ...[x, color].filter((k) => k && !keys.includes(k))];
  }, [paramKeys, vary, x, color]);

  useEffect(() => {
    if (!choice.open || !x || !y) return;
    const controller = new AbortController();
    api
      .paramMetric(filters, sort, { x, y, color: color || undefined, limit: SCATTER_MAX_RUNS }, controller.signal)
      .then((body) => {
        setResponse(body);
        setError(null);
      })
      .catch((e: unknown) => !controller.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => controller.abort();
  }, [choice.open, filters, sort, x, y, color, liveTick]);

  const scatter = useMemo(
    () =>
      response && response.x === x && response.y === y
        ? buildScatter(response.runs, { yKey: y, summary: choice.summary, scale: choice.scale, colorBy: color ? 'param' : 'status' })
        : null,
    [response, x, y, color, choice.summary, choice.scale],
  );
  const summaryLabel = (s: MetricSummary) => (s === 'best' && y ? `best (${resolvedSummary('best', y)})` : s);

  return (
    <section className="card scatter" data-testid="scatter" data-open={choice.open}>
      <header className="card-title">
        <button className="link" onClick={() => update({ open: !choice.open })} data-testid="scatter-toggle" aria-expanded={choice.open}>
          {choice.open ? '▾' : '▸'} Params vs metric
        </button>
        <span className="muted small">one point per run of the table's filter (up to {SCATTER_MAX_RUNS.toLocaleString()} runs)</span>
      </header>
      {choice.open ? (
        <>
          <div className="scatter-controls">
            <label>
              x
              <select value={x} onChange={(e) => update({ x: e.target.value })} data-testid="scatter-x">
                {menu.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <label>
              scale
              <select
                value={choice.scale}
                onChange={(e) => update({ scale: e.target.value as ScaleChoice })}
                disabled={scatter?.axis.kind === 'category'}
                title={scatter?.axis.kind === 'category' ? `${x} is not numeric: its values are categories` : undefined}
                data-testid="scatter-scale"
              >
                <option value="auto">auto</option>
                <option value="linear">linear</option>
                <option value="log">log</option>
              </select>
            </label>
            <label>
              y
              <select value={y} onChange={(e) => update({ y: e.target.value })} data-testid="scatter-y">
                {(metricKeys ?? []).map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
              <select value={choice.summary} onChange={(e) => update({ summary: e.target.value as MetricSummary })} data-testid="scatter-summary">
                {(['best', 'last', 'min', 'max'] as const).map((s) => (
                  <option key={s} value={s}>
                    {summaryLabel(s)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              colour
              <select value={color} onChange={(e) => update({ color: e.target.value })} data-testid="scatter-color">
                <option value="">status</option>
                {menu.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {error ? <div className="error">Could not load params vs metric: {error}</div> : null}
          {paramKeys !== null && (paramKeys.length === 0 || metricKeys?.length === 0) ? (
            <div className="muted pad">No runs with params and metrics yet.</div>
          ) : null}
          {scatter && response ? (
            <>
              <ScatterNote scatter={scatter} response={response} summary={summaryLabel(choice.summary)} />
              <ScatterChart scatter={scatter} xKey={x} yLabel={`${summaryLabel(choice.summary)} ${y}`} selected={selected} onToggle={onToggle} />
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function ScatterNote({ scatter, response, summary }: { scatter: ScatterPoints; response: ParamMetricJson; summary: string }) {
  const skipped = scatter.missingX + scatter.missingY;
  return (
    <div className="scatter-note small" data-testid="scatter-note">
      <strong>{scatter.points.length.toLocaleString()}</strong> {scatter.points.length === 1 ? 'run' : 'runs'} plotted
      {skipped > 0 ? (
        <>
          {' '}
          · {skipped.toLocaleString()} not plotted ({[
            scatter.missingX ? `${scatter.missingX.toLocaleString()} without ${response.x}` : '',
            scatter.missingY ? `${scatter.missingY.toLocaleString()} without ${summary} ${response.y}` : '',
          ]
            .filter(Boolean)
            .join(', ')}
          )
        </>
      ) : null}
      {response.total > response.runs.length ? (
        <span className="warn">
          {' '}
          · only the first {response.runs.length.toLocaleString()} of {response.total.toLocaleString()} runs of the filter (in the table's order)
        </span>
      ) : null}
      {scatter.axis.logRefused ? <span className="warn"> · log scale needs values above 0: linear</span> : null}
    </div>
  );
}

/** Points-only uPlot: one series per colour group (x ascending, aligned), and rings around the compared runs. */
function ScatterChart({
  scatter,
  xKey,
  yLabel,
  selected,
  onToggle,
}: {
  scatter: ScatterPoints;
  xKey: string;
  yLabel: string;
  selected: readonly string[];
  onToggle: (runId: string) => void;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const [hovered, setHovered] = useState<{ point: ScatterPoint; left: number; top: number; flip: boolean } | null>(null);
  const onToggleRef = useRef(onToggle);
  onToggleRef.current = onToggle;
  const selectedKey = selected.join(',');

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const { data, order } = scatterColumns(scatter);
    const chosen = new Set(selected);
    const rings = order.map((i) => (chosen.has(scatter.points[i].runId) ? scatter.points[i].y : null));
    const { axis } = scatter;
    const categories = axis.kind === 'category' ? axis.categories : [];
    const noPath = () => null;
    const pointSize = scatter.points.length > DENSE_POINTS ? POINT_SIZE_DENSE : POINT_SIZE;
    // Fixed, padded ranges: uPlot would round a log axis to whole decades and put the extreme points on its edges.
    const xRange = paddedRange(scatter.points.map((p) => p.x), axis.kind === 'log');
    const yRange = paddedRange(scatter.points.map((p) => p.y), false);
    const options: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 300,
      legend: { show: false },
      cursor: { x: false, y: false, points: { show: false }, drag: { x: false, y: false } },
      scales: {
        x: {
          time: false,
          distr: axis.kind === 'log' ? 3 : 1,
          range: (axis.kind === 'category' ? [-0.5, Math.max(0.5, categories.length - 0.5)] : (xRange ?? [0, 1])) as uPlot.Range.MinMax,
        },
        y: { range: (yRange ?? [0, 1]) as uPlot.Range.MinMax },
      },
      axes: [
        {
          label: xKey,
          labelSize: 18,
          labelFont: '12px system-ui, sans-serif',
          ...axisStyle(),
          ...(axis.kind === 'category'
            ? {
                // Every category labelled up to MAX_CATEGORY_LABELS, then every k-th (labels would overlap).
                splits: () => categories.map((_, i) => i).filter((i) => i % Math.ceil(categories.length / MAX_CATEGORY_LABELS) === 0),
                values: (_u: uPlot, splits: number[]) => splits.map((i) => categories[i] ?? ''),
              }
            : // A log axis passes null for the splits it leaves unlabelled (between decades).
              { values: (_u: uPlot, splits: (number | null)[]) => splits.map((v) => (v === null ? '' : formatNumber(v, 3))) }),
        },
        {
          label: yLabel,
          labelSize: 18,
          labelFont: '12px system-ui, sans-serif',
          size: 56,
          ...axisStyle(),
          values: (_u, splits) => splits.map((v) => formatNumber(v, 3)),
        },
      ],
      series: [
        { label: xKey },
        ...scatter.groups.map(
          (g): uPlot.Series => ({
            label: g.label,
            stroke: g.color,
            paths: noPath,
            // A translucent fill under an opaque rim: where many runs share a value, the stack reads as denser.
            points: { show: true, size: pointSize, width: 1, stroke: g.color, fill: `${g.color}80` },
          }),
        ),
        { label: 'compared', stroke: '#111827', paths: noPath, points: { show: true, size: pointSize + 7, width: 2, stroke: '#111827', fill: 'transparent' } },
      ],
    };
    const chart = new uPlot(options, [...data, rings] as unknown as uPlot.AlignedData, el);
    const exposed = el as HTMLDivElement & { __uplot?: uPlot; __points?: ScatterPoint[] };
    exposed.__uplot = chart;
    exposed.__points = scatter.points;

    // The point nearest the pointer, within HOVER_PX (uPlot's own cursor follows x only, which a scatter cannot use).
    const nearest = (event: MouseEvent): ScatterPoint | null => {
      const box = chart.over.getBoundingClientRect();
      const px = event.clientX - box.left;
      const py = event.clientY - box.top;
      let best: ScatterPoint | null = null;
      let bestDistance = HOVER_PX * HOVER_PX;
      for (const point of scatter.points) {
        const dx = chart.valToPos(point.x, 'x') - px;
        const dy = chart.valToPos(point.y, 'y') - py;
        const distance = dx * dx + dy * dy;
        if (distance <= bestDistance) {
          best = point;
          bestDistance = distance;
        }
      }
      return best;
    };
    const onMove = (event: MouseEvent) => {
      const point = nearest(event);
      chart.over.style.cursor = point ? 'pointer' : 'default';
      if (!point) return setHovered(null);
      const holderBox = el.getBoundingClientRect();
      const overBox = chart.over.getBoundingClientRect();
      const left = overBox.left - holderBox.left + chart.valToPos(point.x, 'x');
      setHovered({
        point,
        left,
        // In the right half the tip opens to the left of the point, so it never leaves the card.
        flip: left > holderBox.width / 2,
        top: overBox.top - holderBox.top + chart.valToPos(point.y, 'y'),
      });
    };
    const onLeave = () => setHovered(null);
    const onClick = (event: MouseEvent) => {
      const point = nearest(event);
      if (point) onToggleRef.current(point.runId);
    };
    chart.over.addEventListener('mousemove', onMove);
    chart.over.addEventListener('mouseleave', onLeave);
    chart.over.addEventListener('click', onClick);
    const observer = new ResizeObserver(() => {
      const width = Math.max(300, el.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height: 300 });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.over.removeEventListener('mousemove', onMove);
      chart.over.removeEventListener('mouseleave', onLeave);
      chart.over.removeEventListener('click', onClick);
      chart.destroy();
      setHovered(null);
    };
    // `selected` is read through selectedKey.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scatter, xKey, yLabel, selectedKey]);

  const compared = new Set(selected);
  return (
    <div className="scatter-body" data-testid="scatter-chart" data-points={scatter.points.length} data-missing-x={scatter.missingX} data-missing-y={scatter.missingY} data-axis={scatter.axis.kind}>
      <div className="scatter-holder" ref={holder}>
        {hovered ? (
          <div className={hovered.flip ? 'scatter-tip flip' : 'scatter-tip'} data-testid="scatter-tip" style={{ left: hovered.left, top: hovered.top }}>
            <strong>{hovered.point.name}</strong> <span className="muted">{hovered.point.status}</span>
            <div className="mono">
              {xKey} = {hovered.point.xText}
            </div>
            <div className="mono">
              {yLabel} = {formatNumber(hovered.point.y, 4)}
            </div>
            <div className="muted">click to {compared.has(hovered.point.runId) ? 'remove from' : 'add to'} the comparison</div>
          </div>
        ) : null}
      </div>
      <div className="scatter-legend">
        {scatter.groups
          .filter((g) => g.count > 0)
          .map((g) => (
            <span key={g.label} className="legend-item">
              <span className="swatch round" style={{ background: g.color }} />
              {g.label} <span className="muted">{g.count}</span>
            </span>
          ))}
        {scatter.points.some((p) => compared.has(p.runId)) ? (
          <span className="legend-item">
            <span className="swatch ring" /> compared
          </span>
        ) : null}
      </div>
    </div>
  );
}
