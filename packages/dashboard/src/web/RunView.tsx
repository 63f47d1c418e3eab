/** One run: reproducibility facts, name/note/tags (editable), curves and system metrics, confusion matrix (with its misclassified images), per-class accuracy, checkpoints, the spec that ran, predict. */
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, type ConfusionJson, type LivePoint, type RunDetailsJson } from './api.ts';
import { Chart, XAxisSelect } from './Chart.tsx';
import { formatDateTime, formatDuration, formatNumber } from './format.ts';
import { preferredColor } from './palette.ts';
import { appendLivePoints, curve, epochMapper, orderMetricKeys, type RunSeries } from './series.ts';
import { StatusBadge } from './StatusBadge.tsx';
import { seriesWithDetail, useZoomDetail } from './use-zoom-detail.ts';
import type { XMode } from './x-mode.ts';
import { ZoomGroup } from './zoom-group.ts';
import { ArtifactsCard } from './ArtifactsCard.tsx';
import { ConfusionCard } from './ConfusionCard.tsx';
import { PredictCard } from './PredictCard.tsx';
import { RunEdits } from './RunEdits.tsx';
import { SpecCard } from './SpecCard.tsx';

/** Keys of system metrics (the runner's sampler: CPU, memory, throughput): charted in a card of their own. */
const isSystemKey = (key: string) => key.startsWith('sys/');

export function RunView({ runId, onBack, onCompare }: { runId: string; onBack: () => void; onCompare: (id: string) => void }) {
  const [run, setRun] = useState<RunDetailsJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confusion, setConfusion] = useState<ConfusionJson | null | 'none'>(null);
  // The run's series by key: replaced on load, live points appended in place (with `version` bumped).
  const [series, setSeries] = useState<RunSeries>(new Map());
  const [cursor, setCursor] = useState<number | null>(null);
  const [version, setVersion] = useState(0);

  // Read again after an edit (name, note, star, tags).
  const [edits, setEdits] = useState(0);
  useEffect(() => {
    if (edits === 0) return;
    api.run(runId).then(setRun, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [edits, runId]);

  useEffect(() => {
    let cancelled = false;
    setRun(null);
    setError(null);
    api
      .run(runId)
      .then(async (details) => {
        if (cancelled) return;
        setRun(details);
        const all = orderMetricKeys(Object.keys(details.metrics));
        const keys = [...all.filter((k) => !isSystemKey(k)).slice(0, 12), ...all.filter(isSystemKey).slice(0, 8)];
        if (keys.length) {
          const response = await api.series([details.id], keys, RUN_VIEW_BUCKETS);
          if (!cancelled) {
            setSeries(new Map(response.series.map((s) => [s.key, s])));
            setCursor(response.cursor);
          }
        }
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    api
      .confusion(runId)
      .then((c) => !cancelled && setConfusion(c))
      .catch((e: unknown) => !cancelled && setConfusion(e instanceof ApiError && e.status === 404 ? 'none' : null));
    return () => {
      cancelled = true;
    };
  }, [runId]);

  // A running run's curves grow live, as in the comparison.
  const running = run?.status === 'running';
  useEffect(() => {
    if (!running || cursor === null || !run) return;
    const source = new EventSource(api.liveUrl([run.id], cursor));
    source.addEventListener('metrics', (event) => {
      const { points } = JSON.parse((event as MessageEvent).data) as { points: LivePoint[] };
      setSeries((current) => {
        if (appendLivePoints(new Map([[run.id, current]]), points)) setVersion((v) => v + 1);
        return current;
      });
    });
    source.addEventListener('runs', () => {
      api.run(run.id).then(setRun, () => undefined);
    });
    return () => source.close();
  }, [running, cursor, run?.id]);

  if (error) {
    return (
      <div className="page">
        <button className="link" onClick={onBack}>
          ← all runs
        </button>
        <div className="error">Could not load run {runId}: {error}</div>
      </div>
    );
  }
  if (!run) return <div className="page muted pad">loading run…</div>;

  const versions = Object.entries(run.packageVersions);
  return (
    <div className="page run-view" data-testid="run-view">
      <div className="run-header">
        <button className="link" onClick={onBack}>
          ← all runs
        </button>
        <h1>
          {run.starred ? <span className="star on">★</span> : null}
          {run.name} <StatusBadge status={run.status} />
        </h1>
        <div className="muted">
          <span className="mono">{run.id}</span> · experiment <strong>{run.experimentName}</strong> · started{' '}
          {formatDateTime(run.startTime)} · {formatDuration(run.status === 'running' ? Date.now() - run.startTime : run.durationMs)}
        </div>
        <button className="button" onClick={() => onCompare(run.id)}>
          add to comparison
        </button>
      </div>

      <div className="grid-3">
        <section className="card" data-testid="repro">
          <header className="card-title">Reproducibility</header>
          <dl className="facts">
            <dt>seed</dt>
            <dd className="mono">{run.seed ?? '–'}</dd>
            <dt>spec hash</dt>
            <dd className="mono" title={run.specHash}>
              {run.specHash.slice(0, 16)}…
            </dd>
            <dt>git commit</dt>
            <dd className="mono">{run.gitCommit ?? <span className="muted">not a git checkout</span>}</dd>
            <dt>backend</dt>
            <dd className="mono">{run.backend ?? '–'}</dd>
            <dt>host</dt>
            <dd className="mono">
              {run.host}
              {run.pid ? ` (pid ${run.pid})` : ''}
            </dd>
            {versions.map(([name, version]) => (
              <FactRow key={name} name={name} value={version} />
            ))}
            {run.sweepValues
              ? Object.entries(run.sweepValues).map(([k, v]) => <FactRow key={k} name={`sweep ${k}`} value={JSON.stringify(v)} />)
              : null}
          </dl>
        </section>
        <section className="card">
          <header className="card-title">Latest metrics</header>
          <table className="plain">
            <thead>
              <tr>
                <th>metric</th>
                <th className="right">latest</th>
                <th className="right">min</th>
                <th className="right">max</th>
                <th className="right">step</th>
              </tr>
            </thead>
            <tbody>
              {orderMetricKeys(Object.keys(run.metrics)).map((key) => {
                const m = run.metrics[key];
                return (
                  <tr key={key}>
                    <td className="mono">{key}</td>
                    <td className="right num">{formatNumber(m.value)}</td>
                    <td className="right num">{formatNumber(m.min)}</td>
                    <td className="right num">{formatNumber(m.max)}</td>
                    <td className="right num">{m.step}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {Object.keys(run.tags).length ? (
            <div className="tags pad-top">
              {Object.entries(run.tags).map(([k, v]) => (
                <span key={k} className="tag">
                  {k}: {v}
                </span>
              ))}
            </div>
          ) : null}
        </section>
        <ArtifactsCard run={run} />
      </div>

      <RunEdits run={run} onChanged={() => setEdits((n) => n + 1)} onDeleted={onBack} />

      <RunCurves run={run} series={series} version={version} keyFilter={(key) => !isSystemKey(key)} title="Curves" testId="run-curves" />
      <RunCurves run={run} series={series} version={version} keyFilter={isSystemKey} title="System" testId="run-system" />

      <div className="grid-2">
        <ConfusionCard confusion={confusion} runId={run.id} />
        <PredictCard runId={run.id} />
      </div>

      <div className="grid-2">
        <SpecCard run={run} />
        <section className="card">
          <header className="card-title">Resolved params ({Object.keys(run.params).length})</header>
          <div className="table-scroll tall">
            <table className="plain">
              <tbody>
                {Object.entries(run.params).map(([k, v]) => (
                  <tr key={k}>
                    <td className="mono">{k}</td>
                    <td className="mono">{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </div>
  );
}

function FactRow({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className="mono">{value}</dd>
    </>
  );
}

/** Buckets per series of the run view's charts (the whole run, and a zoomed range). */
const RUN_VIEW_BUCKETS = 1000;

function RunCurves({
  run,
  series,
  version,
  keyFilter,
  title,
  testId,
}: {
  run: RunDetailsJson;
  series: RunSeries;
  version: number;
  /** Which of the run's keys this card charts. */
  keyFilter: (key: string) => boolean;
  title: string;
  testId: string;
}) {
  const [xMode, setXMode] = useState<XMode>('step');
  const [error, setError] = useState<string | null>(null);
  const zoomGroup = useMemo(() => new ZoomGroup(), [xMode]);
  // (`version`: a live point may bring a new key into `series`)
  const keys = useMemo(() => orderMetricKeys([...series.keys()].filter(keyFilter)), [series, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const runs = useMemo(() => [{ id: run.id, startTime: run.startTime }], [run.id, run.startTime]);
  const data = useMemo(() => new Map([[run.id, series]]), [run.id, series]);
  // A zoom reads the detail of its range, as in the compare view.
  const { detail, status, rangesText } = useZoomDetail({ runs, data, keys, buckets: RUN_VIEW_BUCKETS, xMode, zoomGroup, onError: setError });
  const charts = useMemo(() => {
    const toEpoch = epochMapper(series);
    return keys.flatMap((key) => {
      const s = seriesWithDetail(detail, run.id, series.get(key), key);
      if (!s) return [];
      const { x, y, band } = curve(s, xMode, run.startTime, toEpoch);
      return [{ key, series: [{ id: run.id, label: run.name, color: preferredColor(run.id), x, y, band }] }];
    });
    // `version` marks in-place appends to `series`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series, version, keys, xMode, run, detail]);
  if (charts.length === 0) return null;
  return (
    <section className="card" data-testid={testId} data-detail={status} data-detail-ranges={rangesText}>
      <header className="card-title">
        {title}
        <XAxisSelect value={xMode} onChange={setXMode} />
      </header>
      {error ? <div className="error">Could not load the zoomed range: {error}</div> : null}
      <div className="chart-grid">
        {charts.map((c) => (
          <Chart key={c.key} title={c.key} series={c.series} xMode={xMode} height={180} syncKey={`run-${testId}`} zoomGroup={zoomGroup} version={version} testId={`run-chart-${c.key}`} />
        ))}
      </div>
    </section>
  );
}
