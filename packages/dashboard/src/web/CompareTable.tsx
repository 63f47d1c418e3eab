/**
 * Beside the compare view's charts: the params that differ (names as written) and, per metric, each run's best and
 * last value with the best of the row highlighted. One `/api/compare` call per set of runs (again when one finishes).
 */
import { useEffect, useMemo, useState } from 'react';
import { compareApi, type CompareJson } from './api-compare.ts';
import { compareRows, type MetricRow } from './compare-table.ts';
import { formatNumber, formatPercent } from './format.ts';

const isAccuracy = (key: string) => /acc/i.test(key);

function metricText(key: string, value: number | null): string {
  if (value === null) return '–';
  return isAccuracy(key) && value >= 0 && value <= 1 ? formatPercent(value) : formatNumber(value, 4);
}

/** `colors`: each run's line colour in the charts (compare-lines.ts), so a column reads as its curve. */
export function CompareTable({ runIds, refreshKey, colors }: { runIds: readonly string[]; refreshKey: string; colors: ReadonlyMap<string, string> }) {
  const [data, setData] = useState<CompareJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showSingle, setShowSingle] = useState(false);
  const idsKey = runIds.join(',');
  useEffect(() => {
    if (runIds.length === 0) return;
    const controller = new AbortController();
    compareApi
      .compare(runIds, controller.signal)
      .then((body) => {
        setData(body);
        setError(null);
      })
      .catch((e: unknown) => !controller.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [idsKey, refreshKey]);
  const rows = useMemo(() => (data ? compareRows(data.runs) : null), [data]);
  if (error) return <div className="error">Could not load the comparison table: {error}</div>;
  if (!data || !rows || data.runs.length < 2) return null;
  const params = showSingle ? [...rows.params, ...rows.singleRunParams] : rows.params;
  const header = (first: string) => (
    <thead>
      <tr>
        <th>{first}</th>
        {data.runs.map((run) => (
          <th key={run.id} title={run.id}>
            <span className="swatch" style={{ background: colors.get(run.id) }} /> {run.name}
          </th>
        ))}
      </tr>
    </thead>
  );
  return (
    <div className="compare-tables">
      <section className="card params-diff" data-testid="params-diff">
        <header className="card-title">
          Params that differ <span className="muted">({rows.params.length})</span>
          {rows.singleRunParams.length ? (
            <button className="link small" onClick={() => setShowSingle(!showSingle)} data-testid="show-single-params">
              {showSingle ? 'hide' : 'show'} {rows.singleRunParams.length} set in one run only
            </button>
          ) : null}
        </header>
        {params.length === 0 ? (
          <div className="muted pad">These runs have identical params.</div>
        ) : (
          <div className="table-scroll">
            <table className="plain as-written">
              {header('param')}
              <tbody>
                {params.map((row) => (
                  <tr key={row.key}>
                    <td className="mono">{row.key}</td>
                    {row.values.map((value, i) => (
                      <td key={i} className="mono">
                        {value ?? <span className="muted">–</span>}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" data-testid="compare-metrics">
        <header className="card-title">
          Metrics <span className="muted">best and last value; the best run of each row highlighted</span>
        </header>
        <div className="table-scroll">
          <table className="plain as-written">
            {header('metric')}
            <tbody>
              {rows.metrics.map((row) => (
                <MetricTableRow key={`${row.kind} ${row.key}`} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function MetricTableRow({ row }: { row: MetricRow }) {
  return (
    <tr className={row.kind === 'last' ? 'last-row' : undefined} data-metric={row.key} data-kind={row.kind}>
      <td className="mono">
        {row.kind === 'best' ? row.key : ''}
        <span className="muted small"> {row.kind === 'best' ? `best (${row.direction})` : 'last'}</span>
      </td>
      {row.values.map((value, i) => (
        <td key={i} className={`num right ${i === row.bestIndex ? 'best-cell' : ''}`} data-best={i === row.bestIndex ? 'true' : undefined}>
          {metricText(row.key, value)}
        </td>
      ))}
    </tr>
  );
}
