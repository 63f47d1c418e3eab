/**
 * Choosing the runs table's columns: any param (the ones that vary among the filter's runs first, constants left
 * out) and any metric as best, last, min or max. The choice is kept in localStorage by the table.
 */
import { useEffect, useRef, useState } from 'react';
import { api, type RunFilters, type RunSort } from './api.ts';
import { compareApi } from './api-compare.ts';
import { paramMenu } from './params-vary.ts';
import { orderMetricKeys } from './series.ts';
import { columnId, DEFAULT_COLUMNS, MAX_COLUMNS, toggleColumn, type MetricColumnSummary, type TableColumn } from './table-columns.ts';

const SUMMARIES: MetricColumnSummary[] = ['best', 'last', 'min', 'max'];

interface Menus {
  params: string[];
  /** Params equal in every run of the filter (left out of the menu, counted). */
  constants: number;
  metrics: string[];
}

export function ColumnPicker({ columns, onChange, filters, sort }: { columns: TableColumn[]; onChange: (c: TableColumn[]) => void; filters: RunFilters; sort: RunSort }) {
  const [open, setOpen] = useState(false);
  const [menus, setMenus] = useState<Menus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    Promise.all([compareApi.paramSpace(filters, sort, { metric: 'val/accuracy' }, controller.signal), api.paramKeys(), api.metricKeys([])])
      .then(([space, params, metrics]) => {
        setMenus({
          params: paramMenu(params.keys, { varying: space.varying, constant: space.constant.map((c) => c.key) }),
          constants: space.constant.length,
          metrics: orderMetricKeys(metrics.keys),
        });
        setError(null);
      })
      .catch((e: unknown) => !controller.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    const close = (event: MouseEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => event.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', escape);
    return () => {
      controller.abort();
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', escape);
    };
  }, [open, filters, sort]);
  const chosen = new Set(columns.map(columnId));
  const toggle = (column: TableColumn) => onChange(toggleColumn(columns, column));
  return (
    <div className="column-picker" ref={box}>
      <button className="button" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="columns-button">
        columns ({columns.length})
      </button>
      {open ? (
        <div className="column-menu" data-testid="columns-menu">
          {error ? <div className="error">{error}</div> : null}
          {!menus && !error ? <div className="muted pad">loading…</div> : null}
          {menus ? (
            <>
              <div className="column-menu-head">
                <strong>params</strong>
                <span className="muted small">
                  varying first{menus.constants ? ` · ${menus.constants} equal in every run left out` : ''}
                </span>
              </div>
              <div className="column-list">
                {menus.params.map((key) => (
                  <label key={key} className="mono small">
                    <input
                      type="checkbox"
                      checked={chosen.has(columnId({ kind: 'param', key }))}
                      disabled={!chosen.has(columnId({ kind: 'param', key })) && columns.length >= MAX_COLUMNS}
                      onChange={() => toggle({ kind: 'param', key })}
                      data-testid={`column-param-${key}`}
                    />
                    {key}
                  </label>
                ))}
              </div>
              <div className="column-menu-head">
                <strong>metrics</strong>
              </div>
              <div className="column-list">
                {menus.metrics.map((key) => (
                  <div key={key} className="mono small metric-choice">
                    <span>{key}</span>
                    {SUMMARIES.map((summary) => {
                      const column: TableColumn = { kind: 'metric', key, summary };
                      const on = chosen.has(columnId(column));
                      return (
                        <button key={summary} className={`chip ${on ? 'on' : ''}`} onClick={() => toggle(column)} data-testid={`column-metric-${summary}-${key}`} disabled={!on && columns.length >= MAX_COLUMNS}>
                          {summary}
                        </button>
                      );
                    })}
                  </div>
                ))}
              </div>
              <div className="column-menu-foot">
                <button className="link small" onClick={() => onChange([...DEFAULT_COLUMNS])}>
                  reset to the default columns
                </button>
              </div>
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
