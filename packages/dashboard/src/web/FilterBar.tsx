/**
 * The runs table's filter bar: free text, status chips, starred, facet menus, tag and metric conditions, the
 * brushes set in the parallel-coordinates panel, the run count, and the table's actions (choose columns, compare
 * every run of the filter, CSV).
 */
import { useEffect, useState } from 'react';
import { api, type Facets, type RunFilters, type RunSort, type RunStatus } from './api.ts';
import { ColumnPicker } from './ColumnPicker.tsx';
import { statusChoices, statusClass } from './statuses.ts';
import type { TableColumn } from './table-columns.ts';

export interface FilterBarProps {
  filters: RunFilters;
  sort: RunSort;
  facets: Facets | null;
  selected: string[];
  /** Takes an update function: debounced text input must not overwrite filters changed meanwhile. */
  onFilters: (update: (f: RunFilters) => RunFilters) => void;
  total: number;
  loadedQuery: boolean;
  columns: TableColumn[];
  onColumns: (columns: TableColumn[]) => void;
  /** Compare the first `selectLimit` runs of the filter (in the table's order). */
  onSelectAll?: () => void;
  selectLimit: number;
}

export function FilterBar({
  filters,
  sort,
  facets,
  onFilters,
  total,
  loadedQuery,
  selected,
  columns,
  onColumns,
  onSelectAll,
  selectLimit,
}: FilterBarProps) {
  const [text, setText] = useState(filters.q);
  const [tag, setTag] = useState(filters.tag);
  const [where, setWhere] = useState(filters.where);
  // Typing filters after a short pause, not on every key.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text !== filters.q || tag !== filters.tag || where !== filters.where) onFilters((f) => ({ ...f, q: text, tag, where }));
    }, 250);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, tag, where]);
  const counts = new Map(facets?.statuses.map((s) => [s.value, s.count]) ?? []);
  const toggleStatus = (status: RunStatus) => {
    onFilters((f) => ({ ...f, status: f.status.includes(status) ? f.status.filter((s) => s !== status) : [...f.status, status] }));
  };
  return (
    <div className="filters">
      <div className="filter-row">
        <input
          className="search"
          type="search"
          placeholder="Search runs: name, id, model, tag…"
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="search"
        />
        <div className="chips" role="group" aria-label="status">
          {statusChoices(facets?.statuses).map((status) => (
            <button
              key={status}
              className={`chip ${filters.status.includes(status) ? 'on' : ''}`}
              onClick={() => toggleStatus(status)}
              data-testid={`status-${status}`}
            >
              <span className={`status-dot ${statusClass(status)}`} />
              {status}
              {counts.has(status) ? <span className="count">{counts.get(status)}</span> : null}
            </button>
          ))}
        </div>
        <button
          className={`chip ${filters.starred ? 'on' : ''}`}
          onClick={() => onFilters((f) => ({ ...f, starred: !f.starred }))}
          data-testid="filter-starred"
          title="only starred runs"
        >
          ★ starred
        </button>
        <span className="spacer" />
        {filters.brushes.length ? (
          <span className="chip on" data-testid="brush-filter" title="set by brushing the parallel-coordinates axes">
            brushed: {filters.brushes.length} {filters.brushes.length === 1 ? 'axis' : 'axes'}
            <button className="icon" aria-label="clear the brushes" onClick={() => onFilters((f) => ({ ...f, brushes: [] }))}>
              ×
            </button>
          </span>
        ) : null}
        <span className="muted small" data-testid="run-count">
          {loadedQuery ? `${total.toLocaleString()} run${total === 1 ? '' : 's'}` : 'loading…'}
          {selected.length ? ` · ${selected.length} selected` : ''}
        </span>
        {onSelectAll ? (
          <button className="button" onClick={onSelectAll} disabled={!loadedQuery || total === 0} data-testid="select-all" title="compare the first runs of this filter, in the table's order">
            compare all{total > 0 ? ` (${Math.min(total, selectLimit)})` : ''}
          </button>
        ) : null}
        <ColumnPicker columns={columns} onChange={onColumns} filters={filters} sort={sort} />
        <a className="button" href={api.runsCsvUrl(filters, sort)} download>
          CSV
        </a>
      </div>
      <div className="filter-row">
        <FacetSelect label="experiment" value={filters.experiment} values={facets?.experiments} onChange={(v) => onFilters((f) => ({ ...f, experiment: v }))} />
        <FacetSelect label="model" value={filters.model} values={facets?.models} onChange={(v) => onFilters((f) => ({ ...f, model: v }))} />
        <FacetSelect label="optimizer" value={filters.optimizer} values={facets?.optimizers} onChange={(v) => onFilters((f) => ({ ...f, optimizer: v }))} />
        <input
          className="tag-filter"
          placeholder="tag or tag=value"
          value={tag}
          onChange={(e) => setTag(e.target.value)}
          list="tag-keys"
          data-testid="tag-filter"
        />
        <input
          className="tag-filter where"
          placeholder="max(val/accuracy)>0.9"
          title="Metric condition: key, min(key) or max(key), then <, <=, >, >=, = or !=, then a number"
          value={where}
          onChange={(e) => setWhere(e.target.value)}
          data-testid="where-filter"
        />
        <datalist id="tag-keys">
          {facets?.tagKeys.map((t) => <option key={t.value} value={t.value} />)}
        </datalist>
      </div>
    </div>
  );
}

function FacetSelect({
  label,
  value,
  values,
  onChange,
}: {
  label: string;
  value: string;
  values: { value: string; count: number }[] | undefined;
  onChange: (value: string) => void;
}) {
  return (
    <select className={`facet ${value ? 'on' : ''}`} value={value} onChange={(e) => onChange(e.target.value)} aria-label={label} data-testid={`filter-${label}`}>
      <option value="">any {label}</option>
      {values?.map((v) => (
        <option key={v.value} value={v.value}>
          {v.value} ({v.count})
        </option>
      ))}
      {value && !values?.some((v) => v.value === value) ? <option value={value}>{value}</option> : null}
    </select>
  );
}
