/**
 * The compare view: the selected runs' curves overlaid (or grouped by params, see compare-lines.ts), one chart per
 * metric with one legend for all of them, and the params that differ.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api, type LivePoint, type ParamsDiff, type RunStatusChange } from './api.ts';
import { bucketsForWidth, firstColumnWidth } from './buckets.ts';
import { Chart, XAxisSelect } from './Chart.tsx';
import { CompareTable } from './CompareTable.tsx';
import { colorsByRun, compareLines, paramLookup } from './compare-lines.ts';
import { LineHighlight } from './highlight.ts';
import { LinesLegend } from './LinesLegend.tsx';
import { effectiveStyle, LineStyleControls, useLineStyle } from './LineStyleControls.tsx';
import { varyingParamKeys } from './params-vary.ts';
import { appendLivePoints, orderMetricKeys, type RunSeries } from './series.ts';
import type { RunLite } from './types.ts';
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
  // The compared runs' params: what grouping, colour and dash read (the compare table below fetches its own rows).
  const [params, setParams] = useState<ParamsDiff | null>(null);
  const [storedStyle, setStyle] = useLineStyle();
  // Lines hidden from every chart by the legend (run ids or group ids), and the line the pointer is on.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const highlight = useMemo(() => new LineHighlight(), []);
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
      setParams(null);
      return;
    }
    if (buckets === null) return;
    let cancelled = false;
    setLoading(true);
    setError(null);
    (async () => {
      const { keys: available } = await api.metricKeys(runIds);
      const ordered = orderMetricKeys(available).slice(0, MAX_CHARTS);
      const [series, diff] = await Promise.all([
        ordered.length ? api.series(runIds, ordered, buckets) : Promise.resolve({ cursor: 0, series: [] }),
        api.params(runIds),
      ]);
      if (cancelled) return;
      const byRun = new Map<string, RunSeries>(runIds.map((id) => [id, new Map()]));
      for (const s of series.series) byRun.get(s.runId)?.set(s.key, s);
      setKeys(ordered);
      setData(byRun);
      setCursor(series.cursor);
      setParams(diff);
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
  // The menus offer the params that vary across the compared runs (the params table's rows), varying ones first.
  const styleParams = useMemo(() => (params ? varyingParamKeys(params.params) : []), [params]);
  const style = useMemo(() => effectiveStyle(storedStyle, styleParams), [storedStyle, styleParams]);
  const { lines, charts } = useMemo(
    () =>
      compareLines({
        runs,
        keys,
        data,
        seriesOf: (runId, key) => seriesWithDetail(detail, runId, data.get(runId)?.get(key), key),
        xMode,
        smoothing,
        paramOf: paramLookup(params),
        style,
      }),
    // `version` marks in-place appends to `data`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [keys, data, version, runs, xMode, smoothing, detail, params, style],
  );
  const toggleLine = (id: string) =>
    setHidden((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

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
        <LinesLegend
          lines={lines}
          runs={runs}
          hidden={hidden}
          onToggle={toggleLine}
          highlight={highlight}
          onOpenRun={onOpenRun}
          onDeselect={onDeselect}
          onClear={onClear}
        />
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
        <LineStyleControls params={styleParams} style={style} onChange={setStyle} />
      </div>
      {error ? <div className="error">Could not load metrics: {error}</div> : null}
      {loading && keys.length === 0 ? <div className="muted pad">loading curves…</div> : null}
      {!loading && keys.length === 0 && !error ? <div className="muted pad">These runs have logged no metrics yet.</div> : null}
      <div className="chart-grid" ref={grid}>
        {charts.map(({ key, series }) => (
          <Chart
            key={key}
            title={key}
            series={series}
            xMode={xMode}
            version={version}
            zoomGroup={zoomGroup}
            hidden={hidden}
            highlight={highlight}
            testId={`chart-${key}`}
          />
        ))}
      </div>
      <CompareTable runIds={runIds} refreshKey={runs.map((r) => r.status).join(',')} colors={colorsByRun(lines)} />
    </div>
  );
}
