/** The compare view: the selected runs' curves overlaid, one chart per metric, and the params that differ. */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, type LivePoint, type RunStatusChange } from './api.ts';
import { bucketsForWidth, firstColumnWidth } from './buckets.ts';
import { Chart, XAxisSelect, type ChartSeries } from './Chart.tsx';
import { CompareTable } from './CompareTable.tsx';
import { formatLr, runColor } from './format.ts';
import { appendLivePoints, curve, epochMapper, orderMetricKeys, smooth, type RunSeries } from './series.ts';
import type { RunLite } from './types.ts';
import { StatusBadge } from './StatusBadge.tsx';
import { seriesWithDetail, useZoomDetail } from './use-zoom-detail.ts';
import type { XMode } from './x-mode.ts';
import { ZoomGroup } from './zoom-group.ts';

interface CompareProps {
  runs: RunLite[];
  onDeselect: (id: string) => void;
  onClear: () => void;
  onOpenRun: (id: string) => void;
  onStatusChange: (changes: RunStatusChange[]) => void;
}

/** Most metric keys charted at once (the rest can be picked). */
const MAX_CHARTS = 12;

export function ComparePanel({ runs, onDeselect, onClear, onOpenRun, onStatusChange }: CompareProps) {
  const runIds = useMemo(() => runs.map((r) => r.id), [runs]);
  const idsKey = runIds.join(',');
  const [xMode, setXMode] = useState<XMode>('step');
  const [smoothing, setSmoothing] = useState(0);
  const [keys, setKeys] = useState<string[]>([]);
  const [data, setData] = useState<Map<string, RunSeries>>(new Map());
  const [cursor, setCursor] = useState<number | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState(false);
  // Buckets per series the page asks for, from the charts' width (null until the grid is laid out).
  const [buckets, setBuckets] = useState<number | null>(null);
  const grid = useRef<HTMLDivElement>(null);
  // One zoom for all charts; a new x axis starts unzoomed (a step range means nothing in epochs).
  const zoomGroup = useMemo(() => new ZoomGroup(), [xMode]);
  const hasRuns = runIds.length > 0;
  // Every chart is one column of the grid wide: its width is known from the grid before any chart exists.
  useLayoutEffect(() => {
    const el = grid.current;
    if (!el) return;
    const measure = () => {
      const width = firstColumnWidth(getComputedStyle(el).gridTemplateColumns) ?? el.clientWidth;
      setBuckets(bucketsForWidth(width));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasRuns]);

  // Load every selected run's series (one request for all runs and keys).
  useEffect(() => {
    if (runIds.length === 0) {
      setData(new Map());
      setKeys([]);
      return;
    }
    if (buckets === null) return;
    let cancelled = false;
    setLoading(true);
    setError(null);
    (async () => {
      const { keys: available } = await api.metricKeys(runIds);
      const ordered = orderMetricKeys(available).slice(0, MAX_CHARTS);
      const series = ordered.length ? await api.series(runIds, ordered, buckets) : { cursor: 0, series: [] };
      if (cancelled) return;
      const byRun = new Map<string, RunSeries>(runIds.map((id) => [id, new Map()]));
      for (const s of series.series) byRun.get(s.runId)?.set(s.key, s);
      setKeys(ordered);
      setData(byRun);
      setCursor(series.cursor);
      setVersion((v) => v + 1);
    })()
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [idsKey, buckets]);

  // Zoomed: the detail of the shown step range, drawn inside that range over the whole-run series.
  const { detail, status: detailStatus, rangesText } = useZoomDetail({ runs, data, keys, buckets, xMode, zoomGroup, onError: setError });

  // Live: while a selected run is running, its new points stream in over server-sent events.
  const anyRunning = runs.some((r) => r.status === 'running');
  const onStatusRef = useRef(onStatusChange);
  onStatusRef.current = onStatusChange;
  const keysRef = useRef(keys);
  keysRef.current = keys;
  useEffect(() => {
    if (!anyRunning || cursor === null || runIds.length === 0) return;
    const source = new EventSource(api.liveUrl(runIds, cursor));
    let pending: LivePoint[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const points = pending;
      pending = [];
      setData((current) => {
        if (appendLivePoints(current, points)) {
          const newKeys = points.map((p) => p.key).filter((k) => !keysRef.current.includes(k));
          if (newKeys.length) setKeys((ks) => orderMetricKeys([...new Set([...ks, ...newKeys])]).slice(0, MAX_CHARTS));
          setVersion((v) => v + 1);
        }
        return current;
      });
    };
    source.addEventListener('open', () => setLive(true));
    source.addEventListener('error', () => setLive(false));
    source.addEventListener('metrics', (event) => {
      pending.push(...(JSON.parse((event as MessageEvent).data) as { points: LivePoint[] }).points);
      if (!frame) frame = requestAnimationFrame(flush);
    });
    source.addEventListener('runs', (event) => {
      onStatusRef.current(JSON.parse((event as MessageEvent).data).changed);
    });
    return () => {
      source.close();
      if (frame) cancelAnimationFrame(frame);
      setLive(false);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [anyRunning, cursor, idsKey]);
  const charts = useMemo(() => {
    const mappers = new Map(runs.map((r) => [r.id, epochMapper(data.get(r.id) ?? new Map())]));
    return keys.map((key) => {
      const series: ChartSeries[] = [];
      runs.forEach((run, index) => {
        const s = seriesWithDetail(detail, run.id, data.get(run.id)?.get(key), key);
        if (!s || s.step.length === 0) return;
        const { x, y, band } = curve(s, xMode, run.startTime, mappers.get(run.id)!);
        const color = runColor(index);
        // The faint raw curve is hidden and shown with the smoothed one (pushed next, at index length + 1).
        if (smoothing > 0) series.push({ label: `${run.name} (raw)`, color, x, y, faint: true, legend: false, follows: series.length + 1 });
        // Smoothing applies to the line only: the band is the raw extremes of each bucket, there to show the
        // spikes and spread that the line (a bucket's last value, then averaged) hides; smoothing it would hide
        // them again, and an average of minima is not the minimum of anything.
        series.push({ label: run.name, color, x, y: smooth(y, smoothing), band });
      });
      return { key, series };
    });
    // `version` marks in-place appends to `data`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keys, data, version, runs, xMode, smoothing, detail]);

  if (runs.length === 0) {
    return (
      <div className="compare-empty">
        <strong>Select runs to compare.</strong> Tick the boxes in the table: their loss and accuracy curves appear here,
        overlaid, with the params that differ.
      </div>
    );
  }

  return (
    <div
      className="compare"
      data-testid="compare"
      data-buckets={buckets ?? undefined}
      data-detail={detailStatus}
      data-detail-ranges={rangesText}
    >
      <div className="compare-toolbar">
        <div className="legend" data-testid="run-legend">
          {runs.map((run, index) => (
            <span key={run.id} className="legend-item" title={run.id}>
              <span className="swatch" style={{ background: runColor(index) }} />
              <button className="link" onClick={() => onOpenRun(run.id)}>
                {run.name}
              </button>
              <span className="muted">
                {run.params['model.name'] ?? ''} · {run.params['optimizer.name'] ?? ''} · {formatLr(run.params['optimizer.lr'])}
              </span>
              <StatusBadge status={run.status} compact />
              <button className="icon" aria-label={`remove ${run.name} from comparison`} onClick={() => onDeselect(run.id)}>
                ×
              </button>
            </span>
          ))}
          <button className="link small" onClick={onClear}>
            clear
          </button>
        </div>
        <div className="controls">
          <label>
            x axis
            <XAxisSelect value={xMode} onChange={setXMode} testId="x-axis" />
          </label>
          <label title="Exponential moving average, debiased (as TensorBoard)">
            smoothing
            <input
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => setSmoothing(Number(e.target.value))}
              data-testid="smoothing"
            />
            <span className="num">{smoothing.toFixed(2)}</span>
          </label>
          <a className="button" href={api.metricsCsvUrl(runIds)} download>
            metrics CSV
          </a>
          {anyRunning ? <span className={live ? 'live on' : 'live'}>{live ? 'live' : 'connecting…'}</span> : null}
        </div>
      </div>
      {error ? <div className="error">Could not load metrics: {error}</div> : null}
      {loading && keys.length === 0 ? <div className="muted pad">loading curves…</div> : null}
      {!loading && keys.length === 0 && !error ? <div className="muted pad">These runs have logged no metrics yet.</div> : null}
      <div className="chart-grid" ref={grid}>
        {charts.map(({ key, series }) => (
          <Chart key={key} title={key} series={series} xMode={xMode} version={version} zoomGroup={zoomGroup} testId={`chart-${key}`} />
        ))}
      </div>
      <CompareTable runIds={runIds} refreshKey={runs.map((r) => r.status).join(',')} />
    </div>
  );
}
