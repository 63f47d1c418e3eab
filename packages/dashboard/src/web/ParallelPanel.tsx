/**
 * How a sweep is read, all params at once: parallel coordinates over the params that vary among the table's runs
 * (up to 1,000, in its order) and a chosen metric, lines coloured from the worst run (red) to the best (green).
 * Drag along an axis to brush it: the lines outside grey out and the table shows only the runs inside every brush
 * (the brushes become the run list's `brush` filters); a click on an axis clears its brush. Below, the params'
 * importance for the metric (param-importance.ts). Closed until opened; its choices are kept in localStorage.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, type RunFilters, type RunSort } from './api.ts';
import { compareApi, type ParamSpaceJson } from './api-compare.ts';
import { formatNumber } from './format.ts';
import { buildParallel, metricColor, metricOf, MISSING_POSITION, passesBrushes, toListBrush, valueAt, type AxisBrush, type ParallelData } from './parallel.ts';
import { paramImportance } from './param-importance.ts';
import { resolvedSummary, type MetricSummary } from './param-scatter.ts';
import { orderMetricKeys } from './series.ts';
import type { Brush } from '../wire/brush.ts';
import './compare.css';

const STORAGE_KEY = 'vgglab.parallel';
const MAX_RUNS = 1000;
const HEIGHT = 300;
const PAD = { top: 34, bottom: 34, left: 56, right: 64 };
/** A drag shorter than this (px) is a click: it clears the axis's brush. */
const MIN_BRUSH_PX = 4;

interface Choice {
  open: boolean;
  metric: string;
  summary: MetricSummary;
}

function loadChoice(): Choice {
  try {
    return { open: false, metric: '', summary: 'best', ...(JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<Choice>) };
  } catch {
    return { open: false, metric: '', summary: 'best' };
  }
}

interface Props {
  filters: RunFilters;
  sort: RunSort;
  liveTick: number;
  onBrushes: (brushes: Brush[]) => void;
}

export function ParallelPanel({ filters, sort, liveTick, onBrushes }: Props) {
  const [choice, setChoice] = useState<Choice>(loadChoice);
  const [metricKeys, setMetricKeys] = useState<string[] | null>(null);
  const [space, setSpace] = useState<ParamSpaceJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [brushes, setBrushes] = useState<AxisBrush[]>([]);
  const update = (change: Partial<Choice>) =>
    setChoice((current) => {
      const next = { ...current, ...change };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    });
  // The panel shows every run of the filter: its own brushes are not part of what it asks for.
  const filterKey = JSON.stringify([{ ...filters, brushes: [] }, sort]);

  useEffect(() => {
    if (!choice.open) return;
    api.metricKeys([]).then((body) => setMetricKeys(orderMetricKeys(body.keys)), (e: unknown) => setError(String(e)));
  }, [choice.open, liveTick]);
  const metric = choice.metric && metricKeys?.includes(choice.metric) ? choice.metric : (metricKeys?.find((k) => k === 'val/accuracy') ?? metricKeys?.[0] ?? '');

  useEffect(() => {
    if (!choice.open || !metric) return;
    const controller = new AbortController();
    compareApi
      .paramSpace(filters, sort, { metric, limit: MAX_RUNS }, controller.signal)
      .then((body) => {
        setSpace(body);
        setError(null);
      })
      .catch((e: unknown) => !controller.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [choice.open, filterKey, metric, liveTick]);

  const data = useMemo(() => (space && space.metric === metric ? buildParallel(space, choice.summary) : null), [space, metric, choice.summary]);

  // Brushes cleared elsewhere (the filter bar's ×) clear here too; a new metric or summary starts without brushes.
  useEffect(() => {
    if (filters.brushes.length === 0) setBrushes([]);
  }, [filters.brushes.length]);
  const setAndSend = (next: AxisBrush[]) => {
    setBrushes(next);
    if (!data) return;
    onBrushes(next.map((b) => toListBrush(data, b, choice.summary, metric)).filter((b): b is Brush => b !== null));
  };
  // Another metric or summary moves every line on the metric axis: its brushes start over.
  const brushesRef = useRef(brushes);
  brushesRef.current = brushes;
  useEffect(() => {
    if (brushesRef.current.length === 0) return;
    setBrushes([]);
    onBrushes([]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [metric, choice.summary]);

  return (
    <section className="card parallel" data-testid="parallel" data-open={choice.open}>
      <header className="card-title">
        <button className="link" onClick={() => update({ open: !choice.open })} data-testid="parallel-toggle" aria-expanded={choice.open}>
          {choice.open ? '▾' : '▸'} Parallel coordinates and param importance
        </button>
        <span className="muted small">the params that vary among the table's runs (up to {MAX_RUNS.toLocaleString()}); drag along an axis to filter the table</span>
      </header>
      {choice.open ? (
        <>
          <div className="scatter-controls">
            <label>
              metric
              <select value={metric} onChange={(e) => update({ metric: e.target.value })} data-testid="parallel-metric">
                {(metricKeys ?? []).map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
              <select value={choice.summary} onChange={(e) => update({ summary: e.target.value as MetricSummary })} data-testid="parallel-summary">
                {(['best', 'last', 'min', 'max'] as const).map((s) => (
                  <option key={s} value={s}>
                    {s === 'best' && metric ? `best (${resolvedSummary('best', metric)})` : s}
                  </option>
                ))}
              </select>
            </label>
            {brushes.length ? (
              <button className="link small" onClick={() => setAndSend([])} data-testid="parallel-clear">
                clear {brushes.length} brush{brushes.length === 1 ? '' : 'es'}
              </button>
            ) : null}
            {space ? (
              <span className="muted small">
                {space.runs.length.toLocaleString()} runs{space.total > space.runs.length ? ` of ${space.total.toLocaleString()} (the first, in the table's order)` : ''} · {space.varying.length} params vary
                {space.constant.length ? `, ${space.constant.length} are the same in every run` : ''}
              </span>
            ) : null}
          </div>
          {error ? <div className="error">Could not load the runs' params: {error}</div> : null}
          {data && data.axes.length > 1 ? (
            <>
              <ParallelChart data={data} brushes={brushes} onBrushes={setAndSend} />
              <ImportanceTable space={space!} summary={choice.summary} />
            </>
          ) : space ? (
            <div className="muted pad">No param varies among these runs.</div>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function ParallelChart({ data, brushes, onBrushes }: { data: ParallelData; brushes: AxisBrush[]; onBrushes: (b: AxisBrush[]) => void }) {
  const holder = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  const [drag, setDrag] = useState<{ axis: string; from: number; to: number } | null>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(320, el.clientWidth)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const step = (width - PAD.left - PAD.right) / Math.max(1, data.axes.length - 1);
  const xOf = (i: number) => PAD.left + i * step;
  const yOf = (position: number) => PAD.top + (1 - position) * plotHeight + (position === MISSING_POSITION ? 14 : 0);
  const positionAt = (clientY: number) => {
    const box = holder.current!.getBoundingClientRect();
    return Math.max(0, Math.min(1, 1 - (clientY - box.top - PAD.top) / plotHeight));
  };
  const kept = data.lines.map((line) => passesBrushes(data, line, brushes));
  const order = data.lines.map((_, i) => i).sort((a, b) => Number(kept[a]) - Number(kept[b]));

  const finish = () => {
    if (!drag) return;
    const rest = brushes.filter((b) => b.key !== drag.axis);
    const low = Math.min(drag.from, drag.to);
    const high = Math.max(drag.from, drag.to);
    onBrushes((high - low) * plotHeight < MIN_BRUSH_PX ? rest : [...rest, { key: drag.axis, low, high }]);
    setDrag(null);
  };

  return (
    <div ref={holder} data-testid="parallel-chart" data-lines={data.lines.length} data-kept={kept.filter(Boolean).length}>
      <svg height={HEIGHT} width={width} onMouseMove={(e) => drag && setDrag({ ...drag, to: positionAt(e.clientY) })} onMouseUp={finish} onMouseLeave={finish}>
        {order.map((i) => {
          const line = data.lines[i]!;
          const points = line.positions.map((p, a) => `${xOf(a).toFixed(1)},${yOf(p).toFixed(1)}`).join(' L');
          return (
            <path key={line.runId} d={`M${points}`} className={kept[i] ? 'pc-line' : 'pc-line out'} stroke={kept[i] ? metricColor(line.metric, data.metricRange) : undefined}>
              <title>
                {line.name}: {line.metric === null ? '–' : formatNumber(line.metric, 4)}
              </title>
            </path>
          );
        })}
        {data.axes.map((axis, a) => {
          const brush = drag?.axis === axis.key ? { low: Math.min(drag.from, drag.to), high: Math.max(drag.from, drag.to) } : brushes.find((b) => b.key === axis.key);
          const ticks = axis.scale === 'category' ? axis.categories.map((c, i) => ({ label: c, at: (i + 0.5) / axis.categories.length })) : [0, 0.5, 1].map((at) => ({ label: formatNumber(valueAt(axis, at), 3), at }));
          return (
            <g key={axis.key} className="pc-axis" data-testid={`pc-axis-${axis.key}`} data-x={xOf(a)} data-top={PAD.top} data-height={plotHeight}>
              <line x1={xOf(a)} x2={xOf(a)} y1={PAD.top} y2={PAD.top + plotHeight} />
              <text className="pc-title" x={a === data.axes.length - 1 ? xOf(a) + 10 : xOf(a)} y={PAD.top - 14} textAnchor={a === data.axes.length - 1 ? 'end' : 'middle'}>
                {axis.label}
              </text>
              {ticks.map((t) => (
                <text key={t.label + t.at} x={xOf(a) - 5} y={yOf(t.at) + 4} textAnchor="end">
                  {t.label}
                </text>
              ))}
              <text x={xOf(a) - 5} y={yOf(MISSING_POSITION) + 4} textAnchor="end" className="muted">
                –
              </text>
              {brush ? <rect className="pc-brush" x={xOf(a) - 9} width={18} y={yOf(brush.high)} height={Math.max(1, (brush.high - brush.low) * plotHeight)} /> : null}
              <rect
                className="pc-hit"
                x={xOf(a) - 14}
                width={28}
                y={PAD.top - 4}
                height={plotHeight + 8}
                onMouseDown={(e) => {
                  e.preventDefault();
                  const at = positionAt(e.clientY);
                  setDrag({ axis: axis.key, from: at, to: at });
                }}
              />
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** The params ranked by their importance for the metric, with their correlation. */
function ImportanceTable({ space, summary }: { space: ParamSpaceJson; summary: MetricSummary }) {
  const rows = useMemo(() => {
    const data = space.runs.flatMap((run) => {
      const y = metricOf(run, summary, space.metric);
      return y === null ? [] : [{ params: run.params, y }];
    });
    return { runs: data.length, importance: paramImportance(data, space.varying) };
  }, [space, summary]);
  return (
    <div className="importance" data-testid="importance">
      <header className="card-title pad-top">
        Param importance for {summary} {space.metric} <span className="muted small">{rows.runs} runs with a value · random forest, permutation on out-of-bag runs</span>
      </header>
      <table className="plain as-written">
        <thead>
          <tr>
            <th>param</th>
            <th title="share of the forest's permutation importance">importance</th>
            <th title="Spearman's rank correlation (numeric params) or the correlation ratio η (text params)">correlation</th>
          </tr>
        </thead>
        <tbody>
          {rows.importance.map((p) => (
            <tr key={p.key} data-param={p.key}>
              <td className="mono">{p.key}</td>
              <td>
                <div className="hbar">
                  <span style={{ width: `${(p.importance ?? 0) * 100}%` }} />
                  <em>{p.importance === null ? 'too few runs' : `${(p.importance * 100).toFixed(0)}%`}</em>
                </div>
              </td>
              <td className={`num ${p.correlation !== null && p.kind === 'numeric' ? (p.correlation < 0 ? 'corr-neg' : 'corr-pos') : ''}`}>
                {p.correlation === null ? '–' : `${p.kind === 'numeric' ? 'ρ' : 'η'} ${p.correlation.toFixed(2)}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
